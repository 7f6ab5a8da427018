/**
 * `qrng cert --ca KEY`: checks a QCicada's certificate: the manufacturer CA's signature over
 * `u16 0 ‖ hw major ‖ hw minor ‖ u32 serial ‖ pubkey` (spec §5). The CA key is not published:
 * KEY is 128 hex digits (x‖y), a PEM public key, or a file holding either or 64 raw bytes.
 */
import type { Command } from "../command.ts";
import { describeError, QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { checkCertificate, importCaKey as importKey } from "../devices/cmdctrl/checks.ts";
import { DEVICE_FLAGS_HELP, parseDeviceFlags, printResult, withDevice } from "./device_common.ts";
import { readAll } from "../byte_io.ts";

/** A raw CA key as hex: x‖y, optionally with the SEC1 uncompressed prefix 04. */
const HEX_KEY = /^(?:04)?[0-9a-f]{128}$/i;

const looksLikeKey = (text: string) => HEX_KEY.test(text) || text.startsWith("-----BEGIN");

/** Reads --ca's value: the key itself, or a file holding it; anything else is a usage error. */
async function loadCaKey(text: string, platform: Platform): Promise<CryptoKey> {
  let material: Uint8Array | string = text.trim();
  if (!looksLikeKey(material)) {
    let reader;
    try {
      reader = await platform.openReader(text);
    } catch (error) {
      throw usageError(
        `qrng cert: --ca takes 128 hex digits, a PEM key or a key file; '${text}' is none of them ` +
          `(${describeError(error)})`,
      );
    }
    material = await readAll(reader);
    const asText = new TextDecoder().decode(material).trim();
    if (looksLikeKey(asText)) material = asText;
  }
  if (typeof material !== "string") {
    if (material.length !== 64 && material.length !== 65) {
      throw usageError("qrng cert: the CA key file holds neither hex, PEM nor 64 raw bytes");
    }
    return await importCaKey("raw", material);
  }
  if (material.startsWith("-----BEGIN")) {
    const base64 = material.replace(/-----[^-]+-----|\s/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw usageError("qrng cert: the PEM CA key is not valid base64");
    return await importCaKey("spki", Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  }
  return await importCaKey("raw", Uint8Array.from(material.replace(/^04(?=.{128}$)/, "").match(/../g)!, (h) => parseInt(h, 16)));
}

/** Imports the CA key; one that is not a P-256 public key is a usage error. */
async function importCaKey(format: "raw" | "spki", key: Uint8Array): Promise<CryptoKey> {
  try {
    return await importKey(format, key);
  } catch {
    throw usageError(`qrng cert: the CA key is not a P-256 public key`);
  }
}

/** The cert command. */
export const certCommand: Command = {
  name: "cert",
  summary: "Verify a QCicada's device certificate against a CA public key",
  help: `Usage: qrng cert --ca KEY [--device URI] [--json]

Reads the device's info, public key and certificate, rebuilds the signed blob and verifies the
CA's ECDSA P-256 signature. Exit status 1 when it does not verify.

  --ca KEY             CA public key: 128 hex digits (x‖y), PEM, or a file with either or
                       64 raw bytes ('qrng emulate' prints its emulator CA key)
${DEVICE_FLAGS_HELP}
`,
  async run(argv, platform) {
    const { values } = parseDeviceFlags("cert", argv, { ca: { type: "string" } });
    if (!values.ca) throw usageError("qrng cert: give the CA public key with --ca KEY");
    const ca = await loadCaKey(values.ca, platform);
    const result = await withDevice(platform, values.device, async (device) => ({
      device: device.transport.description,
      ...(await checkCertificate(device, ca)),
    }));
    await printResult(platform, result, values.json);
    if (!result.valid) throw new QrngError("device", "Certificate does not verify against the given CA key");
    return 0;
  },
};
