/**
 * Cutoffs of the SP 800-90B health tests and the verdict thresholds, computed without the
 * double overflow of binomial coefficients. When p = 2^-H and α = 2^alphaLog2 are both dyadic
 * (integer H and alphaLog2: the usual case) the binomial tails are compared exactly as BigInt
 * rationals; otherwise in log space (log-factorials summed, tails by log-sum-exp), which is
 * good to ~1e-12 relative and checked against the exact path in tests.
 */

const LN2 = Math.LN2;

/** Smallest c >= 0 with `tail(c) <= bound`, for a non-increasing `tail` on 0..n+1. */
function firstAtMost(n: number, tailAt: (c: number) => boolean): number {
  let lo = 0, hi = n + 1; // tailAt(n + 1) is true (empty tail)
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tailAt(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Exact, for integer H >= 0: the smallest c with T(c) <= 2^shift and T(c), where
 * T(c) = P(X >= c)·2^(H·n) = Σ_{k>=c} C(n,k)·q^(n−k) with q = 2^H − 1 (BigInt). Only the terms
 * on the short side of c are made: from the top (term(n) = 1) summing T down until it exceeds
 * the bound, or from the bottom (term(0) = q^n) summing the complement 2^(H·n) − T up. The side
 * comes from the cutoff's `estimate`; either way the answer is exact. (Making every
 * tail took 10 ms for the 4096-bit bit-count block, most of `qrng test`'s start-up work.)
 */
function exactCutoff(
  n: number,
  h: number,
  shift: number,
  estimate: number,
): { cutoff: number; scaledTail: bigint } {
  if (shift < 0) return { cutoff: n + 1, scaledTail: 0n }; // only the empty tail is below 1
  const q = (1n << BigInt(h)) - 1n;
  const bound = 1n << BigInt(shift);
  if (q > 0n && estimate <= n - estimate) {
    const total = 1n << BigInt(h * n);
    let below = 0n; // Σ_{k<c} term(k)
    let term = q ** BigInt(n);
    for (let c = 0; c <= n; c++) {
      if (total - below <= bound) return { cutoff: c, scaledTail: total - below };
      below += term;
      term = (term * BigInt(n - c)) / (BigInt(c + 1) * q); // term(c + 1), exactly
    }
    return { cutoff: n + 1, scaledTail: 0n };
  }
  let tail = 0n; // T(k + 1)
  let term = 1n;
  let k = n;
  if (q === 1n && n < 1 << 13) {
    // H = 1 (bit samples): four steps' factors multiply exactly in doubles (n^4 < 2^53), so
    // four terms cost two BigInt products and divisions instead of four of each (the 4096-bit
    // bit-count block: 4 -> 1.5 ms); the batch that crosses the bound is redone term by term.
    for (; k >= 4; k -= 4) {
      const d1 = n - k + 1, d2 = d1 + 1, d3 = d1 + 2, d4 = d1 + 3;
      // term(k)·(1 + k/d1 + k(k−1)/(d1·d2) + k(k−1)(k−2)/(d1·d2·d3)) over one denominator
      const sum = d1 * d2 * d3 + k * d2 * d3 + k * (k - 1) * d3 + k * (k - 1) * (k - 2);
      const four = (term * BigInt(sum)) / BigInt(d1 * d2 * d3);
      if (tail + four > bound) break;
      tail += four;
      term = (term * BigInt(k * (k - 1) * (k - 2) * (k - 3))) / BigInt(d1 * d2 * d3 * d4);
    }
  }
  for (; k >= 0; k--) {
    if (tail + term > bound) return { cutoff: k + 1, scaledTail: tail };
    tail += term;
    term = (term * BigInt(k) * q) / BigInt(n - k + 1); // term(k − 1), exactly
  }
  return { cutoff: 0, scaledTail: tail };
}

/** Log-space upper tails ln P(X >= c) of Binomial(n, p), c = 0..n+1. */
function logTails(n: number, p: number): number[] {
  const lf: number[] = [0];
  for (let i = 1; i <= n; i++) lf.push(lf[i - 1] + Math.log(i));
  const lp = Math.log(p), lq = Math.log1p(-p);
  const tails: number[] = new Array(n + 2).fill(-Infinity);
  for (let k = n; k >= 0; k--) {
    const term = lf[n] - lf[k] - lf[n - k] + k * lp + (n - k) * lq;
    const a = tails[k + 1];
    const m = Math.max(a, term);
    tails[k] = m === -Infinity ? -Infinity : m + Math.log(Math.exp(a - m) + Math.exp(term - m));
  }
  return tails;
}

const isDyadic = (h: number, alphaLog2: number) =>
  Number.isInteger(h) && Number.isInteger(alphaLog2) && h >= 0 && h <= 64;

/**
 * Smallest c with P(X >= c) <= 2^alphaLog2 for X ~ Binomial(n, 2^-h), and that tail
 * probability. This is 1 + CRITBINOM(n, 2^-h, 1 − α) of SP 800-90B.
 */
export function binomialCutoff(n: number, h: number, alphaLog2: number): { cutoff: number; tail: number } {
  const p = Math.pow(2, -h);
  if (isDyadic(h, alphaLog2)) {
    // P(X >= c) <= 2^a  <=>  T(c) <= 2^(h·n + a); a may push the bound below 1. The estimate
    // (normal approximation) only picks the end to sum from; the log-space tails cost as much
    // as the exact sum when the interpreter runs them once at start-up.
    const estimate = n * p + Math.sqrt(-2 * alphaLog2 * LN2 * n * p * (1 - p));
    const { cutoff, scaledTail } = exactCutoff(n, h, h * n + alphaLog2, estimate);
    return { cutoff, tail: scaledToNumber(scaledTail, h * n) };
  }
  const tails = logTails(n, p);
  const bound = alphaLog2 * LN2;
  const cutoff = firstAtMost(n, (c) => tails[c] <= bound);
  return { cutoff, tail: Math.exp(tails[cutoff] ?? -Infinity) };
}

/**
 * P(X >= k) for X ~ Binomial(n, 2^-h): exact for integer h (BigInt terms summed from the top),
 * in log space otherwise.
 */
export function binomialTail(n: number, h: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (!(Number.isInteger(h) && h >= 0 && h <= 64)) return Math.exp(logTails(n, Math.pow(2, -h))[k]);
  const q = (1n << BigInt(h)) - 1n;
  let tail = 0n;
  let term = 1n; // C(n, j)·q^(n−j) at j = n
  for (let j = n; j >= k; j--) {
    tail += term;
    term = (term * BigInt(j) * q) / BigInt(n - j + 1); // C(n, j−1)·q^(n−j+1), exactly
  }
  return scaledToNumber(tail, h * n);
}

/** value / 2^bits as a double, without overflowing. */
function scaledToNumber(value: bigint, bits: number): number {
  if (value === 0n) return 0;
  const excess = Math.max(0, value.toString(2).length - 60);
  return Number(value >> BigInt(excess)) * Math.pow(2, excess - bits);
}

/** RCT cutoff C = 1 + ceil(−alphaLog2 / H), with the ceil guarded against rounding (20/0.5 = 40). */
export function rctCutoff(h: number, alphaLog2: number): number {
  const q = -alphaLog2 / h;
  const r = Math.round(q);
  return 1 + (Math.abs(q - r) < 1e-9 * Math.max(1, q) ? r : Math.ceil(q));
}

/**
 * How often the RCT as it runs fails on a source whose samples repeat with probability
 * p = 2^-h: the test fails once C − 1 repetitions follow a run's first sample and then starts
 * afresh with the next sample, so failures form a renewal process whose mean gap is
 * 1 + (1 − p^k) / ((1 − p)·p^k) samples with k = C − 1 (the wait for k successes in a row,
 * plus the sample that starts the run). Returns failures per sample, the reciprocal. It is
 * about (1 − p)·p^k: for bits (p = 1/2) half the p^k a per-sample reading of α suggests.
 */
export function rctFailureRate(h: number, cutoff: number): number {
  const p = Math.pow(2, -h);
  const pk = Math.pow(p, cutoff - 1);
  return pk === 0 ? 0 : 1 / (1 + (1 - pk) / ((1 - p) * pk));
}

/**
 * Two-sided acceptance interval [low, high] for the ones count of `n` fair bits at total
 * false-rejection probability <= 2^alphaLog2 (each side gets half), and that probability.
 */
export function bitcountBounds(n: number, alphaLog2: number): { low: number; high: number; rate: number } {
  const { cutoff, tail } = binomialCutoff(n, 1, alphaLog2 - 1);
  return { low: n - cutoff + 1, high: cutoff - 1, rate: 2 * tail };
}

// ---- Verdict thresholds ------------------------------------------------------------------

/** ln Γ(x) for x > 0 (Stirling series after shifting x above 10; error < 1e-14 relative). */
export function lnGamma(x: number): number {
  let shift = 0;
  while (x < 10) {
    shift += Math.log(x);
    x += 1;
  }
  const x2 = 1 / (x * x);
  const series = (1 / 12 - x2 * (1 / 360 - x2 * (1 / 1260 - x2 * (1 / 1680 - x2 / 1188)))) / x;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/**
 * The largest failure count an ideal source explains: the smallest k with
 * P(X > k) <= significance for X ~ Binomial(n, p). Observing more than k is significant.
 */
export function binomialThreshold(n: number, p: number, significance: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const lp = Math.log(p), lq = Math.log1p(-p);
  const logPmf = (k: number) => lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1) + k * lp + (n - k) * lq;
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  const top = Math.min(n, Math.ceil(mean + 40 * sd + 60));
  // Tail sums from the top down: tail[k] = P(X > k).
  let tail = 0;
  let k = top;
  let answer = top;
  for (; k >= 0; k--) {
    // tail now holds P(X > k)
    if (tail > significance) break;
    answer = k;
    tail += Math.exp(logPmf(k));
  }
  return answer;
}
