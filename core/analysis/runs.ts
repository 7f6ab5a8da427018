/**
 * FIPS 140-2 runs of one 2500-byte block, counted per byte boundary in SIMD.
 *
 * Every run of ones either lies inside one byte without touching its first or last bit (an
 * "interior" run: its count comes from the block's byte histogram times a table), or touches
 * a byte edge. A run touching an edge is counted once, at the boundary between bytes a and c
 * where it passes or ends: with t = trailing ones of a and h = leading ones of c, the boundary
 * holds a run when a != 0xFF and t + h >= 1, and its length category is min(t + h, 6) (when c
 * is 0xFF the run is at least 8 long, category 6 either way; when a is 0xFF the run was counted
 * at an earlier boundary). The block start and end are boundaries with a virtual byte of the
 * other value (the run is split there, as the fixed rngtest does). Zeros likewise.
 *
 * Per 16 boundaries: nibble tables (swizzle) give t and h, and one swizzle of t + h per pair of
 * categories marks its lanes with 0x01 (first) or 0x10 (second): two counters share a byte, one
 * per nibble, and are split into u8 lanes every 15 vectors before a nibble could overflow (156
 * vectors per block cannot overflow the u8 lanes). That is 3 swizzles and 3 adds per polarity
 * where one -1/0 table per category took 6 and 6 (runs count ~20 % cheaper). a != 0xFF is
 * folded in as t = 0x44, beyond the 16-entry tables, which swizzle maps to 0.
 */

/** Interior runs per byte value, packed two lengths per i32 (low and high 16 bits). */
export const INTERIOR_PTR: usize = memory.data(6 * 256 * 4, 16);
/** Run counts of the block: ones lengths 1..6 at [0..5], zeros at [6..11] (i32). */
export const RUNS_PTR: usize = memory.data(12 * 4, 16);

