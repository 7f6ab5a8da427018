/**
 * SP 800-90B IID track (§5) as NIST's `ea_iid` performs it: the chi-square tests of
 * independence and goodness of fit, the longest-repeated-substring test, the 19 permutation
 * tests against up to 10,000 seeded shuffles, and the IID min-entropy from the Most Common
 * Value estimate (H_original, H_bitstring, their minimum as the tool takes it).
 *
 * The verdicts are the tool's; the permutation counts differ from its runs (it seeds from
 * /dev/urandom), and the compression statistic is an LZ78 phrase count where the tool measures
 * bzip2 output (core/assess/permutation.ts says why).
 */
import { memoryView } from "./_instantiate.ts";
import { RESULT_SLOTS } from "./_assess.ts";
import {
  type AssessedSamples,
  type AssessOptions,
  type Estimate,
  type PreparedSamples,
  prepareSamples,
  runEstimator,
  withWasmMemory,
} from "./assess.ts";

/** Shuffles SP 800-90B §5.1 ranks the data against. */
export const PERMUTATION_SHUFFLES = 10_000;
/** A chi-square or LRS test fails below this p-value (§5.2). */
export const IID_TEST_LEVEL = 0.001;
/** Shuffles run between progress reports. */
const SHUFFLES_PER_STEP = 50;

/** The permutation statistics, in the tool's order and with its names. */
export const PERMUTATION_STATISTICS = [
  "excursion",
  "numDirectionalRuns",
  "lenDirectionalRuns",
  "numIncreasesDecreases",
  "numRunsMedian",
  "lenRunsMedian",
  "avgCollision",
  "maxCollision",
  "periodicity(1)",
  "periodicity(2)",
  "periodicity(8)",
  "periodicity(16)",
  "periodicity(32)",
  "covariance(1)",
  "covariance(2)",
  "covariance(8)",
  "covariance(16)",
  "covariance(32)",
  "compression",
] as const;

/** How to run the IID track. */
export interface IidOptions extends AssessOptions {
  /** Seed of the shuffles (0 ≤ seed < 2^64): the same seed gives the same counts. */
  seed: bigint;
  /** Most shuffles. @default 10000 */
  shuffles?: number;
  /** Called every few dozen shuffles with the shuffles run and the most there can be. */
  onProgress?: (done: number, most: number) => void;
}

/** One chi-square test; null fields: it could not run (too little data for 5 per bin). */
export interface ChiSquareResult {
  score: number | null;
  degreesOfFreedom: number | null;
  pValue: number | null;
  passed: boolean;
}

/** One permutation statistic: its value on the data and how the shuffles ranked against it. */
export interface PermutationStatistic {
  name: (typeof PERMUTATION_STATISTICS)[number];
  value: number;
  /** Shuffles whose statistic was above the data's (§5.1's C0, the tool's C[i][0]). */
  c0: number;
  /** Shuffles whose statistic equalled the data's (C1). */
  c1: number;
  /** Shuffles whose statistic was below the data's (C2). */
  c2: number;
  passed: boolean;
}

/** The whole IID track. */
export interface IidAssessment extends AssessedSamples, IidMinEntropy {
  /** The seed, in decimal (JSON has no 64-bit integers). */
  seed: string;
  chiSquare: { independence: ChiSquareResult; goodnessOfFit: ChiSquareResult; passed: boolean };
  longestRepeat: { collisionProbability: number; length: number; probability: number; passed: boolean };
  permutation: { shuffles: number; statistics: PermutationStatistic[]; passed: boolean };
  /** Every test passed: the data may be treated as IID and assessed by MCV alone. */
  iid: boolean;
  warnings: string[];
}

function chiSquareResult(slots: Float64Array, first: number): ChiSquareResult {
  const score = slots[first], df = slots[first + 1], p = slots[first + 2];
  if (Number.isNaN(score)) return { score: null, degreesOfFreedom: null, pValue: null, passed: true };
  return { score, degreesOfFreedom: df, pValue: p, passed: p >= IID_TEST_LEVEL };
}

/** The IID min-entropy: MCV on the literal symbols and (multi-bit data) on the bitstring. */
export interface IidMinEntropy {
  /** MCV on the literal symbols, then (multi-bit data) on the bitstring. */
  estimates: Estimate[];
  hOriginal: number;
  hBitstring: number | null;
  /** min(H_original, bitsPerSymbol × H_bitstring), or H_original for binary data. */
  minEntropy: number;
}

