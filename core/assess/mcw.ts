/**
 * MultiMCW prediction (§6.3.7): four subpredictors each guess the most common value of the last
 * w = 63, 255, 1023, 4095 symbols, ties going to the value seen most recently. Each window
 * keeps counts, how many symbols have each count, and its mode incrementally; the counts are
 * rescanned only when the mode leaves a window and another symbol then ties or beats it (on
 * skewed data the mode leaves at almost every step, but rarely loses its lead).
 */
import { alloc, mark, release } from "./heap.ts";
import { correctCount, longestRun, NULL_SYMBOL, record, resetOutcomes, updateScoreboard } from "./runs.ts";
import { finishPredictor } from "./bounds.ts";

const WINDOWS: i32 = 4;
/** Window w_j = 2^(6 + 2j) − 1. */
// @ts-ignore: decorator
@inline function windowOf(j: i32): i32 {
  return (1 << (6 + 2 * j)) - 1;
}

// @ts-ignore: decorator
@inline function bump(tally: usize, count: i32, delta: i32): void {
  const at = tally + (<usize>count << 2);
  store<i32>(at, load<i32>(at) + delta);
}

/** MultiMCW on `len` symbols below 2^width; result slots as finishPredictor writes them. */
export function multiMcw(ptr: usize, len: i32, width: i32): void {
  if (width == 1) {
    multiMcwBits(ptr, len);
    return;
  }
  const top = mark();
  const alphabet = 1 << width;
  const counts = alloc(<usize>(WINDOWS * alphabet) << 2);
  const lastSeen = alloc(<usize>alphabet << 2);
  const modes = alloc(<usize>WINDOWS << 2);
  const scores = alloc(<usize>WINDOWS << 2);
  const guesses = alloc(<usize>WINDOWS << 2);
  // Per window: tally[c] = symbols with count c (window j's tally starts at tallies + 4·2^(6+2j)).
  const tallies = alloc(<usize>4 << (6 + 2 * WINDOWS));
  resetOutcomes();
  let winner = 0;
  const first = windowOf(0);
  for (let i = 0; i < len; i++) {
    const actual = <i32>load<u8>(ptr + i);
    if (i >= first) {
      for (let j = 0; j < WINDOWS; j++) {
        store<i32>(guesses + (<usize>j << 2), i >= windowOf(j) ? load<i32>(modes + (<usize>j << 2)) : NULL_SYMBOL);
      }
      record(load<i32>(guesses + (<usize>winner << 2)) == actual);
      winner = updateScoreboard(scores, guesses, WINDOWS, actual, winner);
    }
    store<i32>(lastSeen + (<usize>actual << 2), i);
    for (let j = 0; j < WINDOWS; j++) {
      const base = counts + (<usize>(j * alphabet) << 2);
      const tally = tallies + (<usize>4 << (6 + 2 * j));
      const modeAt = modes + (<usize>j << 2);
      const added = load<i32>(base + (<usize>actual << 2)) + 1;
      store<i32>(base + (<usize>actual << 2), added);
      bump(tally, added - 1, -1);
      bump(tally, added, 1);
      if (added >= load<i32>(base + (<usize>load<i32>(modeAt) << 2))) store<i32>(modeAt, actual);
      const leaving = i - windowOf(j);
      if (leaving < 0) continue;
      const gone = <i32>load<u8>(ptr + leaving);
      const left = load<i32>(base + (<usize>gone << 2)) - 1;
      store<i32>(base + (<usize>gone << 2), left);
      bump(tally, left + 1, -1);
      bump(tally, left, 1);
      if (gone != load<i32>(modeAt)) continue;
      // The mode lost one: it keeps the lead unless another symbol has its old count or ties it.
      if (load<i32>(tally + (<usize>(left + 1) << 2)) == 0 && load<i32>(tally + (<usize>left << 2)) == 1) continue;
      let mode = 0, best = -1, latest = -1;
      for (let x = 0; x < alphabet; x++) {
        const c = load<i32>(base + (<usize>x << 2));
        const seen = load<i32>(lastSeen + (<usize>x << 2));
        if (c > best || (c == best && seen > latest)) {
          mode = x;
          best = c;
          latest = seen;
        }
      }
      store<i32>(modeAt, mode);
    }
  }
  release(top);
  finishPredictor(correctCount, <f64>longestRun, <f64>(len - first), width);
}

/**
 * Bits: a full window's mode is 1 exactly when it holds more ones than half its (odd) width,
 * so there are never ties and a running count of ones per window is the whole state.
 */
function multiMcwBits(ptr: usize, len: i32): void {
  const top = mark();
  const scores = alloc(<usize>WINDOWS << 2);
  const guesses = alloc(<usize>WINDOWS << 2);
  resetOutcomes();
  let ones0 = 0, ones1 = 0, ones2 = 0, ones3 = 0;
  let winner = 0;
  const first = windowOf(0);
  for (let i = 0; i < len; i++) {
    const actual = <i32>load<u8>(ptr + i);
    if (i >= first) {
      store<i32>(guesses, ones0 * 2 > windowOf(0) ? 1 : 0);
      store<i32>(guesses, i >= windowOf(1) ? (ones1 * 2 > windowOf(1) ? 1 : 0) : NULL_SYMBOL, 4);
      store<i32>(guesses, i >= windowOf(2) ? (ones2 * 2 > windowOf(2) ? 1 : 0) : NULL_SYMBOL, 8);
      store<i32>(guesses, i >= windowOf(3) ? (ones3 * 2 > windowOf(3) ? 1 : 0) : NULL_SYMBOL, 12);
      record(load<i32>(guesses + (<usize>winner << 2)) == actual);
      winner = updateScoreboard(scores, guesses, WINDOWS, actual, winner);
    }
    ones0 += actual - (i >= windowOf(0) ? <i32>load<u8>(ptr + i - windowOf(0)) : 0);
    ones1 += actual - (i >= windowOf(1) ? <i32>load<u8>(ptr + i - windowOf(1)) : 0);
    ones2 += actual - (i >= windowOf(2) ? <i32>load<u8>(ptr + i - windowOf(2)) : 0);
    ones3 += actual - (i >= windowOf(3) ? <i32>load<u8>(ptr + i - windowOf(3)) : 0);
  }
  release(top);
  finishPredictor(correctCount, <f64>longestRun, <f64>(len - first), 1);
}
