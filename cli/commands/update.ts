/**
 * `qrng update FIRMWARE.bin`: installs a firmware image (the flow is
 * cli/devices/cmdctrl/update.ts), with a progress bar on a terminal.
 */
import type { Command } from "../command.ts";
import { describeError, usageError } from "../errors.ts";
import { CHUNK_ATTEMPTS, updateFirmware } from "../devices/cmdctrl/update.ts";
import { DEVICE_FLAGS_HELP, parseDeviceFlags, withDevice } from "./device_command.ts";
import { printResult } from "../output/result_text.ts";
import { readAll } from "../byte_io.ts";
import { formatBytes } from "../units.ts";

/** The update command. */
export const updateCommand: Command = {
  name: "update",
  summary: "Install a firmware image on a Crypta Labs device",
  help: `Usage: qrng update FIRMWARE.bin [--device URI] [--json]

Sends the image in 1024-byte chunks with checksums; the device verifies, installs and restarts.
A lost chunk answer is retried up to ${CHUNK_ATTEMPTS} times; an ERR_* status aborts.

${DEVICE_FLAGS_HELP}
`,
  async run(argv, platform) {
    const { values, positionals } = parseDeviceFlags("update", argv, {}, 1);
    if (positionals.length !== 1) throw usageError("qrng update: give a FIRMWARE file");
    const image = await readAll(await platform.openReader(positionals[0]));
    if (image.length === 0) throw usageError("qrng update: the firmware file is empty");
    const progress = platform.isTerminal("stderr");
    const result = await withDevice(platform, values.device, async (device) => {
      const update = await updateFirmware(device, image, {
        onRetry: (offset, error) =>
          platform.writeStderr(
            `qrng update: chunk at ${offset} failed (${describeError(error)}); retrying\n`,
          ),
        onProgress: progress
          ? (done, total) => {
            const width = 30, filled = Math.round(width * done / total);
            platform.writeStderr(
              `\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${formatBytes(done)} of ${
                formatBytes(total)
              }`,
            );
          }
          : undefined,
      });
      if (progress) platform.writeStderr("\n");
      return { device: device.transport.description, ...update };
    });
    await printResult(platform, result, values.json);
    return 0;
  },
};
