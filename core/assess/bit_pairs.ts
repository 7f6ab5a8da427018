/**
 * The count pairs of the bit predictors (MultiMMC and LZ78Y on bits): for every context of
 * 1..16 bits, the counts of 0 and of 1 after it, as one u64 (after 0 low, after 1 high) at
 * index 2^d + context, 1 MiB in all; and the vector steps both use to read all 16 orders of a
 * step's context at once.
 */
import { MAX_ORDER } from "./context.ts";

/** Bytes of the pairs of all orders. */
export const BIT_PAIRS_BYTES: usize = <usize>8 << (MAX_ORDER + 1);

/**
 * Where order d's pair of the context `now` ends with sits (newest bit lowest; a constant d
 * folds). 2^d is added rather than or-ed in: a JIT folds the sum into the load's address.
 */
// @ts-ignore: decorator
@inline export function bitPairAt(pairs: usize, now: u32, d: i32): usize {
  return pairs + (<usize>8 << d) + (<usize>(now & ((1 << d) - 1)) << 3);
}

/**
 * The pairs of orders d and d + 1 as one i64x2. The first is read by a splat (its second lane
 * is then overwritten): JavaScriptCore compiles load64_splat to one instruction, load64_zero
 * to four.
 */
// @ts-ignore: decorator
@inline export function twoBitPairs(pairs: usize, now: u32, d: i32): v128 {
  return v128.load64_lane(bitPairAt(pairs, now, d + 1), v128.load64_splat(bitPairAt(pairs, now, d)), 1);
}

/** The halves of two pairs swapped: (after 1, after 0, ...). */
// @ts-ignore: decorator
@inline export function swapHalves(two: v128): v128 {
  return i32x4.shuffle(two, two, 1, 0, 3, 2);
}

/**
 * Lanes (after 0 > after 1, after 1 > after 0, ...) of two pairs: all ones where true. Counts
 * are below 2^31 (a bitstring has fewer than 2^31 bits), so the signed compare, one x86
 * instruction where the unsigned one takes three or four, is the same.
 */
// @ts-ignore: decorator
@inline export function halvesGreater(two: v128): v128 {
  return i32x4.gt_s(two, swapHalves(two));
}

/**
 * One bit per i32 lane of 8 vectors whose lanes are all ones or zero, vector k's lane l at bit
 * 4k + l: with the vectors of twoBitPairs from order 1 up, order d's two lanes land at bits
 * 2(d − 1) and 2(d − 1) + 1.
 */
// @ts-ignore: decorator
@inline export function laneBits(a: v128, b: v128, c: v128, d: v128, e: v128, f: v128, g: v128, h: v128): u32 {
  const low = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d));
  const high = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(e, f), i16x8.narrow_i32x4_s(g, h));
  return <u32>i8x16.bitmask(low) | (<u32>i8x16.bitmask(high) << 16);
}
