/**
 * The verdict of `qrng test`: ideal data fails some checks at known rates, so a long input is
 * judged against those rates rather than by "any failure".
 *
 * Rule (default): for each counted check, expected = trials × false-failure rate of ideal data,
 * and the check fails only when the observed count exceeds the binomial (trials, rate) upper
 * quantile at significance 10^-6 (wasm/cutoffs.ts binomialThreshold): ideal data fails a check
 * with probability below 10^-6. Rates:
 * - FIPS 140-2 blocks: 0.1 % per block (FIPS_BLOCK_FALSE_RATE; about what rngtest shows on
 *   ideal data).
 * - RCT: 2^(−H·(C−1)) per sample; APT and bit count: their exact binomial tails per window.
 * Single statistics fail outside their ideal range at about the same significance:
 * - ent χ²: its probability below 0.01 % or above 99.99 % (ent's own extreme wording).
 * - ent serial correlation: |SCC| > 5/√N (5 σ of ideal data).
 * - DSV: |final| > 5·√bits (5 σ; the stream-wide monobit test).
 * - Repetition check: any repeat fails (ideal data shows one about 10^-19 times per TiB).
 * `--strict` instead fails on any failed FIPS block or health-test failure (rngtest's rule).
 * Min-entropy and the histogram are informational. Input shorter than one FIPS block (with its
 * seed) is too little to judge either way (one byte already fails χ²): "inconclusive".
 */
import { binomialThreshold } from "../../wasm/cutoffs.ts";
import type { AnalysisResults } from "../../wasm/analysis.ts";
import { VERDICT_SIGNIFICANCE } from "../../wasm/health.ts";
import { REPEAT_COUNT_LIMIT } from "../../wasm/repetition.ts";

/** False-failure rate of one FIPS 140-2 block of ideal data. */
export const FIPS_BLOCK_FALSE_RATE = 0.001;
/** χ² probabilities outside [CHI_LOW, 1 − CHI_LOW] fail. */
export const CHI_LOW = 0.0001;
/** Standard deviations beyond which SCC and the DSV fail. */
export const Z_LIMIT = 5;

/** Below this size (seed + one FIPS block) no verdict can be PASS. */
export const MIN_JUDGED_BYTES = 2504;

/** What `qrng test` concludes. */
export type Verdict = "pass" | "fail" | "inconclusive";

/** Inconclusive below {@link MIN_JUDGED_BYTES}; otherwise FAIL on any failed check, else PASS. */
export function verdictOf(bytes: number, checks: readonly Check[]): Verdict {
  if (bytes < MIN_JUDGED_BYTES) return "inconclusive";
  return checks.every((c) => c.pass) ? "pass" : "fail";
}

/** One judged check. */
export interface Check {
  /** Short name: "fips", "rct", "apt", "bitcount", "repetition", "chi-square", "serial-correlation", "dsv". */
  name: string;
  pass: boolean;
  /** Observed failures (counted checks) or the statistic. */
  observed: number;
  /** Expected failures for ideal data (counted checks). */
  expected?: number;
  /** Most failures that still pass (counted checks). */
  allowed?: number;
  /** Trials behind a counted check. */
  trials?: number;
  /** One line explaining the rule. */
  rule: string;
}

/** Which sections were selected. */
export interface Selection {
  fips: boolean;
  ent: boolean;
  health: boolean;
  minEntropy: boolean;
  dsv: boolean;
}

function counted(
  name: string,
  observed: number,
  trials: number,
  rate: number,
  strict: boolean,
  what: string,
): Check {
  const allowed = strict ? 0 : binomialThreshold(trials, rate, VERDICT_SIGNIFICANCE);
  return {
    name,
    pass: observed <= allowed,
    observed,
    expected: trials * rate,
    allowed,
    trials,
    rule: strict ? `any ${what} fails (--strict)` : `fail above ${allowed} ${what} (P < 1e-6 for ideal data)`,
  };
}

/** Judges the selected sections of `r`. */
export function judge(r: AnalysisResults, selection: Selection, strict: boolean): Check[] {
  const checks: Check[] = [];
  if (selection.fips && r.fips) {
    checks.push(
      counted("fips", r.fips.failed, r.fips.blocks, FIPS_BLOCK_FALSE_RATE, strict, "failed blocks"),
    );
  }
  if (selection.health && r.health) {
    const h = r.health, c = h.cutoffs;
    checks.push(counted("rct", h.rct.failures, h.samples, c.rctRate, strict, "RCT failures"));
    checks.push(counted("apt", h.apt.failures, h.apt.windows, c.aptRate, strict, "APT failures"));
    if (h.bitcount && c.bitcount) {
      checks.push(
        counted(
          "bitcount",
          h.bitcount.failures,
          h.bitcount.blocks,
          c.bitcount.rate,
          strict,
          "bit-count failures",
        ),
      );
    }
  }
  if (selection.health && r.repetition) {
    const rep = r.repetition;
    checks.push({
      name: "repetition",
      pass: rep.repeats === 0 && rep.overloads === 0,
      observed: rep.repeats,
      expected: rep.bytes / 2 ** 40 * rep.parameters.falseAlarmsPerTiB,
      allowed: 0,
      trials: rep.bytes,
      rule: rep.overloads > 0
        ? `fail on any repeat; the table overflowed ${rep.overloads} times (far more fingerprints than random data gives)`
        : `fail on any repeat${
          rep.repeats >= REPEAT_COUNT_LIMIT ? ` (the check stops counting at ${REPEAT_COUNT_LIMIT})` : ""
        }`,
    });
  }
  if (selection.ent && r.bytes > 0) {
    const p = r.ent.bytes.chiSquareProbability;
    checks.push({
      name: "chi-square",
      pass: p >= CHI_LOW && p <= 1 - CHI_LOW,
      observed: p,
      rule: "fail when χ² would be exceeded less than 0.01 % or more than 99.99 % of the times",
    });
    const scc = r.ent.bytes.serialCorrelation;
    const limit = Z_LIMIT / Math.sqrt(r.bytes);
    checks.push({
      name: "serial-correlation",
      pass: Math.abs(scc) <= limit,
      observed: scc,
      rule: `fail when |SCC| > ${limit.toPrecision(3)} (5/√N)`,
    });
  }
  if (selection.dsv && r.bytes > 0) {
    const bits = r.bytes * 8;
    checks.push({
      name: "dsv",
      pass: Math.abs(r.dsv.final) <= Z_LIMIT * Math.sqrt(bits),
      observed: r.dsv.final,
      rule: `fail when |DSV| > ${(Z_LIMIT * Math.sqrt(bits)).toFixed(0)} (5·√bits)`,
    });
  }
  return checks;
}
