/**
 * Lag prediction (§6.3.8): subpredictor d guesses s[i−d] for d = 1..128. Done naively that is
 * 128 score updates per symbol; here the scores are bit-sliced instead: plane k holds bit k of
 * all 128 scores as two u64, so "every subpredictor that matched gains a point" is a ripple-
 * carry add of the 128-bit match mask (about two planes deep on average), and the match mask
 * itself is 8 SIMD compares of the last 128 symbols against s[i].
 *
 * The scoreboard rule (later subpredictors take the lead on ties) then only needs the set of
 * leaders: if a leader matched, the lead score rises and the matched leaders are the new set;
 * otherwise the matchers one point behind join it. The new winner is the largest d among the
 * subpredictors that just reached the lead score, or the old winner if none did.
 *
 * Mask bit m (0..127, lo word first) stands for d = 128 − m, matching memory order: bit m of
 * the compare at i covers the symbol at i − 128 + m.
 */
import { correctCount, longestRun, NULL_SYMBOL, record, resetOutcomes } from "./runs.ts";
import { alloc, mark, release } from "./heap.ts";
import { finishPredictor } from "./bounds.ts";

const LAGS: i32 = 128;
const PLANES: i32 = 32;

/** Largest d (lowest mask bit) in a non-empty 128-bit mask. */
// @ts-ignore: decorator
@inline function largestLag(lo: u64, hi: u64): i32 {
  return lo != 0 ? LAGS - <i32>ctz(lo) : LAGS - 64 - <i32>ctz(hi);
}

/** Lag prediction on `len` symbols of `width` bits; result slots as finishPredictor writes them. */
export function lagPredictor(ptr: usize, len: i32, width: i32): void {
  const top = mark();
  const planes = alloc(<usize>PLANES * 16);
  resetOutcomes();
  let leadScore: i32 = 0;
  let leadersLo: u64 = ~(<u64>0), leadersHi: u64 = ~(<u64>0);
  let winner = 1;
  let historyLo: u64 = 0, historyHi: u64 = <u64>load<u8>(ptr) << 63;
  for (let i = 1; i < len; i++) {
    const actual = <i32>load<u8>(ptr + i);
    record((winner <= i ? <i32>load<u8>(ptr + i - winner) : NULL_SYMBOL) == actual);
    // Match mask over d = 1..min(i, 128).
    let lo: u64 = 0, hi: u64 = 0;
    if (i >= LAGS && width == 1) {
      const flip: u64 = actual != 0 ? 0 : ~(<u64>0);
      lo = historyLo ^ flip;
      hi = historyHi ^ flip;
    } else if (i >= LAGS) {
      const needle = i8x16.splat(<i8>actual);
      const base = ptr + i - LAGS;
      lo = <u64>i8x16.bitmask(i8x16.eq(v128.load(base), needle)) |
        (<u64>i8x16.bitmask(i8x16.eq(v128.load(base, 16), needle)) << 16) |
        (<u64>i8x16.bitmask(i8x16.eq(v128.load(base, 32), needle)) << 32) |
        (<u64>i8x16.bitmask(i8x16.eq(v128.load(base, 48), needle)) << 48);
      hi = <u64>i8x16.bitmask(i8x16.eq(v128.load(base, 64), needle)) |
        (<u64>i8x16.bitmask(i8x16.eq(v128.load(base, 80), needle)) << 16) |
        (<u64>i8x16.bitmask(i8x16.eq(v128.load(base, 96), needle)) << 32) |
        (<u64>i8x16.bitmask(i8x16.eq(v128.load(base, 112), needle)) << 48);
    } else {
      for (let d = 1; d <= i; d++) {
        if (<i32>load<u8>(ptr + i - d) != actual) continue;
        const m = LAGS - d;
        if (m < 64) lo |= <u64>1 << <u64>m;
        else hi |= <u64>1 << <u64>(m - 64);
      }
    }
    // Bits: the last 128 bits in mask order (bit m is s[i − 128 + m]), shifted on every step.
    historyLo = (historyLo >> 1) | (historyHi << 63);
    historyHi = (historyHi >> 1) | (<u64>actual << 63);
    if (lo == 0 && hi == 0) continue;
    const leadLo = leadersLo & lo, leadHi = leadersHi & hi;
    if (leadLo != 0 || leadHi != 0) {
      leadScore++;
      leadersLo = leadLo;
      leadersHi = leadHi;
      winner = largestLag(leadLo, leadHi);
    } else if (leadScore > 0) {
      // Matchers whose score is leadScore − 1, read from the planes before the add.
      const behind = leadScore - 1;
      let eqLo: u64 = lo, eqHi: u64 = hi;
      for (let k = 0; k < PLANES && (eqLo | eqHi) != 0; k++) {
        // Keep the lags whose score bit k equals bit k of `behind` (branch-free: all ones or none).
        const bit = <u64>0 - <u64>((behind >> k) & 1);
        eqLo &= ~(load<u64>(planes + (<usize>k << 4)) ^ bit);
        eqHi &= ~(load<u64>(planes + (<usize>k << 4), 8) ^ bit);
      }
      if (eqLo != 0 || eqHi != 0) {
        leadersLo |= eqLo;
        leadersHi |= eqHi;
        winner = largestLag(eqLo, eqHi);
      }
    }
    // Ripple-carry add of the match mask into the planes.
    let carryLo = lo, carryHi = hi;
    for (let k = 0; k < PLANES && (carryLo | carryHi) != 0; k++) {
      const at = planes + (<usize>k << 4);
      const planeLo = load<u64>(at), planeHi = load<u64>(at, 8);
      store<u64>(at, planeLo ^ carryLo);
      store<u64>(at, planeHi ^ carryHi, 8);
      carryLo &= planeLo;
      carryHi &= planeHi;
    }
  }
  release(top);
  finishPredictor(correctCount, <f64>longestRun, <f64>(len - 1), width);
}
