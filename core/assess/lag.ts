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
 *
 * Bits take another path (lagBits): there half of all lags match at every step, so the adds
 * ripple ~8 planes deep; instead the scores are plain counts advanced 64 steps at a time.
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
  resetOutcomes();
  if (width == 1) lagBits(ptr, len);
  else lagSymbols(ptr, len, width);
  release(top);
  finishPredictor(correctCount, <f64>longestRun, <f64>(len - 1), width);
}

function lagSymbols(ptr: usize, len: i32, width: i32): void {
  const planes = alloc(<usize>PLANES * 16);
  let leadScore: i32 = 0;
  let leadersLo: u64 = ~(<u64>0), leadersHi: u64 = ~(<u64>0);
  let winner = 1;
  for (let i = 1; i < len; i++) {
    const actual = <i32>load<u8>(ptr + i);
    record((winner <= i ? <i32>load<u8>(ptr + i - winner) : NULL_SYMBOL) == actual);
    // Match mask over d = 1..min(i, 128).
    let lo: u64 = 0, hi: u64 = 0;
    if (i >= LAGS) {
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
}

/** Steps a block of lagBits advances at once: one u64 of match bits per lag. */
const BLOCK_STEPS: i32 = 64;

/** The bits s[p .. p + 63] (bit t is s[p + t]) of the bitstring packed into `words`. */
// @ts-ignore: decorator
@inline function window(words: usize, p: i32): u64 {
  const at = words + (<usize>(p >>> 6) << 3);
  const r = <u64>(p & 63);
  return (load<u64>(at) >> r) | ((load<u64>(at, 8) << 1) << (63 - r));
}

/** The lag lagBits predicts with, and its score (the lead), during a step. */
let bitsWinner: i32 = 1;
let bitsLead: i32 = 0;

/** One lag's turn in a step of the scoreboard: its score grows on a hit, and it leads from a tie. */
// @ts-ignore: decorator
@inline function score(scores: usize, d: i32, hit: i32): void {
  const at = scores + (<usize>d << 2);
  const value = load<i32>(at) + hit;
  store<i32>(at, value);
  const takes = <bool>(hit & <i32>(value >= bitsLead));
  bitsWinner = select<i32>(d, bitsWinner, takes);
  bitsLead = select<i32>(value, bitsLead, takes);
}

/**
 * Lag on bits. The scoreboard rule means the winner always holds the lead score, which never
 * falls; within a block of n steps a lag more than n points behind the lead at its start can
 * therefore never reach it, so it cannot take the lead or change the lead score: its score just
 * grows by the number of its matches, a popcount of (block XNOR lagged block). Only the
 * candidates, the lags within n points, are scored step by step by the rule, in order of d. On
 * noisy data the scores spread like random walks and the candidates are the leader and one or
 * two more; the first 128 steps (not every lag has spoken yet) go one by one over all lags.
 */
function lagBits(ptr: usize, len: i32): void {
  const scores = alloc(<usize>(LAGS + 1) << 2); // i32 by d
  const candidates = alloc(<usize>LAGS << 2); // the block's candidate lags, d ascending
  const candidateMatches = alloc(<usize>LAGS << 3); // and their match bits
  const wordCount = (len + 63) >>> 6;
  const words = alloc(<usize>(wordCount + 1) << 3);
  for (let k = 0; k < wordCount; k++) {
    // Each byte is 0 or 1: shifted to its top bit, 16 of them are one bitmask.
    const at = ptr + (<usize>k << 6);
    store<u64>(
      words + (<usize>k << 3),
      <u64>i8x16.bitmask(i8x16.shl(v128.load(at), 7))
        | (<u64>i8x16.bitmask(i8x16.shl(v128.load(at, 16), 7)) << 16)
        | (<u64>i8x16.bitmask(i8x16.shl(v128.load(at, 32), 7)) << 32)
        | (<u64>i8x16.bitmask(i8x16.shl(v128.load(at, 48), 7)) << 48),
    );
  }
  bitsWinner = 1;
  const warmup = min(len, LAGS);
  for (let i = 1; i < warmup; i++) {
    const actual = load<u8>(ptr + i);
    record(load<u8>(ptr + i - bitsWinner) == actual);
    bitsLead = load<i32>(scores + (<usize>bitsWinner << 2));
    for (let d = 1; d <= i; d++) score(scores, d, <i32>(load<u8>(ptr + i - d) == actual));
  }
  for (let start = LAGS; start < len; start += BLOCK_STEPS) {
    const steps = min(BLOCK_STEPS, len - start);
    const inBlock: u64 = steps == BLOCK_STEPS ? ~(<u64>0) : (<u64>1 << <u64>steps) - 1;
    const actualBits = window(words, start);
    const lead = load<i32>(scores + (<usize>bitsWinner << 2));
    let count = 0;
    for (let d = 1; d <= LAGS; d++) {
      const matches = ~(actualBits ^ window(words, start - d)) & inBlock;
      const at = scores + (<usize>d << 2);
      const score = load<i32>(at);
      if (score + steps >= lead) {
        store<i32>(candidates + (<usize>count << 2), d);
        store<u64>(candidateMatches + (<usize>count << 3), matches);
        count++;
      } else {
        store<i32>(at, score + <i32>popcnt(matches));
      }
    }
    for (let t = 0; t < steps; t++) {
      const i = start + t;
      record(<u64>load<u8>(ptr + i - bitsWinner) == ((actualBits >> <u64>t) & 1));
      bitsLead = load<i32>(scores + (<usize>bitsWinner << 2));
      for (let c = 0; c < count; c++) {
        const hit = <i32>((load<u64>(candidateMatches + (<usize>c << 3)) >> <u64>t) & 1);
        score(scores, load<i32>(candidates + (<usize>c << 2)), hit);
      }
    }
  }
}
