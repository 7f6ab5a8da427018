import { describe, expect, it } from "vitest";
import { type AssessExports, newAssessInstance, RESULT_SLOTS } from "../wasm/_assess.ts";

/**
 * The fast estimators of core/assess/ (suffix arrays, bit-sliced scores, flat and hashed
 * context tables) against plain implementations of the SP 800-90B definitions, on data that
 * exercises their special cases: constant, two-valued, biased, periodic and tiny inputs, and
 * enough random bytes for MultiMMC's 100,000-pair cap. Counts must be identical.
 */

const NULL = -1;

/** Deterministic samples: xorshift32, so a failure reproduces. */
function randomSymbols(n: number, width: number, seed = 1): Uint8Array {
  let x = seed;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) & ((1 << width) - 1);
  }
  return out;
}

/** Bits that are 1 with probability `p` (deterministic). */
function biasedBits(n: number, p: number, seed = 7): Uint8Array {
  const uniform = randomSymbols(n, 8, seed);
  const more = randomSymbols(n, 8, seed + 1);
  return uniform.map((u, i) => ((u << 8) | more[i]) < p * 65536 ? 1 : 0);
}

/** Bytes with a skewed, geometric-like distribution over 0..255. */
function skewedBytes(n: number): Uint8Array {
  const r = randomSymbols(n, 8, 3);
  return r.map((v) => Math.min(255, Math.clz32(v | 1) - 24 + (v & 3)));
}

function periodic(n: number, period: number[]): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => period[i % period.length]);
}

// --- Plain definitions ----------------------------------------------------------------------

/**
 * Counts of every W-tuple for W = 1.. until none repeats: Q[W] max count, S[W] Σ C(count, 2).
 * A W-tuple is named by the id of its first W − 1 symbols and its last symbol.
 */
function tupleCounts(s: Uint8Array): { q: number[]; pairs: number[] } {
  const q = [0], pairs = [0];
  let ids = new Int32Array(s.length); // id of the (W − 1)-tuple at each position (0: empty)
  for (let w = 1; w <= s.length; w++) {
    const names = new Map<number, number>();
    const counts: number[] = [];
    const next = new Int32Array(s.length - w + 1);
    for (let i = 0; i + w <= s.length; i++) {
      const key = ids[i] * 256 + s[i + w - 1];
      let id = names.get(key);
      if (id === undefined) {
        names.set(key, id = names.size);
        counts.push(0);
      }
      counts[id]++;
      next[i] = id;
    }
    ids = next;
    let max = 0, sum = 0;
    for (const c of counts) {
      max = Math.max(max, c);
      sum += c * (c - 1) / 2;
    }
    if (max < 2) break;
    q.push(max);
    pairs.push(sum);
  }
  return { q, pairs };
}

/** t (longest tuple occurring ≥ 35 times) and v (longest repeated substring). */
function tupleAndLrsCounts(s: Uint8Array): { t: number; v: number } {
  const { q } = tupleCounts(s);
  let t = 0;
  while (t + 1 < q.length && q[t + 1] >= 35) t++;
  return { t, v: q.length - 1 };
}

/** Outcome of a predictor: C correct of N, longest run of correct predictions + 1. */
interface Outcome {
  c: number;
  r: number;
  n: number;
}

function tally(outcomes: Array<boolean | null>): Outcome {
  let c = 0, run = 0, longest = 0, n = 0;
  for (const hit of outcomes) {
    n++;
    if (hit === null) continue; // MultiMMC: no prediction neither extends nor breaks a run
    if (hit) {
      c++;
      longest = Math.max(longest, ++run);
    } else run = 0;
  }
  return { c, r: longest + 1, n };
}

/** Scoreboard of §6.3.7: right subpredictors gain a point in order; ties go to the later one. */
function score(scores: number[], guesses: number[], actual: number, winner: number): number {
  for (let j = 0; j < guesses.length; j++) {
    if (guesses[j] !== actual) continue;
    if (++scores[j] >= scores[winner]) winner = j;
  }
  return winner;
}

