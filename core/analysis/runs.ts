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
 * Per 16 boundaries: nibble tables (swizzle) give t and h, and for each category one more
 * swizzle of t + h into a table of -1/0 marks its lanes, added up in u8 lanes (156 vectors per
 * block cannot overflow them). a != 0xFF is folded in as t = 0x44, beyond the 16-entry tables,
 * which swizzle maps to 0. One swizzle per category measured ~2 % faster than mapping t + h to
 * a category number and comparing it with each length.
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
// Lanes of length category L (1..6) by t + h: -1 where the category is L, else 0.
const IS1: v128 = i8x16(0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
const IS2: v128 = i8x16(0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
const IS3: v128 = i8x16(0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
const IS4: v128 = i8x16(0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
const IS5: v128 = i8x16(0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
const IS6: v128 = i8x16(0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);

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
  for (let i = 0; i < 2496; i += 16) {
    const a = v128.load(ptr + i), c = v128.load(ptr + i + 1);
    const alo = v128.and(a, nib), ahi = i8x16.shr_u(a, 4);
    const clo = v128.and(c, nib), chi = i8x16.shr_u(c, 4);
    const t1 = i8x16.add(i8x16.swizzle(T1L, alo), v128.and(i8x16.swizzle(T1H, ahi), i8x16.eq(alo, f)));
    const h1 = i8x16.add(i8x16.swizzle(L1, chi), v128.and(i8x16.swizzle(L1, clo), i8x16.eq(chi, f)));
    const t0 = i8x16.add(i8x16.swizzle(T0L, alo), v128.and(i8x16.swizzle(T0H, ahi), i8x16.eq(alo, z)));
    const h0 = i8x16.add(i8x16.swizzle(L0, chi), v128.and(i8x16.swizzle(L0, clo), i8x16.eq(chi, z)));
    const k1 = i8x16.add(t1, h1), k0 = i8x16.add(t0, h0);
    o1 = i8x16.add(o1, i8x16.swizzle(IS1, k1)); o2 = i8x16.add(o2, i8x16.swizzle(IS2, k1));
    o3 = i8x16.add(o3, i8x16.swizzle(IS3, k1)); o4 = i8x16.add(o4, i8x16.swizzle(IS4, k1));
    o5 = i8x16.add(o5, i8x16.swizzle(IS5, k1)); o6 = i8x16.add(o6, i8x16.swizzle(IS6, k1));
    e1 = i8x16.add(e1, i8x16.swizzle(IS1, k0)); e2 = i8x16.add(e2, i8x16.swizzle(IS2, k0));
    e3 = i8x16.add(e3, i8x16.swizzle(IS3, k0)); e4 = i8x16.add(e4, i8x16.swizzle(IS4, k0));
    e5 = i8x16.add(e5, i8x16.swizzle(IS5, k0)); e6 = i8x16.add(e6, i8x16.swizzle(IS6, k0));
  }
  // The lanes hold -count (mod 256).
  o1 = i8x16.neg(o1); o2 = i8x16.neg(o2); o3 = i8x16.neg(o3); o4 = i8x16.neg(o4); o5 = i8x16.neg(o5); o6 = i8x16.neg(o6);
  e1 = i8x16.neg(e1); e2 = i8x16.neg(e2); e3 = i8x16.neg(e3); e4 = i8x16.neg(e4); e5 = i8x16.neg(e5); e6 = i8x16.neg(e6);
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
