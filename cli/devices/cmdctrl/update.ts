/**
 * The firmware update flow (spec §4): UPDATE_INIT must answer READY with the full size; 1024-byte
 * chunks with checksum8 follow, each answered IN_PROGRESS with the new remaining count until
 * COMPLETED. A chunk whose answer is lost or garbled is retried (up to {@link CHUNK_ATTEMPTS}
 * times, after draining the line); any ERR_* status aborts with its name.
 */
import { QrngError } from "../../errors.ts";
import { CHUNK_BYTES, UPDATE_STATUS, type UpdateState } from "../../../wasm/cmdctrl.ts";
import type { CmdCtrlDevice } from "./driver.ts";

/** Tries per chunk (the C client's 5). */
export const CHUNK_ATTEMPTS = 5;
const READY = 0, COMPLETED = 2; // 1 is TRANSFER_IN_PROGRESS

/** Options of {@link updateFirmware}. */
export interface UpdateOptions {
  /** Called after each chunk the device took, with the bytes sent so far and the image's size. */
  onProgress?(sentBytes: number, totalBytes: number): void;
  /** Called before a chunk is sent again, with its offset and why it failed. */
  onRetry?(offset: number, error: QrngError): void;
}

/** How an update went. */
export interface UpdateResult {
  /** The image's size. */
  readonly bytes: number;
  /** Chunks sent (not counting retries). */
  readonly chunks: number;
  /** Chunks sent again after a lost or garbled answer. */
  readonly retries: number;
  /** The device's last update status ("COMPLETED"). */
  readonly status: string;
}

/** The name of an update status. */
export function updateStatusName(state: UpdateState): string {
  return UPDATE_STATUS[state.status] ?? `status ${state.status}`;
}

/** Installs `image` on the device; rejects with kind "device" when the device refuses it. */
export async function updateFirmware(
  device: CmdCtrlDevice,
  image: Uint8Array,
  options: UpdateOptions = {},
): Promise<UpdateResult> {
  const init = await device.updateInit(image.length);
  if (init.status !== READY || init.remaining !== image.length) {
    throw new QrngError(
      "device",
      `Cannot update: device answered ${updateStatusName(init)} (remaining ${init.remaining}) to UPDATE_INIT`,
    );
  }
  let state = init;
  let retries = 0;
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
        options.onRetry?.(offset, error);
        await device.drain();
      }
    }
    const remaining = image.length - offset - chunk.length;
    if (state.status > COMPLETED) {
      throw new QrngError(
        "device",
        `Update aborted at byte ${offset}: device reported ${updateStatusName(state)}`,
      );
    }
    if (state.remaining !== remaining || (remaining === 0) !== (state.status === COMPLETED)) {
      throw new QrngError(
        "device",
        `Update aborted: device answered ${
          updateStatusName(state)
        } with ${state.remaining} remaining, expected ${remaining}`,
      );
    }
    options.onProgress?.(offset + chunk.length, image.length);
  }
  return {
    bytes: image.length,
    chunks: Math.ceil(image.length / CHUNK_BYTES),
    retries,
    status: updateStatusName(state),
  };
}