function mcvFigure(prepared: PreparedSamples): IidMinEntropy {
  const { wasm, literal, bitstring } = prepared;
  const estimates = [runEstimator(wasm, "mcv", literal)];
  if (bitstring) estimates.push(runEstimator(wasm, "mcv", bitstring));
  const hOriginal = estimates[0].minEntropy!;
  const hBitstring = bitstring ? estimates[1].minEntropy! : null;
  const minEntropy = hBitstring === null
    ? hOriginal
    : Math.min(hOriginal, prepared.bitsPerSymbol * hBitstring);
  return { estimates, hOriginal, hBitstring, minEntropy };
}

/** The IID min-entropy of `samples` alone (no tests): what the restart tests assess rows and columns by. */
export function iidMinEntropy(
  samples: Uint8Array,
  options: AssessOptions = {},
): IidMinEntropy & { warnings: string[] } {
  return withWasmMemory(samples, () => {
    const prepared = prepareSamples(samples, options);
    return { ...mcvFigure(prepared), warnings: prepared.warnings };
  });
}

/** Runs the IID track on `samples` (one symbol per byte, the low bits). */
export function assessIid(samples: Uint8Array, options: IidOptions): IidAssessment {
  const shuffles = options.shuffles ?? PERMUTATION_SHUFFLES;
  if (!(Number.isInteger(shuffles) && shuffles >= 1)) {
    throw new RangeError(`shuffles must be a positive integer, not ${shuffles}`);
  }
  if (options.seed < 0n || options.seed >= 1n << 64n) {
    throw new RangeError(`seed must be in 0..2^64-1, not ${options.seed}`);
  }
  return withWasmMemory(samples, () => assess(samples, options, shuffles));
}

function assess(samples: Uint8Array, options: IidOptions, shuffles: number): IidAssessment {
  const prepared = prepareSamples(samples, options);
  const { wasm, literal, bitstring, binary, warnings } = prepared;
  const slots = () => memoryView(wasm, Float64Array, wasm.resultsPtr(), RESULT_SLOTS);
  const figure = mcvFigure(prepared);

  wasm.chiSquareTests(literal.ptr, literal.len, binary);
  const independence = chiSquareResult(slots(), 0), goodnessOfFit = chiSquareResult(slots(), 3);
  for (const [name, test] of [["independence", independence], ["goodness-of-fit", goodnessOfFit]] as const) {
    if (test.score === null) {
      warnings.push(`the chi-square ${name} test could not run (too little data) and counts as passed`);
    }
  }
  wasm.longestRepeatTest(literal.ptr, literal.len, literal.width);
  const [collisionProbability, length, probability] = slots();
  const longestRepeat = { collisionProbability, length, probability, passed: probability >= IID_TEST_LEVEL };

  const seedLo = Number(options.seed & 0xFFFF_FFFFn), seedHi = Number(options.seed >> 32n);
  wasm.permutationStart(literal.ptr, literal.len, binary, seedLo, seedHi);
  let done = 0;
  while (done < shuffles) {
    const step = Math.min(SHUFFLES_PER_STEP, shuffles - done);
    const undecided = wasm.permutationRun(step);
    done += step;
    options.onProgress?.(done, shuffles);
    if (undecided === 0) break;
  }
  const words = memoryView(wasm, Float64Array, wasm.permutationPtr(), PERMUTATION_STATISTICS.length * 4 + 2);
  const statistics = PERMUTATION_STATISTICS.map((name, i): PermutationStatistic => {
    const [value, c0, c1, c2] = words.subarray(i * 4, i * 4 + 4);
    return { name, value, c0, c1, c2, passed: c0 + c1 > 5 && c1 + c2 > 5 };
  });
  const permutation = {
    shuffles: words[PERMUTATION_STATISTICS.length * 4],
    statistics,
    passed: statistics.every((s) => s.passed),
  };

  return {
    samples: prepared.samples,
    bitsPerSymbol: prepared.bitsPerSymbol,
    distinctSymbols: prepared.distinctSymbols,
    translated: prepared.translated,
    binary,
    bitstringBits: bitstring?.len ?? 0,
    seed: options.seed.toString(),
    chiSquare: { independence, goodnessOfFit, passed: independence.passed && goodnessOfFit.passed },
    longestRepeat,
    permutation,
    iid: independence.passed && goodnessOfFit.passed && longestRepeat.passed && permutation.passed,
    ...figure,
    warnings,
  };
}
