/**
 * `qrng update FIRMWARE.bin`: the firmware update flow (spec §4): UPDATE_INIT must answer READY
 * with the full size; 1024-byte chunks with checksum8 follow, each answered IN_PROGRESS with the
 * new remaining count until COMPLETED. A chunk whose answer is lost or garbled is retried (up to
 * CHUNK_ATTEMPTS times, after draining the line); any ERR_* status aborts with its name.
 */
import type { Command } from "../command.ts";
import { describeError, QrngError, usageError } from "../errors.ts";
import { CHUNK_BYTES, UPDATE_STATUS, type UpdateState } from "../../wasm/cmdctrl.ts";
import { DEVICE_FLAGS_HELP, parseDeviceFlags, printResult, withDevice } from "./device_common.ts";
import { readAll } from "../byte_io.ts";
import { formatBytes } from "../units.ts";

/** Tries per chunk (the C client's 5). */
export const CHUNK_ATTEMPTS = 5;
const READY = 0, COMPLETED = 2; // 1 is TRANSFER_IN_PROGRESS

function name(state: UpdateState): string {
  return UPDATE_STATUS[state.status] ?? `status ${state.status}`;
}

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
    let retries = 0;
    const result = await withDevice(platform, values.device, async (device) => {
      const init = await device.updateInit(image.length);
      if (init.status !== READY || init.remaining !== image.length) {
        throw new QrngError("device", `Cannot update: device answered ${name(init)} (remaining ${init.remaining}) to UPDATE_INIT`);
      }
      let state = init;
      for (let offset = 0; offset < image.length; offset += CHUNK_BYTES) {
        const chunk = image.subarray(offset, offset + CHUNK_BYTES);
        for (let attempt = 1;; attempt++) {
          try {
            state = await device.updateChunk(chunk);
            break;
          } catch (error) {
            const transient = error instanceof QrngError && ["timeout", "protocol", "nack"].includes(error.kind);
            if (!transient || attempt >= CHUNK_ATTEMPTS) throw error;
            retries++;
            platform.writeStderr(`qrng update: chunk at ${offset} failed (${describeError(error)}); retrying\n`);
            await device.drain();
          }
        }
        const remaining = image.length - offset - chunk.length;
        if (state.status > COMPLETED) {
          throw new QrngError("device", `Update aborted at byte ${offset}: device reported ${name(state)}`);
        }
        if (state.remaining !== remaining || (remaining === 0) !== (state.status === COMPLETED)) {
          throw new QrngError("device", `Update aborted: device answered ${name(state)} with ${state.remaining} remaining, expected ${remaining}`);
        }
        if (progress) {
          const done = offset + chunk.length;
          const width = 30, filled = Math.round(width * done / image.length);
          platform.writeStderr(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${formatBytes(done)} of ${formatBytes(image.length)}`);
        }
      }
      if (progress) platform.writeStderr("\n");
      return { device: device.transport.description, bytes: image.length, chunks: Math.ceil(image.length / CHUNK_BYTES),
        retries, status: name(state) };
    });
    await printResult(platform, result, values.json);
    return 0;
  },
};
