/**
 * Preparing samples as NIST's tool does before estimating: keep the low `width` bits, expand
 * them MSB-first into a bitstring of one bit per byte, and rank-map the literal symbols onto
 * 0..k−1 when the values seen are not already exactly that set ("Symbols have been translated").
 */
import { alloc, mark, release } from "./heap.ts";

/**
 * Masks `len` samples at `ptr` to `width` bits in place. Returns (distinct symbols − 1) |
 * (largest symbol << 8) | (1 << 16 when translateSymbols would change them).
 */
export function prepareSymbols(ptr: usize, len: i32, width: i32): i32 {
  const mask = <u8>((<u32>1 << <u32>width) - 1);
  const top = mark();
  const seen = alloc(256 * 4);
  for (let i = 0; i < len; i++) {
    const symbol = load<u8>(ptr + i) & mask;
    store<u8>(ptr + i, symbol);
    store<i32>(seen + (<usize>symbol << 2), 1);
  }
  let distinct = 0, largest = 0;
  for (let v = 0; v < 256; v++) {
    if (load<i32>(seen + (<usize>v << 2)) == 0) continue;
    distinct++;
    largest = v;
  }
  release(top);
  return (distinct - 1) | (largest << 8) | (largest + 1 != distinct ? 1 << 16 : 0);
}

/**
 * Rank-maps `len` symbols in place onto 0..k−1 (k distinct). The tool translates only the
 * literal symbols: the bitstring is expanded from the samples as they were.
 */
export function translateSymbols(ptr: usize, len: i32): void {
  const top = mark();
  const rank = alloc(256);
  for (let i = 0; i < len; i++) store<u8>(rank + load<u8>(ptr + i), 1);
  let next: u8 = 0;
  for (let v = 0; v < 256; v++) if (load<u8>(rank + v)) store<u8>(rank + v, next++);
  for (let i = 0; i < len; i++) store<u8>(ptr + i, load<u8>(rank + load<u8>(ptr + i)));
  release(top);
}

/**
 * Expands `len` symbols of `width` bits at `ptr` MSB-first into `len`·`width` bytes at `out`.
 * Each symbol's bits are spread into the bytes of one u64 (MSB in the lowest byte) and stored
 * whole; the next store overwrites the 8 − width bytes past its bits, and the last one lands in
 * the slack every allocation has (heap.ts).
 */
export function expandBits(ptr: usize, len: i32, width: i32, out: usize): void {
  const align = <u64>(8 - width);
  for (let i = 0; i < len; i++) {
    // Byte k keeps bit 7 − k of the symbol (shifted up to 8 bits); + 0x7F per byte carries
    // into its top bit exactly when that bit was set.
    const kept = ((<u64>load<u8>(ptr + i) << align) * 0x0101010101010101) & 0x0102040810204080;
    store<u64>(out, ((kept + 0x7F7F7F7F7F7F7F7F) >> 7) & 0x0101010101010101);
    out += <usize>width;
  }
}
