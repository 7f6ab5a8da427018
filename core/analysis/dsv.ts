/**
 * Digital sum value: the walk +1 per 1 bit, −1 per 0 bit (MSB first) and its extremes over the
 * whole stream. A 256-entry table gives each byte's net step and the lowest and highest point
 * of its 8-step walk, so the walk advances a byte at a time with no per-bit work.
 */

/** Per byte value: net step, minimum prefix, maximum prefix (i32 each). */
const TABLE_PTR: usize = memory.data(256 * 12, 16);
let tableReady = false;

/** The walk's value now and its extremes since the start (the start value 0 counts). */
export let dsvSum: i64 = 0;
export let dsvMin: i64 = 0;
export let dsvMax: i64 = 0;

function buildTable(): void {
  for (let v = 0; v < 256; v++) {
    let s = 0, lo = 0, hi = 0;
    for (let j = 7; j >= 0; j--) {
      s += ((v >> j) & 1) != 0 ? 1 : -1;
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    store<i32>(TABLE_PTR + v * 12, s);
    store<i32>(TABLE_PTR + v * 12, lo, 4);
    store<i32>(TABLE_PTR + v * 12, hi, 8);
  }
  tableReady = true;
}

/** Resets the walk. */
export function dsvReset(): void {
  if (!tableReady) buildTable();
  dsvSum = dsvMin = dsvMax = 0;
}

/** Advances the walk over `len` bytes at `ptr`. */
export function dsvUpdate(ptr: usize, len: i32): void {
  // Relative to this call's start the walk stays within ±8·len, which fits i32.
  let s: i32 = 0, lo: i32 = 0, hi: i32 = 0;
  for (let i = 0; i < len; i++) {
    const t = TABLE_PTR + <usize>load<u8>(ptr + i) * 12;
    lo = min(lo, s + load<i32>(t, 4));
    hi = max(hi, s + load<i32>(t, 8));
    s += load<i32>(t);
  }
  if (dsvSum + <i64>lo < dsvMin) dsvMin = dsvSum + <i64>lo;
  if (dsvSum + <i64>hi > dsvMax) dsvMax = dsvSum + <i64>hi;
  dsvSum += <i64>s;
}
