/** `qrng hash-test FILE`: proves a device's SHA-256 engine against the host's own digest. */
import type { Command } from "../command.ts";
import { QrngError, usageError } from "../errors.ts";
import { hashTest } from "../devices/cmdctrl/checks.ts";
import { DEVICE_FLAGS_HELP, parseDeviceFlags, withDevice } from "./device_command.ts";
import { printResult } from "../output/result_text.ts";
import { bytesToHex } from "@noble/hashes/utils.js";
import { readAll } from "../byte_io.ts";

/** The hash-test command. */
export const hashTestCommand: Command = {
  name: "hash-test",
  summary: "Check a Crypta Labs device's SHA-256 engine with a file",
  help: `Usage: qrng hash-test FILE [--device URI] [--json]

Sends FILE through HASH_TEST (1024-byte chunks) and compares the device's digest with the
host's SHA-256 of FILE. Exit status 1 on a mismatch.

${DEVICE_FLAGS_HELP}
`,
  async run(argv, platform) {
    const { values, positionals } = parseDeviceFlags("hash-test", argv, {}, 1);
    if (positionals.length !== 1) throw usageError("qrng hash-test: give a FILE");
    const data = await readAll(await platform.openReader(positionals[0]));
    const result = await withDevice(platform, values.device, async (device) => {
      const test = await hashTest(device, data);
      return {
        device: device.transport.description,
        bytes: data.length,
        device_sha256: bytesToHex(test.deviceDigest),
        host_sha256: bytesToHex(test.hostDigest),
        match: test.match,
      };
    });
    await printResult(platform, result, values.json);
    if (!result.match) {
      throw new QrngError("device", "Hash test failed: the device's digest differs from SHA-256 of the file");
    }
    return 0;
  },
};
