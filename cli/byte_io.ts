/** Whole-input reads over a {@link ByteReader}, for commands that need all of a small input. */
import type { ByteReader } from "./platform.ts";

/** Largest single read buffer: bounded so a huge `limit` doesn't allocate up front. */
const READ_PIECE_BYTES = 1 << 20;

/** Reads up to `limit` bytes from `reader` (fewer when the input ends first); leaves it open. */
export async function readUpTo(reader: ByteReader, limit: number): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let total = 0;
  while (total < limit) {
    const buffer = new Uint8Array(Math.min(READ_PIECE_BYTES, limit - total));
    const n = await reader.read(buffer);
    if (n === 0) break;
    pieces.push(buffer.subarray(0, n));
    total += n;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    all.set(piece, at);
    at += piece.length;
  }
  return all;
}

/** Reads a whole input and closes it. */
export async function readAll(reader: ByteReader): Promise<Uint8Array> {
  try {
    return await readUpTo(reader, Infinity);
  } finally {
    await reader.close();
  }
}
