/**
 * The sums behind Fourmilab ent's serial correlation (byte and bit mode) and Monte Carlo π,
 * streaming with carries across chunks. Everything else ent prints (entropy, χ², mean) comes
 * from the byte histogram of the block pass.
 *
 * Serial correlation needs t1 = Σ u_i·u_{i+1} (the circular term last·first is added by the
 * binding); bytes use SIMD dot products of the data with itself shifted by one byte. Bits
 * need the adjacent 1-1 pairs: those inside a byte come from the histogram (the binding adds
 * Σ count[v]·popcount(v & v >> 1)); here only the pairs across bytes, lsb(b_i) & msb(b_i+1).
 * Monte Carlo: each 6 bytes give X (bytes 0-2) and Y (bytes 3-5) big-endian; a hit when
 * X² + Y² ≤ (2^24 − 1)², which is exact in u64 (ent's doubles are exact here too). Four tries
 * (24 bytes) at a time: a swizzle per 12 bytes gathers the two tries there as
 * [X0, X1, Y0, Y1] in i32 lanes, extmul squares them into u64 lanes (< 2^49) and an integer
 * compare counts the hits.
 */

/** Iterations of 16 bytes before the u8 bit-pair lanes are widened (each adds at most 1). */
const FLUSH_VECTORS: i32 = 255;
const MONTE_RADIUS_SQ: u64 = <u64>0xFFFFFF * <u64>0xFFFFFF;
/** Gathers two tries' 6 bytes as big-endian 24-bit X0, X1, Y0, Y1 in i32 lanes (-1: zero). */
const MONTE_GATHER: v128 = i8x16(2, 1, 0, -1, 8, 7, 6, -1, 5, 4, 3, -1, 11, 10, 9, -1);

let hasLast = false;
/** First and last byte of the stream (for the circular term). */
export let entFirst: i32 = 0;
export let entLast: i32 = 0;
/** Σ u_i·u_{i+1} over bytes, and 1-1 bit pairs across byte boundaries, excluding the circular term. */
export let entPairBytes: i64 = 0;
export let entPairBits: i64 = 0;
export let monteTries: i64 = 0;
export let monteHits: i64 = 0;
let montePending: i32 = 0;
let monteX: u32 = 0;
let monteY: u32 = 0;

/** Resets all ent state. */
export function entReset(): void {
  hasLast = false;
  entFirst = entLast = 0;
  entPairBytes = entPairBits = monteTries = monteHits = 0;
  montePending = 0;
  monteX = monteY = 0;
}

// @ts-ignore: decorator
@inline function sumLanes(v: v128): i64 {
  return <i64>i32x4.extract_lane(v, 0) + <i64>i32x4.extract_lane(v, 1) +
    <i64>i32x4.extract_lane(v, 2) + <i64>i32x4.extract_lane(v, 3);
}

/**
 * Pairs (i, i+1) for i in [0, len-1). Per 16 bytes a (at i) and b (at i+1) are read as u16
 * lanes: lane j of a holds bytes 2j (low) and 2j+1 (high), of b bytes 2j+1 and 2j+2, so byte
 * 2j+1 times the sum of its two neighbours covers both pairs it is in, and one i16 dot product
 * (255 · 510 per lane, two lanes per i32) adds eight of those; 4 single-instruction ops where
 * byte products by extmul and pairwise widening took 6 multi-instruction ones. The bit pairs
 * lsb(a) & msb(b) (already 0 or 1 per lane) are added in u8 lanes, widened every 255 vectors.
 */
