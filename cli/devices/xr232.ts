/**
 * XR232 and XR232USB as a {@link RandomSource}: bytes from an {@link Xr232Reader} on an open
 * port, handed on as they come. The source layer (cli/sources/xr232.ts) opens the port, real or
 * emulated, and chooses the stall policy.
 */
import { QrngError } from "../errors.ts";
import type { RandomSource } from "./device.ts";
import type { Xr232Port, Xr232Reader } from "./xr232_reader.ts";

/** Most bytes handed out per `next()`: it hands out what has come, so a slow line's bytes go on at once. */
const CHUNK_BYTES = 4096;

/** A RandomSource over an open XR232 port. */
export function xr232Source(
  port: Xr232Port,
  description: string,
  emulated: boolean,
  reader: Xr232Reader,
  onClose: () => void = () => {},
): RandomSource {
  const chunk = new Uint8Array(CHUNK_BYTES);
  let closed = false;
  return {
    description,
    emulated,
    async next() {
      if (closed) throw new QrngError("disconnected", `Cannot read from ${description}: it was closed`);
      return chunk.subarray(0, await reader.readInto(chunk, 1));
    },
    async close() {
      if (closed) return;
      closed = true;
      onClose();
      await port.close();
    },
    // An XR232 reports no status: ending a read well is releasing the port.
    finish() {
      return this.close();
    },
  };
}
