/**
 * {@link Analyzer}: streams any amount of data through the WASM analysis core in bounded
 * memory and reports the FIPS 140-2 battery (rngtest semantics), ent's statistics in byte and
 * bit mode, Most Common Value min-entropy, digital sum values, the byte histogram and the
 * SP 800-90B health tests. Results do not depend on how the data was chunked.
 *
 * Fast path: read straight into {@link Analyzer.inputBuffer} (a view of WASM memory) and call
 * {@link Analyzer.update}; {@link Analyzer.push} copies an existing chunk for convenience.
 */
import { memoryView } from "./_instantiate.ts";
import { type EntStats, entStats, mostCommonValueEntropy } from "./ent.ts";
import {
  configureRepetition,
  type RepetitionParameters,
  type RepetitionResults,
  repetitionResults,
} from "./repetition.ts";
import { configureHealth, type HealthCutoffs, healthCutoffs, type HealthTestOptions } from "./health.ts";
import {
  type AnalysisExports,
  LOG_APT,
  LOG_BITCOUNT,
  LOG_FIPS,
  LOG_RCT,
  LOG_SLOTS,
  newAnalysisInstance,
  PASS_DSV,
  PASS_ENT,
  PASS_FIPS,
  PASS_HEALTH,
  PASS_REPEAT,
  SLOT,
} from "./_analysis.ts";

/** Which analyses run; everything is on by default. The byte histogram always runs. */
export interface AnalysisOptions {
  /** FIPS 140-2 battery. @default true */
  fips?: boolean;
  /** ent's serial correlation and Monte Carlo π (entropy, χ² and mean need only the histogram). @default true */
  ent?: boolean;
  /** Digital sum value walk extremes (block sums come with the histogram pass). @default true */
  dsv?: boolean;
  /** SP 800-90B health tests, or false. @default false */
  health?: HealthTestOptions | false;
  /**
   * The repetition check (wasm/repetition.ts) for a claimed min-entropy per byte, or false.
   * @default false
   */
  repetition?: { hPerByte: number } | false;
}

/** Names of the FIPS tests as rngtest prints them, in its order. */
export const FIPS_TEST_NAMES = ["Monobit", "Poker", "Runs", "Long run", "Continuous run"] as const;

/** FIPS 140-2 results. */
export interface FipsResults {
  blocks: number;
  failed: number;
  /** Failures per test, in {@link FIPS_TEST_NAMES} order. */
  failures: [number, number, number, number, number];
  /** Indexes of the first failed blocks (up to 32). */
  failedBlocks: number[];
  /** Details of block 0 (absent when there was no whole block). */
  block0?: { ones: number; pokerSum: number; runsOfZeros: number[]; runsOfOnes: number[]; failed: string[] };
}

/** Health-test results (the counts and first failure offsets, in samples). */
export interface HealthResults {
  options: HealthTestOptions;
  cutoffs: HealthCutoffs;
  samples: number;
  rct: { failures: number; offsets: number[] };
  apt: { windows: number; failures: number; offsets: number[] };
  bitcount?: { blocks: number; failures: number; offsets: number[] };
}

/** Everything an {@link Analyzer} found. */
export interface AnalysisResults {
  bytes: number;
  fips?: FipsResults;
  ent: { bytes: EntStats; bits: EntStats | undefined };
  minEntropy: { bytes: { mostCommon: number; h: number }; bits: { mostCommon: number; h: number } };
  dsv: {
    /** Final value (2·ones − bits). */
    final: number;
    /** Lowest and highest point of the walk (when the DSV pass ran). */
    min?: number;
    max?: number;
    /** Per 20,000-bit FIPS block (the 4 seed bytes excluded): extremes, RMS, count beyond ±3σ. */
    blocks: { count: number; min: number; max: number; rms: number; outside3Sigma: number };
  };
  /** Count of each byte value. */
  histogram: number[];
  health?: HealthResults;
  repetition?: RepetitionResults;
}

/** Adjacent 1-1 bit pairs inside bytes, from the histogram (the core counts those across bytes). */
function insideBitPairs(histogram: number[]): number {
  let pairs = 0;
  for (let v = 0; v < 256; v++) {
    let x = v & (v >> 1), bits = 0;
    for (; x; x &= x - 1) bits++;
    pairs += bits * histogram[v];
  }
  return pairs;
}

/** A streaming analysis of one data stream, in fixed memory. */
export class Analyzer {
  readonly #wasm: AnalysisExports;
  readonly #options: AnalysisOptions;
  readonly #cutoffs: HealthCutoffs | undefined;
  readonly #repetition: RepetitionParameters | undefined;

