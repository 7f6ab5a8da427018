/**
 * Digital sum value: the walk +1 per 1 bit, −1 per 0 bit (MSB first) and its extremes over the
 * whole stream. A 256-entry table gives each byte's net step and the lowest and highest point
 * of its 8-step walk, so the walk advances a byte at a time with no per-bit work; groups that
 * cannot reach a new extreme advance by popcount alone.
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

/** Bytes per screened group: the walk moves at most 8 steps per byte. */
const GROUP_BYTES: i32 = 64;

/**
 * Advances the walk over `len` bytes at `ptr`. A group of 64 bytes with `ones` one bits can
 * reach no lower than sum − zeros and no higher than sum + ones; when that stays strictly
 * inside the extremes so far (most of the time, since the walk wanders like √n), the group
 * costs 8 popcounts. Otherwise its 8-byte words get the same screen (a word moves the walk by
 * 64 steps at most, so few of them are near an extreme) and only those that fail it are walked
 * byte by byte with the table: near the extremes that made the group pass cost ~25 %.
 */
export function dsvUpdate(ptr: usize, len: i32): void {
  let s = dsvSum, lo = dsvMin, hi = dsvMax;
  let i = 0;
  for (; i + GROUP_BYTES <= len; i += GROUP_BYTES) {
    const p = ptr + <usize>i;
    const ones = <i64>(popcnt(load<u64>(p)) + popcnt(load<u64>(p, 8)) + popcnt(load<u64>(p, 16)) +
      popcnt(load<u64>(p, 24)) + popcnt(load<u64>(p, 32)) + popcnt(load<u64>(p, 40)) + popcnt(load<u64>(p, 48)) +
      popcnt(load<u64>(p, 56)));
    const zeros = <i64>(GROUP_BYTES * 8) - ones;
    if (s - zeros > lo && s + ones < hi) {
      s += ones - zeros;
      continue;
    }
    for (let w = 0; w < GROUP_BYTES; w += 8) {
      const wordOnes = <i64>popcnt(load<u64>(p + w));
      const wordZeros = 64 - wordOnes;
      if (s - wordZeros > lo && s + wordOnes < hi) {
        s += wordOnes - wordZeros;
        continue;
      }
      for (let j = 0; j < 8; j++) {
        const t = TABLE_PTR + <usize>load<u8>(p + w + j) * 12;
        lo = min(lo, s + <i64>load<i32>(t, 4));
        hi = max(hi, s + <i64>load<i32>(t, 8));
        s += <i64>load<i32>(t);
      }
    }
  }
  for (; i < len; i++) {
    const t = TABLE_PTR + <usize>load<u8>(ptr + i) * 12;
    lo = min(lo, s + <i64>load<i32>(t, 4));
    hi = max(hi, s + <i64>load<i32>(t, 8));
    s += <i64>load<i32>(t);
  }
  dsvSum = s;
  dsvMin = lo;
  dsvMax = hi;
}
