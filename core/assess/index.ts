/**
 * SP 800-90B entropy assessment: entry point of wasm/assess.wasm. The host reserves heap room
 * for its samples (`reserve`), copies them there, prepares them (`prepareSymbols`, `expandBits`
 * into a second reservation for the bitstring, `translateSymbols`), then calls one estimator at a time
 * with (pointer, length, symbol width). Each estimator clears the result slots to NaN and
 * writes its outputs there (f64; the slot lists are in each estimator's doc comment):
 *
 *   mostCommonValue  0 mode count, 1 p̂, 2 p_u, 3 H
 *   collision        0 v, 1 Σt, 2 X̄, 3 σ̂, 4 X̄′, 5 p, 6 H, 7 p found            (bits only)
 *   markov           0 P0, 1 P1, 2 P00, 3 P01, 4 P10, 5 P11, 6 p̂_max, 7 H       (bits only)
 *   compression      0 X̄, 1 σ̂, 2 X̄′, 3 p, 4 H, 5 p found, 6 v                  (bits only)
 *   tupleAndLrs      0 t, 1 p̂_max, 2 p_u, 3 H (t-tuple); 4 u, 5 v, 6 p̂, 7 p_u, 8 H (LRS)
 *   predictors       0 C, 1 r, 2 N, 3 P_global, 4 P_global′, 5 P_local (NaN: cannot change
 *                    the result), 6 H                                 (MultiMCW, Lag, MultiMMC, LZ78Y)
 *
 * The IID track (§5): chiSquareTests (slots 0-2 independence score, df, p; 3-5 goodness of
 * fit), longestRepeatTest (0 P_col, 1 W, 2 Pr(X ≥ 1)), and the permutation tests, which keep
 * their state between calls and write to permutationPtr() (see permutation.ts).
 * Restart tests (§3.1.4): restartModeCounts (0 largest row mode count, 1 its row, 2 largest
 * column mode count, 3 its column) and transposeInto (the column dataset).
 *
 * Memory grows with the dataset and is never returned; one instance serves one assessment.
 * Running out of memory traps (the binding reports it); nothing is computed in memory it lacks.
 */
import { alloc, clearResults, RESULTS_PTR } from "./heap.ts";
import * as counting from "./counting.ts";
import { tupleAndLrs as suffixEstimates } from "./suffix.ts";
import { multiMcw as mcw } from "./mcw.ts";
import { lagPredictor } from "./lag.ts";
import { multiMmc as mmc } from "./mmc.ts";
import { lz78y as lz } from "./lz78y.ts";
import * as chiSquare from "./chi_square.ts";
import * as permutation from "./permutation.ts";
import * as restart from "./restart.ts";
import { PERMUTATION_PTR } from "./permutation.ts";

export { expandBits, prepareSymbols, translateSymbols } from "./symbols";
export { permutationRun } from "./permutation";
export { transposeInto } from "./restart";

/** Address of the result slots (f64). */
export function resultsPtr(): usize {
  return RESULTS_PTR;
}

/** Reserves `bytes` of heap for the host's data (kept for the instance's life); traps when out of memory. */
export function reserve(bytes: i32): usize {
  return alloc(<usize>bytes);
}

/** Most Common Value (§6.3.1). */
export function mostCommonValue(ptr: usize, len: i32): void {
  clearResults();
  counting.mostCommonValue(ptr, len);
}

/** Collision (§6.3.2), bits only. */
export function collision(ptr: usize, len: i32): void {
  clearResults();
  counting.collision(ptr, len);
}

/** Markov (§6.3.3), bits only. */
export function markov(ptr: usize, len: i32): void {
  clearResults();
  counting.markov(ptr, len);
}

/** Compression (§6.3.4), bits only. */
export function compression(ptr: usize, len: i32): void {
  clearResults();
  counting.compression(ptr, len);
}

/** t-Tuple (§6.3.5) and LRS (§6.3.6) from one suffix array. */
export function tupleAndLrs(ptr: usize, len: i32, width: i32): void {
  clearResults();
  suffixEstimates(ptr, len, width);
}

/** MultiMCW prediction (§6.3.7). */
export function multiMcw(ptr: usize, len: i32, width: i32): void {
  clearResults();
  mcw(ptr, len, width);
}

/** Lag prediction (§6.3.8). */
export function lag(ptr: usize, len: i32, width: i32): void {
  clearResults();
  lagPredictor(ptr, len, width);
}

/** MultiMMC prediction (§6.3.9). */
export function multiMmc(ptr: usize, len: i32, width: i32): void {
  clearResults();
  mmc(ptr, len, width);
}

/** LZ78Y prediction (§6.3.10). */
export function lz78y(ptr: usize, len: i32, width: i32): void {
  clearResults();
  lz(ptr, len, width);
}

/** Chi-square independence and goodness of fit (§5.2.1-5.2.4). */
export function chiSquareTests(ptr: usize, len: i32, binary: bool): void {
  clearResults();
  chiSquare.chiSquareTests(ptr, len, binary);
}

/** The longest repeated substring test (§5.2.5); the LRS length comes from the suffix pass. */
export function longestRepeatTest(ptr: usize, len: i32, width: i32): void {
  clearResults();
  suffixEstimates(ptr, len, width);
  const longest = <i32>load<f64>(RESULTS_PTR + 5 * 8);
  clearResults();
  chiSquare.longestRepeatTest(ptr, len, longest);
}

/** Address of the permutation tests' outputs (see permutation.ts). */
export function permutationPtr(): usize {
  return PERMUTATION_PTR;
}

/** Starts the permutation tests (§5.1) on `len` symbols, shuffles seeded by seedHi:seedLo. */
export function permutationStart(ptr: usize, len: i32, binary: bool, seedLo: u32, seedHi: u32): void {
  permutation.permutationStart(ptr, len, binary, (<u64>seedHi << 32) | <u64>seedLo);
}

/** The restart sanity check's counts (§3.1.4.3) of a `rows` × `cols` row dataset. */
export function restartModeCounts(ptr: usize, rows: i32, cols: i32): void {
  clearResults();
  restart.restartModeCounts(ptr, rows, cols);
}