function multiMcw(s: Uint8Array): Outcome {
  const windows = [63, 255, 1023, 4095];
  const scores = [0, 0, 0, 0];
  const counts = windows.map(() => new Map<number, number>());
  const lastSeen = new Map<number, number>();
  const outcomes: boolean[] = [];
  let winner = 0;
  for (let i = 0; i < s.length; i++) {
    if (i >= 63) {
      const guesses = windows.map((w, j) => {
        if (i < w) return NULL;
        let mode = NULL, best = 0;
        for (const [x, c] of counts[j]) {
          if (c > best || (c === best && lastSeen.get(x)! > lastSeen.get(mode)!)) [mode, best] = [x, c];
        }
        return mode;
      });
      outcomes.push(guesses[winner] === s[i]);
      winner = score(scores, guesses, s[i], winner);
    }
    lastSeen.set(s[i], i);
    windows.forEach((w, j) => {
      counts[j].set(s[i], (counts[j].get(s[i]) ?? 0) + 1);
      if (i >= w) counts[j].set(s[i - w], counts[j].get(s[i - w])! - 1);
    });
  }
  return tally(outcomes);
}

function lag(s: Uint8Array): Outcome {
  const scores = new Array(128).fill(0);
  const outcomes: boolean[] = [];
  let winner = 0; // subpredictor index: lag d = index + 1
  for (let i = 1; i < s.length; i++) {
    const guesses = scores.map((_, j) => (j + 1 <= i ? s[i - j - 1] : NULL));
    outcomes.push(guesses[winner] === s[i]);
    winner = score(scores, guesses, s[i], winner);
  }
  return tally(outcomes);
}

/** The commonest symbol in `counts`, the larger on ties; NULL when empty. */
function leader(counts: Map<number, number> | undefined): number {
  let best = NULL, most = 0;
  for (const [x, c] of counts ?? []) if (c > most || (c === most && x > best)) [best, most] = [x, c];
  return best;
}

/** A name for the symbols s[from, to). */
function keyOf(s: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...s.subarray(from, to));
}

function multiMmc(s: Uint8Array): Outcome {
  const orders = 16, cap = 100_000;
  const models = Array.from({ length: orders + 1 }, () => new Map<string, Map<number, number>>());
  const pairs = new Array(orders + 1).fill(0);
  const scores = new Array(orders).fill(0);
  const outcomes: Array<boolean | null> = [];
  let winner = 0;
  for (let i = 2; i < s.length; i++) {
    for (let d = 1; d <= Math.min(i - 1, orders); d++) {
      const context = keyOf(s, i - 1 - d, i - 1);
      let next = models[d].get(context);
      const count = next?.get(s[i - 1]) ?? 0;
      if (count === 0) {
        if (pairs[d] >= cap) continue;
        pairs[d]++;
      }
      if (!next) models[d].set(context, next = new Map());
      next.set(s[i - 1], count + 1);
    }
    const guesses = scores.map((
      _,
      j,
    ) => (j + 1 <= i ? leader(models[j + 1].get(keyOf(s, i - j - 1, i))) : NULL));
    outcomes.push(guesses[winner] === NULL ? null : guesses[winner] === s[i]);
    winner = score(scores, guesses, s[i], winner);
  }
  return tally(outcomes);
}

function lz78y(s: Uint8Array): Outcome {
  const longest = 16, cap = 65536;
  const dictionary = new Map<string, Map<number, number>>();
  const outcomes: boolean[] = [];
  for (let i = longest + 1; i < s.length; i++) {
    for (let j = longest; j >= 1; j--) {
      const context = keyOf(s, i - 1 - j, i - 1);
      let next = dictionary.get(context);
      if (!next) {
        if (dictionary.size >= cap) continue;
        dictionary.set(context, next = new Map());
      }
      next.set(s[i - 1], (next.get(s[i - 1]) ?? 0) + 1);
    }
    let prediction = NULL, most = 0;
    for (let j = longest; j >= 1; j--) {
      const next = dictionary.get(keyOf(s, i - j, i));
      const guess = leader(next);
      if (guess !== NULL && next!.get(guess)! > most) [prediction, most] = [guess, next!.get(guess)!];
    }
    outcomes.push(prediction === s[i]);
  }
  return tally(outcomes);
}

