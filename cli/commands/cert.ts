/**
 * `qrng cert --ca KEY`: checks a QCicada's certificate: the manufacturer CA's signature over
 * `u16 0 ‖ hw major ‖ hw minor ‖ u32 serial ‖ pubkey` (spec §5). The CA key is not published:
 * KEY is 128 hex digits (x‖y), a PEM public key, or a file holding either or 64 raw bytes.
 */
import type { Command } from "../command.ts";
import { describeError, QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { checkCertificate, importCaKey, isCaKeyText } from "../devices/cmdctrl/checks.ts";
import { DEVICE_FLAGS_HELP, parseDeviceFlags, withDevice } from "./device_command.ts";
import { printResult } from "../output/result_text.ts";
import { readAll } from "../byte_io.ts";

/** Reads --ca's value: the key itself, or a file holding it; anything else is a usage error. */
async function loadCaKey(text: string, platform: Platform): Promise<CryptoKey> {
  let material: Uint8Array | string = text;
  if (!isCaKeyText(text)) {
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
    const asText = new TextDecoder().decode(material);
    if (isCaKeyText(asText)) material = asText;
  }
  try {
    return await importCaKey(material);
  } catch (error) {
    throw usageError(`qrng cert: ${describeError(error)}`);
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