const T1L: v128 = i8x16(0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0, 4);
const T1H: v128 = i8x16(0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0, 0x40);
const L1: v128 = i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 4);
const T0L: v128 = i8x16(4, 0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0);
const T0H: v128 = i8x16(0x40, 0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0);
const L0: v128 = i8x16(4, 3, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
// Length categories by t + h, two per table: 0x01 where the category is the first of the pair,
// 0x10 where it is the second (6 stands for 6 or more), else 0.
const CAT12: v128 = i8x16(0, 0x01, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
const CAT34: v128 = i8x16(0, 0, 0, 0x01, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
const CAT56: v128 = i8x16(0, 0, 0, 0, 0, 0x01, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
/** Vectors a nibble counter takes (at most one count each) before it must be split off. */
const NIBBLE_VECTORS: i32 = 15;

let tablesReady = false;

/** Interior runs of `v` (bits `bit` = 1 or 0) per length 1..6, as counts[length]. */
function interior(v: i32, bit: i32, length: i32): i32 {
  let count = 0;
  let j = 6; // bits 6..1 may hold interior runs; bit 7 and bit 0 touch the edges
  while (j >= 1) {
    if (((v >> j) & 1) != bit) {
      j--;
      continue;
    }
    let k = j;
    while (k >= 0 && ((v >> k) & 1) == bit) k--;
    // The run covers bits j..k+1; interior when it starts below bit 7 and ends above bit 0.
    const startsInside = j < 7 && ((v >> (j + 1)) & 1) != bit;
    if (startsInside && k >= 0 && min(j - k, 6) == length) count++;
    j = k;
  }
  return count;
}

/** Builds the interior tables (once). */
export function runsTablesInit(): void {
  if (tablesReady) return;
  for (let v = 0; v < 256; v++) {
    for (let pair = 0; pair < 6; pair++) {
      const bit = pair < 3 ? 1 : 0;
      const first = (pair % 3) * 2 + 1;
      store<i32>(INTERIOR_PTR + ((<usize>pair * 256 + v) << 2), interior(v, bit, first) | (interior(v, bit, first + 1) << 16));
    }
  }
  tablesReady = true;
}

// @ts-ignore: decorator
@inline function sum8(v: v128): i32 {
  const s = i32x4.dot_i16x8_s(i16x8.extadd_pairwise_i8x16_u(v), i16x8.splat(1));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}

/** Counts one boundary (a, c) in scalar (a, c as bytes; a virtual byte is passed by value). */
function boundary(a: u32, c: u32): void {
  if (a != 0xFF) {
    const s = <i32>ctz(~a) + <i32>clz(~(c << 24));
    if (s > 0) countAt(min(s, 6) - 1);
  }
  const na = ~a & 0xFF, nc = ~c & 0xFF;
  if (na != 0xFF) {
    const s = <i32>ctz(~na) + <i32>clz(~(nc << 24));
    if (s > 0) countAt(6 + min(s, 6) - 1);
  }
}

// @ts-ignore: decorator
@inline function countAt(slot: i32): void {
  const p = RUNS_PTR + (<usize>slot << 2);
  store<i32>(p, load<i32>(p) + 1);
}

/**
 * Counts the runs of the block at `ptr` that touch a byte edge into RUNS_PTR (overwriting it);
 * the caller adds the interior runs from the histogram.
 */
export function boundaryRuns(ptr: usize): void {
  const nib = i8x16.splat(0x0F), f = i8x16.splat(15), z = i8x16.splat(0);
  let o1 = z, o2 = z, o3 = z, o4 = z, o5 = z, o6 = z;
  let e1 = z, e2 = z, e3 = z, e4 = z, e5 = z, e6 = z;
  for (let i = 0; i < 2496;) {
    let o12 = z, o34 = z, o56 = z, e12 = z, e34 = z, e56 = z;
    const end = min(i + NIBBLE_VECTORS * 16, 2496);
    for (; i < end; i += 16) {
      const a = v128.load(ptr + i), c = v128.load(ptr + i + 1);
      const alo = v128.and(a, nib), ahi = i8x16.shr_u(a, 4);
      const clo = v128.and(c, nib), chi = i8x16.shr_u(c, 4);
      const t1 = i8x16.add(i8x16.swizzle(T1L, alo), v128.and(i8x16.swizzle(T1H, ahi), i8x16.eq(alo, f)));
      const h1 = i8x16.add(i8x16.swizzle(L1, chi), v128.and(i8x16.swizzle(L1, clo), i8x16.eq(chi, f)));
      const t0 = i8x16.add(i8x16.swizzle(T0L, alo), v128.and(i8x16.swizzle(T0H, ahi), i8x16.eq(alo, z)));
      const h0 = i8x16.add(i8x16.swizzle(L0, chi), v128.and(i8x16.swizzle(L0, clo), i8x16.eq(chi, z)));
      const k1 = i8x16.add(t1, h1), k0 = i8x16.add(t0, h0);
      o12 = i8x16.add(o12, i8x16.swizzle(CAT12, k1)); o34 = i8x16.add(o34, i8x16.swizzle(CAT34, k1));
      o56 = i8x16.add(o56, i8x16.swizzle(CAT56, k1));
      e12 = i8x16.add(e12, i8x16.swizzle(CAT12, k0)); e34 = i8x16.add(e34, i8x16.swizzle(CAT34, k0));
      e56 = i8x16.add(e56, i8x16.swizzle(CAT56, k0));
    }
    o1 = i8x16.add(o1, v128.and(o12, nib)); o2 = i8x16.add(o2, i8x16.shr_u(o12, 4));
    o3 = i8x16.add(o3, v128.and(o34, nib)); o4 = i8x16.add(o4, i8x16.shr_u(o34, 4));
    o5 = i8x16.add(o5, v128.and(o56, nib)); o6 = i8x16.add(o6, i8x16.shr_u(o56, 4));
    e1 = i8x16.add(e1, v128.and(e12, nib)); e2 = i8x16.add(e2, i8x16.shr_u(e12, 4));
    e3 = i8x16.add(e3, v128.and(e34, nib)); e4 = i8x16.add(e4, i8x16.shr_u(e34, 4));
    e5 = i8x16.add(e5, v128.and(e56, nib)); e6 = i8x16.add(e6, i8x16.shr_u(e56, 4));
  }
  store<i32>(RUNS_PTR, sum8(o1), 0); store<i32>(RUNS_PTR, sum8(o2), 4); store<i32>(RUNS_PTR, sum8(o3), 8);
  store<i32>(RUNS_PTR, sum8(o4), 12); store<i32>(RUNS_PTR, sum8(o5), 16); store<i32>(RUNS_PTR, sum8(o6), 20);
  store<i32>(RUNS_PTR, sum8(e1), 24); store<i32>(RUNS_PTR, sum8(e2), 28); store<i32>(RUNS_PTR, sum8(e3), 32);
  store<i32>(RUNS_PTR, sum8(e4), 36); store<i32>(RUNS_PTR, sum8(e5), 40); store<i32>(RUNS_PTR, sum8(e6), 44);
  for (let i = 2496; i < 2499; i++) boundary(<u32>load<u8>(ptr + i), <u32>load<u8>(ptr + i + 1));
  // The block's edges: a virtual byte of the other value on each side splits the runs there.
  const first = <u32>load<u8>(ptr), last = <u32>load<u8>(ptr + 2499);
  boundary(first >> 7 ? 0x00 : 0xFF, first);
  // At the end only the run through the last bit ends (a virtual byte would start another).
  if (last & 1) {
    if (last != 0xFF) countAt(min(<i32>ctz(~last), 6) - 1);
  } else if (last != 0) countAt(6 + min(<i32>ctz(last), 6) - 1);
}