// --- The core --------------------------------------------------------------------------------

type Estimator = "tupleAndLrs" | "multiMcw" | "lag" | "multiMmc" | "lz78y";

/** Runs one estimator of a fresh instance on `s` and returns its result slots. */
function core(estimator: Estimator, s: Uint8Array, width: number): Float64Array {
  const wasm: AssessExports = newAssessInstance();
  const ptr = wasm.reserve(s.length);
  new Uint8Array(wasm.memory.buffer, ptr, s.length).set(s);
  wasm[estimator](ptr, s.length, width);
  return new Float64Array(wasm.memory.buffer, wasm.resultsPtr(), RESULT_SLOTS).slice();
}

function predictorOutcome(slots: Float64Array): Outcome | null {
  return Number.isNaN(slots[0]) ? null : { c: slots[0], r: slots[1], n: slots[2] };
}

function expectedOrNull(outcome: Outcome): Outcome | null {
  return outcome.n < 2 ? null : outcome;
}

const CASES: Array<{ name: string; data: Uint8Array; width: number }> = [
  { name: "random bits", data: randomSymbols(12000, 1), width: 1 },
  { name: "random 4-bit symbols", data: randomSymbols(6000, 4), width: 4 },
  { name: "random bytes", data: randomSymbols(5000, 8), width: 8 },
  { name: "constant bits", data: new Uint8Array(3000), width: 1 },
  { name: "constant bytes", data: new Uint8Array(3000).fill(7), width: 8 },
  { name: "two-valued bytes", data: randomSymbols(5000, 1, 5).map((b) => b * 200), width: 8 },
  { name: "bits that are 1 nine times in ten", data: biasedBits(12000, 0.9), width: 1 },
  { name: "bits that are 1 once in a hundred", data: biasedBits(12000, 0.01), width: 1 },
  { name: "skewed bytes", data: skewedBytes(6000), width: 8 },
  { name: "period-7 bytes", data: periodic(4000, [3, 1, 4, 1, 5, 9, 2]), width: 8 },
  { name: "period-3 bits", data: periodic(5000, [1, 1, 0]), width: 1 },
  {
    name: "a long repeat in random bits",
    data: (() => {
      const s = randomSymbols(5000, 1, 11);
      s.copyWithin(3000, 1000, 1700);
      return s;
    })(),
    width: 1,
  },
  {
    // Lag 37 starts far behind the leader and takes the lead in the periodic middle: Lag on bits
    // scores only the lags that can reach the lead step by step.
    name: "random bits with a period-37 stretch",
    data: (() => {
      const s = randomSymbols(9000, 1, 13);
      for (let i = 3000; i < 6000; i++) s[i] = s[i - 37];
      return s;
    })(),
    width: 1,
  },
  {
    // MultiMMC on symbols stores a long context only where its last 24 bits occur again later:
    // here long contexts come back (the copies) among many that never do.
    name: "random bytes with repeated stretches",
    data: (() => {
      const s = randomSymbols(6000, 8, 17);
      s.copyWithin(4000, 1000, 1600);
      s.copyWithin(5200, 4100, 4300);
      return s;
    })(),
    width: 8,
  },
  {
    name: "random 2-bit symbols with a repeated stretch",
    data: (() => {
      const s = randomSymbols(8000, 2, 19);
      s.copyWithin(6000, 2000, 2500);
      return s;
    })(),
    width: 2,
  },
  { name: "2 bytes", data: Uint8Array.of(5, 5), width: 8 },
  { name: "3 bits", data: Uint8Array.of(1, 0, 1), width: 1 },
  { name: "18 bytes", data: randomSymbols(18, 8), width: 8 },
  { name: "64 bits", data: randomSymbols(64, 1), width: 1 },
  { name: "130 bytes", data: randomSymbols(130, 3), width: 3 },
];

