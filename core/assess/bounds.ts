/**
 * The confidence arithmetic shared by the estimators (SP 800-90B §6.3): the 99 % upper bound
 * on a proportion, and the predictors' global and local bounds (§6.3.7 steps 6-9).
 *
 * Roots are found by bisection run until the midpoint no longer moves: the results are then
 * the exact roots up to the rounding of the functions themselves, with no iteration budget or
 * tolerance to agree on with other implementations.
 */
import { put } from "./heap.ts";

/** z for a one-sided 99 % bound, full precision. */
export const Z_ALPHA: f64 = 2.5758293035489008;

/** Upper 99 % bound on a proportion p̂ from `n` samples: min(1, p̂ + z·√(p̂(1−p̂)/(n−1))). */
export function upperBound(pHat: f64, n: f64): f64 {
  return Math.min(1, pHat + Z_ALPHA * Math.sqrt(pHat * (1 - pHat) / (n - 1)));
}

/** −log2(p). */
// @ts-ignore: decorator
@inline export function entropyOf(p: f64): f64 {
  return -Math.log2(p);
}

/**
 * Probability that N independent trials of success probability p contain no run of r
 * successes (Feller's approximation, as §6.3.7 step 8 writes it; x from 10 fixed-point steps).
 */
function noRunProbability(p: f64, r: f64, n: f64): f64 {
  const q = 1 - p;
  let x: f64 = 1;
  const qpr = q * Math.pow(p, r);
  for (let j = 0; j < 10; j++) x = 1 + qpr * Math.pow(x, r + 1);
  return (1 - p * x) / ((r + 1 - r * x) * q) / Math.pow(x, n + 1);
}

/** Confidence the local bound is taken at. */
const LOCAL_LEVEL: f64 = 0.99;

/**
 * P_local: the p at which a longest run shorter than `r` has probability 0.99; NaN when it
 * cannot exceed `pGlobal` (the function falls with p, so then the global bound binds).
 */
export function localBound(pGlobal: f64, r: f64, n: f64): f64 {
  if (pGlobal >= 1 || noRunProbability(pGlobal, r, n) <= LOCAL_LEVEL) return NaN;
  let lo = pGlobal, hi: f64 = 1;
  for (;;) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (noRunProbability(mid, r, n) > LOCAL_LEVEL) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Writes a predictor's outputs from its counts: C correct predictions of N, the longest run of
 * correct ones; slots 0 C, 1 r (longest run + 1), 2 N, 3 P_global, 4 P_global', 5 P_local (NaN:
 * cannot change the result), 6 min-entropy. Like NIST's tool, the estimate never exceeds the
 * symbol width (a predictor is never assumed worse than guessing uniformly). Fewer than two
 * predictions leave every slot NaN (cannot run).
 */
export function finishPredictor(correct: f64, longestRun: f64, n: f64, width: i32): void {
  if (n < 2) return; // too little data: leaves every slot NaN (cannot run)
  const pGlobal = correct / n;
  const pGlobalBound = correct == 0 ? 1 - Math.pow(0.01, 1 / n) : upperBound(pGlobal, n);
  const r = longestRun + 1;
  const pLocal = localBound(pGlobalBound, r, n);
  put(0, correct);
  put(1, r);
  put(2, n);
  put(3, pGlobal);
  put(4, pGlobalBound);
  put(5, pLocal);
  put(6, Math.min(entropyOf(isNaN(pLocal) ? pGlobalBound : pLocal), <f64>width));
}