function pairs(ptr: usize, len: i32): void {
  let i = 0;
  const one16 = i16x8.splat(1);
  const lowBytes = i16x8.splat(0xFF);
  while (i + 17 <= len) {
    let accBytes = i32x4.splat(0);
    let accBits = i8x16.splat(0);
    const end = min(len - 17, i + (FLUSH_VECTORS - 1) * 16);
    for (; i <= end; i += 16) {
      const a = v128.load(ptr + i);
      const b = v128.load(ptr + i + 1);
      const middle = i16x8.shr_u(a, 8);
      const sides = i16x8.add(v128.and(a, lowBytes), i16x8.shr_u(b, 8));
      accBytes = i32x4.add(accBytes, i32x4.dot_i16x8_s(middle, sides));
      accBits = i8x16.add(accBits, v128.and(a, i8x16.shr_u(b, 7)));
    }
    entPairBytes += sumLanes(accBytes);
    entPairBits += sumLanes(i32x4.dot_i16x8_s(i16x8.extadd_pairwise_i8x16_u(accBits), one16));
  }
  for (; i + 1 < len; i++) {
    const a = <u32>load<u8>(ptr + i), b = <u32>load<u8>(ptr + i + 1);
    entPairBytes += <i64>(a * b);
    entPairBits += <i64>(a & (b >> 7) & 1);
  }
}

function monte(ptr: usize, len: i32): void {
  let i = 0;
  while (montePending > 0 && i < len) {
    const b = <u32>load<u8>(ptr + i++);
    if (montePending < 3) monteX = (monteX << 8) | b;
    else monteY = (monteY << 8) | b;
    if (++montePending == 6) {
      monteTries++;
      if (<u64>monteX * monteX + <u64>monteY * monteY <= MONTE_RADIUS_SQ) monteHits++;
      montePending = 0;
    }
  }
  let hits: i64 = 0;
  const start = i;
  // A hit is r <= R², tested as R² + 1 > r: one signed i64 compare where <= takes two on x86.
  const beyond = i64x2.splat(<i64>MONTE_RADIUS_SQ + 1);
  let acc = i64x2.splat(0);
  for (; i + 24 <= len; i += 24) {
    // [X, X, Y, Y] of the tries in bytes 0-11 and 12-23 (the second load reads 4 bytes past
    // them); the squares are exact u64 products (extmul), compared as integers. One swizzle per
    // two tries measured faster than two-input shuffles gathering all four X and all four Y
    // (and a mask), and than converting to f64.
    const a = v128.load(ptr + i), b = v128.load(ptr + i + 12);
    const t01 = i8x16.swizzle(a, MONTE_GATHER);
    const t23 = i8x16.swizzle(b, MONTE_GATHER);
    const r01 = i64x2.add(i64x2.extmul_low_i32x4_u(t01, t01), i64x2.extmul_high_i32x4_u(t01, t01));
    const r23 = i64x2.add(i64x2.extmul_low_i32x4_u(t23, t23), i64x2.extmul_high_i32x4_u(t23, t23));
    acc = i64x2.sub(i64x2.sub(acc, i64x2.gt_s(beyond, r01)), i64x2.gt_s(beyond, r23));
  }
  hits += i64x2.extract_lane(acc, 0) + i64x2.extract_lane(acc, 1);
  for (; i + 6 <= len; i += 6) {
    const p = ptr + i;
    const x = (<u64>load<u8>(p) << 16) | (<u64>load<u8>(p, 1) << 8) | <u64>load<u8>(p, 2);
    const y = (<u64>load<u8>(p, 3) << 16) | (<u64>load<u8>(p, 4) << 8) | <u64>load<u8>(p, 5);
    hits += <i64>(x * x + y * y <= MONTE_RADIUS_SQ);
  }
  monteTries += (i - start) / 6;
  monteHits += hits;
  if (montePending == 0) monteX = monteY = 0; // a short chunk may still be filling the first try
  for (; i < len; i++) {
    const b = <u32>load<u8>(ptr + i);
    if (montePending < 3) monteX = (monteX << 8) | b;
    else monteY = (monteY << 8) | b;
    montePending++;
  }
}

/** Adds `len` bytes at `ptr` (readable 16 bytes past the end) to the ent sums. */
export function entUpdate(ptr: usize, len: i32): void {
  if (len <= 0) return;
  const first = <u32>load<u8>(ptr);
  if (hasLast) {
    const a = <u32>entLast;
    entPairBytes += <i64>(a * first);
    entPairBits += <i64>(a & (first >> 7) & 1);
  } else {
    entFirst = <i32>first;
    hasLast = true;
  }
  pairs(ptr, len);
  entLast = <i32>load<u8>(ptr + len - 1);
  monte(ptr, len);
}
