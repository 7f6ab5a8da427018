/**
 * The last 16 symbols as one 128-bit shift register (hi:lo, newest symbol in the low bits),
 * from which the dictionary predictors read contexts of any order: the low order·width bits.
 * The register one step back is kept too (contexts ending at the previous symbol train the
 * models, those ending at the current one predict).
 */

/** Longest context the predictors use, in symbols. */
export const MAX_ORDER: i32 = 16;
/** Bits a directly indexed table may use per order (2^17 u32 = 512 KiB). */
export const DIRECT_BITS: i32 = 17;

/** Register ending at the newest symbol. */
export let nowLo: u64 = 0;
export let nowHi: u64 = 0;
/** Register ending one symbol earlier. */
export let beforeLo: u64 = 0;
export let beforeHi: u64 = 0;
let width: u64 = 1;

/** Empties both registers for symbols of `symbolWidth` bits. */
export function resetHistory(symbolWidth: i32): void {
  nowLo = nowHi = beforeLo = beforeHi = 0;
  width = <u64>symbolWidth;
}

/** Shifts `symbol` in as the newest; the old register becomes the one-step-back register. */
export function pushSymbol(symbol: u64): void {
  beforeLo = nowLo;
  beforeHi = nowHi;
  nowHi = (nowHi << width) | (nowLo >> (64 - width));
  nowLo = (nowLo << width) | symbol;
}

/** Low word of the context of `order` symbols in register (lo, hi). */
// @ts-ignore: decorator
@inline export function contextLo(lo: u64, order: i32): u64 {
  const bits = <u64>order * width;
  return bits >= 64 ? lo : lo & ((<u64>1 << bits) - 1);
}

/** High word of the context of `order` symbols in register (lo, hi). */
// @ts-ignore: decorator
@inline export function contextHi(hi: u64, order: i32): u64 {
  const bits = <u64>order * width;
  return bits <= 64 ? 0 : bits >= 128 ? hi : hi & ((<u64>1 << (bits - 64)) - 1);
}