  constructor(options: AnalysisOptions = {}) {
    this.#options = options;
    this.#wasm = newAnalysisInstance();
    const w = this.#wasm;
    w.configure(
      (options.fips ?? true ? PASS_FIPS : 0) | (options.ent ?? true ? PASS_ENT : 0) |
        (options.dsv ?? true ? PASS_DSV : 0) | (options.health ? PASS_HEALTH : 0) |
        (options.repetition ? PASS_REPEAT : 0),
    );
    if (options.repetition) this.#repetition = configureRepetition(w, options.repetition.hPerByte);
    if (options.health) {
      this.#cutoffs = healthCutoffs(options.health);
      configureHealth(w, options.health, this.#cutoffs);
    }
  }

  /** The WASM input buffer: fill a prefix of it, then call {@link update} with its length. */
  inputBuffer(): Uint8Array {
    return memoryView(this.#wasm, Uint8Array, this.#wasm.inputPtr(), this.#wasm.inputBytes());
  }

  /** Analyses the first `length` bytes of {@link inputBuffer}. */
  update(length: number): void {
    if (!(length >= 0 && length <= this.#wasm.inputBytes())) {
      throw new RangeError(`length ${length} exceeds the input buffer`);
    }
    this.#wasm.update(length);
  }

  /** Copies `chunk` (any size) into the input buffer piece by piece and analyses it. */
  push(chunk: Uint8Array): void {
    const input = this.inputBuffer();
    for (let offset = 0; offset < chunk.length; offset += input.length) {
      const piece = chunk.subarray(offset, offset + input.length);
      input.set(piece);
      this.#wasm.update(piece.length);
    }
  }

  /** The results so far (the analysis can continue afterwards). */
  results(): AnalysisResults {
    const w = this.#wasm;
    w.snapshot();
    const s = memoryView(w, Float64Array, w.statsPtr(), 64);
    const histogram = Array.from(memoryView(w, Float64Array, w.histPtr(), 256));
    const log = memoryView(w, Float64Array, w.logPtr(), 4 * LOG_SLOTS);
    const offsets = (test: number, count: number) =>
      Array.from(log.subarray(test * LOG_SLOTS, test * LOG_SLOTS + Math.min(count, LOG_SLOTS)));
    const bytes = s[SLOT.bytes];
    const ones = s[SLOT.ones];
    const bits = bytes * 8;
    const first = s[SLOT.firstByte], last = s[SLOT.lastByte];
    const o = this.#options;
    const entOn = o.ent ?? true;
    const byteStats = entStats({
      counts: histogram,
      pairs: entOn ? s[SLOT.pairsBytes] + first * last : NaN,
      monteTries: entOn ? s[SLOT.monteTries] : NaN,
      monteHits: s[SLOT.monteHits],
    });
    const bitStats = entStats({
      counts: [bits - ones, ones],
      pairs: entOn ? s[SLOT.pairsBits] + insideBitPairs(histogram) + (last & 1) * (first >> 7) : NaN,
      monteTries: entOn ? s[SLOT.monteTries] : NaN,
      monteHits: s[SLOT.monteHits],
    });
    const mostCommonByte = Math.max(...histogram);
    const mostCommonBit = Math.max(ones, bits - ones);
    const blocks = s[SLOT.dsvBlocks];
    const results: AnalysisResults = {
      bytes,
      ent: { bytes: byteStats, bits: bitStats },
      minEntropy: {
        bytes: { mostCommon: mostCommonByte, h: mostCommonValueEntropy(mostCommonByte, bytes) },
        bits: { mostCommon: mostCommonBit, h: mostCommonValueEntropy(mostCommonBit, bits) },
      },
      dsv: {
        final: 2 * ones - bits,
        ...(o.dsv ?? true ? { min: s[SLOT.dsvMin], max: s[SLOT.dsvMax] } : {}),
        blocks: {
          count: blocks,
          min: s[SLOT.dsvBlockMin],
          max: s[SLOT.dsvBlockMax],
          rms: blocks ? Math.sqrt(s[SLOT.dsvBlockSumSq] / blocks) : 0,
          outside3Sigma: s[SLOT.dsvBlockOutside],
        },
      },
      histogram,
    };
    if (o.fips ?? true) {
      const failed = s[SLOT.fipsFailed];
      const b0 = Array.from(s.subarray(SLOT.block0, SLOT.block0 + 15));
      results.fips = {
        blocks: s[SLOT.fipsBlocks],
        failed,
        failures: [
          s[SLOT.fipsMonobit],
          s[SLOT.fipsPoker],
          s[SLOT.fipsRuns],
          s[SLOT.fipsLongRun],
          s[SLOT.fipsContinuous],
        ],
        failedBlocks: offsets(LOG_FIPS, failed),
      };
      if (results.fips.blocks > 0) {
        results.fips.block0 = {
          ones: b0[0],
          pokerSum: b0[1],
          runsOfZeros: b0.slice(2, 8),
          runsOfOnes: b0.slice(8, 14),
          failed: FIPS_TEST_NAMES.filter((_, i) => (b0[14] >> i) & 1),
        };
      }
    }
    if (o.health && this.#cutoffs) {
      const perByte = o.health.symbols === "bits" ? 8 : 1;
      results.health = {
        options: o.health,
        cutoffs: this.#cutoffs,
        samples: s[SLOT.healthBytes] * perByte,
        rct: { failures: s[SLOT.rctFailures], offsets: offsets(LOG_RCT, s[SLOT.rctFailures]) },
        apt: {
          windows: s[SLOT.aptWindows],
          failures: s[SLOT.aptFailures],
          offsets: offsets(LOG_APT, s[SLOT.aptFailures]),
        },
      };
      if (this.#cutoffs.bitcount) {
        results.health.bitcount = {
          blocks: s[SLOT.bitcountBlocks],
          failures: s[SLOT.bitcountFailures],
          offsets: offsets(LOG_BITCOUNT, s[SLOT.bitcountFailures]),
        };
      }
    }
    if (this.#repetition) results.repetition = repetitionResults(w, s, this.#repetition);
    return results;
  }
}
