/**
 * `qrng cert --ca KEY`: checks a QCicada's certificate: the manufacturer CA's signature over
 * `u16 0 ‖ hw major ‖ hw minor ‖ u32 serial ‖ pubkey` (spec §5). The CA key is not published:
 * KEY is 128 hex digits (x‖y), a PEM public key, or a file holding either or 64 raw bytes.
 */
import type { Command } from "../command.ts";
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { certificateBlob } from "../../wasm/cmdctrl.ts";
import { importPublicKey, verifySignature } from "../devices/cmdctrl/signature.ts";
import { DEVICE_FLAGS_HELP, parseDeviceFlags, printResult, withDevice } from "./device_common.ts";
import { readAll } from "../byte_io.ts";

async function loadCaKey(text: string, platform: Platform): Promise<CryptoKey> {
  let material: Uint8Array | string = text.trim();
  if (!/^[0-9a-f]{128,130}$/i.test(material) && !material.startsWith("-----BEGIN")) {
    material = await readAll(await platform.openReader(text));
    const asText = new TextDecoder().decode(material).trim();
    if (/^[0-9a-f]{128,130}$/i.test(asText) || asText.startsWith("-----BEGIN")) material = asText;
  }
  if (typeof material !== "string") {
    if (material.length === 64 || material.length === 65) return await importPublicKey(material);
    throw usageError("qrng cert: the CA key file holds neither hex, PEM nor 64 raw bytes");
  }
  if (material.startsWith("-----BEGIN")) {
    const der = Uint8Array.from(atob(material.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
    try {
      return await crypto.subtle.importKey("spki", der as BufferSource, { name: "ECDSA", namedCurve: "P-256" }, false, [
        "verify",
      ]);
    } catch {
      throw usageError("qrng cert: the PEM is not a P-256 public key");
    }
  }
  return await importPublicKey(Uint8Array.from(material.match(/../g)!, (h) => parseInt(h, 16)));
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
    const result = await withDevice(platform, values.device, async (device) => {
      const info = await device.info();
      const publicKey = await device.publicKey();
      const certificate = await device.certificate();
      const blob = certificateBlob(info, publicKey);
      return { device: device.transport.description, serial: info.serial, publicKey, certificate, blob,
        valid: await verifySignature(ca, blob, certificate) };
    });
    await printResult(platform, result, values.json);
    if (!result.valid) throw new QrngError("device", "Certificate does not verify against the given CA key");
    return 0;
  },
};