describe("the fast estimators count exactly what the plain definitions count", () => {
  for (const { name, data, width } of CASES) {
    describe(`on ${name}`, () => {
      it("t-Tuple and LRS find the same t and longest repeat", () => {
        const slots = core("tupleAndLrs", data, width);
        const { t, v } = tupleAndLrsCounts(data);
        expect(Number.isNaN(slots[0]) ? 0 : slots[0]).toBe(t);
        expect([slots[4], slots[5]]).toEqual([t + 1, v]);
      });

      it("MultiMCW, Lag, MultiMMC and LZ78Y make the same correct predictions", () => {
        const got = {
          multiMcw: predictorOutcome(core("multiMcw", data, width)),
          lag: predictorOutcome(core("lag", data, width)),
          multiMmc: predictorOutcome(core("multiMmc", data, width)),
          lz78y: predictorOutcome(core("lz78y", data, width)),
        };
        expect(got).toEqual({
          multiMcw: expectedOrNull(multiMcw(data)),
          lag: expectedOrNull(lag(data)),
          multiMmc: expectedOrNull(multiMmc(data)),
          lz78y: expectedOrNull(lz78y(data)),
        });
      });
    });
  }

  it("t-Tuple and LRS estimates come from the tuple counts of the definition", () => {
    const data = biasedBits(4000, 0.7);
    const slots = core("tupleAndLrs", data, 1);
    const { q, pairs } = tupleCounts(data);
    const n = data.length;
    const t = slots[0];
    let pMax = 0;
    for (let i = 1; i <= t; i++) pMax = Math.max(pMax, (q[i] / (n - i + 1)) ** (1 / i));
    expect(slots[1]).toBeCloseTo(pMax, 14);
    let lrsMax = 0;
    for (let w = t + 1; w < q.length; w++) {
      const windows = n - w + 1;
      lrsMax = Math.max(lrsMax, (pairs[w] / (windows * (windows - 1) / 2)) ** (1 / w));
    }
    expect(slots[6]).toBeCloseTo(lrsMax, 14);
  });

  it("LZ78Y counts exactly when a context admitted as its dictionary filled comes back", () => {
    // 200 symbols: pairs rarely repeat, so each step admits about 15 contexts and the 65,536th
    // comes in the middle of step 4,393 (order 14 in, its order-13 suffix refused). Samples
    // 4,373.. come back at 4,800: there the order-14 context is known while its suffix is not,
    // and it predicts right where the order-1 context would not.
    const data = new Uint8Array(5000);
    data.set(randomSymbols(4800, 8, 4).map((v) => v % 200));
    data.copyWithin(4800, 4373, 4573);
    expect(predictorOutcome(core("lz78y", data, 8))).toEqual(lz78y(data));
  });

  it("MultiMMC counts exactly once its orders reach the 100,000-pair cap", () => {
    const data = randomSymbols(104_000, 8, 9); // orders 3..16 fill at about step 100,000
    expect(predictorOutcome(core("multiMmc", data, 8))).toEqual(multiMmc(data));
  }, 300_000);
});

describe("preparing the bitstring", () => {
  it("expands every symbol width MSB first, one bit a byte, exactly to the end", () => {
    for (let width = 1; width <= 8; width++) {
      const symbols = randomSymbols(1001, width, width);
      const wasm = newAssessInstance();
      const ptr = wasm.reserve(symbols.length);
      new Uint8Array(wasm.memory.buffer, ptr, symbols.length).set(symbols);
      const out = wasm.reserve(symbols.length * width + 16);
      new Uint8Array(wasm.memory.buffer, out, symbols.length * width + 16).fill(9);
      wasm.expandBits(ptr, symbols.length, width, out);
      const expected = Array.from(symbols).flatMap((s) =>
        Array.from({ length: width }, (_, b) => (s >> (width - 1 - b)) & 1)
      );
      const got = new Uint8Array(wasm.memory.buffer, out, symbols.length * width);
      expect(Array.from(got), `width ${width}`).toEqual(expected);
    }
  });
});
