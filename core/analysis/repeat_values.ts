/**
 * Selection values of the repetition check (repeat.ts): a 16-bit value v per stream position
 * from the 2·`terms` bytes there, scalar and 64 positions at a time in SIMD (the same values).
 * Only the order of the values matters: they decide which positions winnowing selects.
 */

/** Selection hash: an odd multiplier (a bijection of the 2-byte gram; the order is what matters). */
const K1: u32 = 0x79b1;

/** v of the position whose bytes start at `p` (the SIMD path computes the same). */
// @ts-ignore: decorator
@inline export function selectionValue(p: usize, terms: i32): u32 {
  let s: u32 = 0;
  for (let j = 0; j < terms; j++) {
    s += <u32>load<u16>(p + (<usize>j << 1)) * K1;
  }
  return s & 0xffff;
}

/** v of the 8 positions starting at `p`, as i16x8 lanes (several terms: see blockBelow for one). */
// @ts-ignore: decorator
@inline function selectionValues8(p: usize, terms: i32): v128 {
  let s = i16x8.splat(0);
  for (let j = 0; j < terms; j++) {
    const bytes = v128.load(p + (<usize>j << 1));
    const grams = i8x16.shuffle(bytes, bytes, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8);
    s = i16x8.add(s, i16x8.mul(grams, i16x8.splat(<i16>K1)));
  }
  return s;
}

/** Mask of the lanes of `v` below `below` (v < below  <=>  v −sat (below − 1) == 0). */
// @ts-ignore: decorator
@inline function lanesBelow(v: v128, below: u32): u32 {
  return i16x8.bitmask(i16x8.eq(i16x8.sub_sat_u(v, i16x8.splat(<i16>(below - 1))), i16x8.splat(0)));
}

/** Bit k of an 8-bit `x` moved to bit 2k. */
// @ts-ignore: decorator
@inline function spread(x: u32): u32 {
  x = (x | (x << 4)) & 0x0f0f;
  x = (x | (x << 2)) & 0x3333;
  return (x | (x << 1)) & 0x5555;
}

/** Bits 0..31: which of the 32 positions' values in `even*` and `odd*` (see {@link blockBelow}) are below `below`. */
// @ts-ignore: decorator
@inline function interleavedBelow(even0: v128, odd0: v128, even1: v128, odd1: v128, below: u32): u64 {
  return <u64>(spread(lanesBelow(even0, below)) | spread(lanesBelow(odd0, below)) << 1 |
    (spread(lanesBelow(even1, below)) | spread(lanesBelow(odd1, below)) << 1) << 16);
}

/**
 * Bit j set for each of the 64 positions from the one whose bytes start at `p` with v below
 * `below`. With one term the 2-byte grams are plain 16-bit loads: those at even offsets from p,
 * then those at odd ones, 8 to a vector, no shuffles (the bits are interleaved afterwards).
 */
// @ts-ignore: decorator
@inline export function blockBelow(p: usize, terms: i32, below: u32): u64 {
  if (terms == 1) {
    const k = i16x8.splat(<i16>K1);
    const e0 = i16x8.mul(v128.load(p), k), o0 = i16x8.mul(v128.load(p + 1), k);
    const e1 = i16x8.mul(v128.load(p + 16), k), o1 = i16x8.mul(v128.load(p + 17), k);
    const e2 = i16x8.mul(v128.load(p + 32), k), o2 = i16x8.mul(v128.load(p + 33), k);
    const e3 = i16x8.mul(v128.load(p + 48), k), o3 = i16x8.mul(v128.load(p + 49), k);
    const least = i16x8.min_u(
      i16x8.min_u(i16x8.min_u(e0, o0), i16x8.min_u(e1, o1)),
      i16x8.min_u(i16x8.min_u(e2, o2), i16x8.min_u(e3, o3)),
    );
    if (lanesBelow(least, below) == 0) return 0; // the usual case, decided with one test
    return interleavedBelow(e0, o0, e1, o1, below) | interleavedBelow(e2, o2, e3, o3, below) << 32;
  }
  let mask: u64 = 0;
  for (let j = 0; j < 8; j++) mask |= <u64>lanesBelow(selectionValues8(p + <usize>(j << 3), terms), below) << (j << 3);
  return mask;
}
