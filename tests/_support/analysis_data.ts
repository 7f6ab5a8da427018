/**
 * Deterministic test data for the analysis tests and benchmark: AES-128-CTR keystream under a
 * fixed key (ideal-looking bytes, never random between runs) and deliberately broken sources.
 */
import { createCipheriv } from "node:crypto";

/** `length` bytes of AES-128-CTR keystream; `seed` picks the key. */
export function idealBytes(length: number, seed = 1): Uint8Array {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed >>> 0, 12);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  return new Uint8Array(cipher.update(Buffer.alloc(length)));
}

/** Ideal bytes where each bit is forced to 1 with probability `extraOnes` (a biased source). */
export function biasedBits(length: number, extraOnes: number, seed = 2): Uint8Array {
  const data = idealBytes(length, seed);
  const noise = idealBytes(length * 8, seed + 1000);
  const threshold = Math.round(extraOnes * 256);
  for (let i = 0; i < length; i++) {
    let mask = 0;
    for (let j = 0; j < 8; j++) if (noise[i * 8 + j] < threshold) mask |= 1 << j;
    data[i] |= mask;
  }
  return data;
}

/** Splits `data` into chunks of pseudo-random sizes in [1, maxChunk] from a fixed seed. */
export function* randomChunks(data: Uint8Array, maxChunk: number, seed = 7): Generator<Uint8Array> {
  let state = seed >>> 0;
  for (let offset = 0; offset < data.length;) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    // Mostly small chunks, sometimes huge ones.
    const size = 1 + (state >>> 8) % (state & 1 ? maxChunk : 64);
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}
