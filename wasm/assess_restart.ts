/**
 * SP 800-90B restart tests (§3.1.4) as NIST's `ea_restart` performs them. The data are 1000
 * restarts of the noise source, 1000 samples after each, one restart per row (the row
 * dataset); read column by column they are the column dataset.
 *
 * Sanity check (§3.1.4.3): if the initial estimate H_I is right, the most common value of a row
 * or column of 1000 samples occurs at most X_cutoff times. As NIST's tool computes it, α =
 * 1 − 0.99^(1/2000) (the 2000 rows and columns sharing 1 %), and X_cutoff is the smallest c
 * with 1 − (1 − P(X > c))^(2^H_I) ≤ α for X ~ Binomial(1000, 2^−H_I): the most common of
 * 2^H_I equally likely values. That reproduces the tool's cutoffs at H_I = 1, 2.5, 4, 5.3, 7,
 * 7.5 and 8 (8-bit data); at H_I = 0.5 the tool says 769 where this says 770.
 * Validation (§3.1.4.2): both datasets are assessed to H_r and H_c, as the tool does on the
 * literal symbols only: H_original of the non-IID track, or for an IID source of its MCV
 * estimate (the bitstring estimates are computed, reported and left out); if
 * min(H_r, H_c) < H_I / 2 the restarts fail, otherwise the validated estimate is
 * min(H_r, H_c, H_I). The tool also runs the IID tests on an IID source's restarts without
 * letting them change the verdict; qrng leaves them to `--iid` on the file itself.
 */
import { memoryView } from "./_instantiate.ts";
import { newAssessInstance, RESULT_SLOTS } from "./_assess.ts";
import { assessNonIid, type AssessOptions, type NonIidAssessment, withWasmMemory } from "./assess.ts";
import { type IidMinEntropy, iidMinEntropy } from "./assess_iid.ts";
import { binomialThreshold } from "./cutoffs.ts";

/** Restarts in a restart dataset (its rows). */
export const RESTARTS = 1000;
/** Samples collected after each restart (its columns). */
export const SAMPLES_PER_RESTART = 1000;
/** Total false-alarm probability of the sanity check, shared by the 2000 rows and columns. */
export const SANITY_ALPHA = 0.01;

/** The sanity check's X_cutoff for `h` bits of min-entropy per sample (see the module comment). */
export function restartCutoff(h: number): number {
  const perLine = -Math.expm1(Math.log1p(-SANITY_ALPHA) / (RESTARTS + SAMPLES_PER_RESTART));
  const perValue = -Math.expm1(Math.log1p(-perLine) / Math.pow(2, h));
  return binomialThreshold(SAMPLES_PER_RESTART, Math.pow(2, -h), perValue);
}

/** How to run the restart tests. */
export interface RestartOptions extends AssessOptions {
  /** The initial entropy estimate H_I, bits per sample (0 < H_I ≤ bits per symbol). */
  hInitial: number;
  /** Assess rows and columns as an IID source (MCV) or with the non-IID estimators. @default "non-iid" */
  track?: "iid" | "non-iid";
}

/** One dataset's assessment: the non-IID track, or the IID min-entropy (MCV). */
export type DatasetAssessment = NonIidAssessment | (IidMinEntropy & { warnings: string[] });

/** The restart tests' outcome. */
export interface RestartAssessment {
  restarts: number;
  samplesPerRestart: number;
  hInitial: number;
  track: "iid" | "non-iid";
  sanity: {
    /** Largest count of one value in one row, and that row (first on ties). */
    maxRowCount: number;
    row: number;
    /** Largest count of one value in one column, and that column. */
    maxColumnCount: number;
    column: number;
    /** X_cutoff: the largest count an H_I source explains (see the module comment). */
    cutoff: number;
    passed: boolean;
  };
  /** Row and column assessments: absent when the sanity check failed (the tool stops there). */
  rows?: DatasetAssessment;
  columns?: DatasetAssessment;
  hRow: number | null;
  hColumn: number | null;
  /** Sanity check passed and min(H_r, H_c) ≥ H_I / 2. */
  passed: boolean;
  /** min(H_r, H_c, H_I) when passed, else null. */
  minEntropy: number | null;
}

/** Runs the restart tests on a 1000 × 1000 row dataset. */
export function assessRestarts(samples: Uint8Array, options: RestartOptions): RestartAssessment {
  const cells = RESTARTS * SAMPLES_PER_RESTART;
  if (samples.length !== cells) {
    throw new RangeError(
      `Cannot run the restart tests: they need ${cells} samples (${RESTARTS} restarts × ${SAMPLES_PER_RESTART}), not ${samples.length}`,
    );
  }
  // As the tool infers it: enough bits for the largest sample.
  const bits = options.bitsPerSymbol ??
    Math.max(1, Math.ceil(Math.log2(samples.reduce((a, b) => Math.max(a, b), 0) + 1)));
  if (!(options.hInitial > 0 && options.hInitial <= bits)) {
    throw new RangeError(
      `H_I must be above 0 and at most the ${bits} bits per symbol, not ${options.hInitial}`,
    );
  }
  const track = options.track ?? "non-iid";
  const mask = (1 << bits) - 1;
  const { counts, columns } = withWasmMemory(samples, () => countAndTranspose(samples.map((s) => s & mask)));
  const [maxRowCount, row, maxColumnCount, column] = counts;
  const cutoff = restartCutoff(options.hInitial);
  const sanity = {
    maxRowCount,
    row,
    maxColumnCount,
    column,
    cutoff,
    passed: Math.max(maxRowCount, maxColumnCount) <= cutoff,
  };
  const base = {
    restarts: RESTARTS,
    samplesPerRestart: SAMPLES_PER_RESTART,
    hInitial: options.hInitial,
    track,
    sanity,
  };
  if (!sanity.passed) return { ...base, hRow: null, hColumn: null, passed: false, minEntropy: null };
  const assess = (data: Uint8Array): DatasetAssessment =>
    track === "iid" ? iidMinEntropy(data, options) : assessNonIid(data, options);
  const rowsAssessment = assess(samples), columnsAssessment = assess(columns);
  const hRow = rowsAssessment.hOriginal, hColumn = columnsAssessment.hOriginal;
  const passed = Math.min(hRow, hColumn) >= options.hInitial / 2;
  return {
    ...base,
    rows: rowsAssessment,
    columns: columnsAssessment,
    hRow,
    hColumn,
    passed,
    minEntropy: passed ? Math.min(hRow, hColumn, options.hInitial) : null,
  };
}

/** The sanity check's counts and the column dataset, from one instance of the core. */
function countAndTranspose(rows: Uint8Array): { counts: Float64Array; columns: Uint8Array } {
  const wasm = newAssessInstance();
  const ptr = wasm.reserve(rows.length), out = wasm.reserve(rows.length);
  memoryView(wasm, Uint8Array, ptr, rows.length).set(rows);
  wasm.restartModeCounts(ptr, RESTARTS, SAMPLES_PER_RESTART);
  const counts = memoryView(wasm, Float64Array, wasm.resultsPtr(), RESULT_SLOTS).slice(0, 4);
  wasm.transposeInto(ptr, RESTARTS, SAMPLES_PER_RESTART, out);
  return { counts, columns: memoryView(wasm, Uint8Array, out, rows.length).slice() };
}
