/**
 * The counting estimators: Most Common Value (§6.3.1, any alphabet) and the three that the
 * standard defines on bits only: Collision (§6.3.2), Markov (§6.3.3) and Compression (§6.3.4).
 * Each reads `len` symbols at `ptr` (one per byte) and writes its outputs to the result slots.
 */
import { alloc, mark, put, release } from "./heap.ts";
import { entropyOf, upperBound, Z_ALPHA } from "./bounds.ts";

/** MCV: slots 0 mode count, 1 p̂, 2 p_u, 3 min-entropy. */
export function mostCommonValue(ptr: usize, len: i32): void {
  const top = mark();
  const counts = alloc(256 * 4);
  for (let i = 0; i < len; i++) {
    const at = counts + (<usize>load<u8>(ptr + i) << 2);
    store<u32>(at, load<u32>(at) + 1);
  }
  let mode: u32 = 0;
  for (let v = 0; v < 256; v++) mode = max(mode, load<u32>(counts + (<usize>v << 2)));
  release(top);
  const pHat = <f64>mode / <f64>len;
  const pU = upperBound(pHat, <f64>len);
  put(0, <f64>mode);
  put(1, pHat);
  put(2, pU);
  put(3, entropyOf(pU));
}

/**
 * Collision on bits: windows end at the first repeated value, so each is 2 (equal pair) or 3
 * bits long. Slots 0 v, 1 Σt, 2 X̄, 3 σ̂, 4 X̄′, 5 p, 6 min-entropy. For two values the expected
 * window is E = 2 + 2pq, so the standard's search for p has the closed form
 * p = 1/2 + √(1/4 − (X̄′ − 2)/2); X̄′ ≥ 2.5 means p = 1/2 (slot 7 is 0 then, 1 when p was found).
 * All NaN (cannot run) with fewer than two windows.
 */
export function collision(ptr: usize, len: i32): void {
  let windows: f64 = 0, sum: f64 = 0, sumSq: f64 = 0;
  let i = 0;
  while (i < len - 1) {
    let t = 0;
    if (load<u8>(ptr + i) == load<u8>(ptr + i + 1)) t = 2;
    else if (i < len - 2) t = 3;
    else break;
    windows++;
    sum += t;
    sumSq += t * t;
    i += t;
  }
  if (windows < 2) return; // too little data: leaves every slot NaN (cannot run)
  const mean = sum / windows;
  const sigma = Math.sqrt((sumSq - sum * mean) / (windows - 1));
  const bound = mean - Z_ALPHA * sigma / Math.sqrt(windows);
  const found = bound < 2.5;
  const p = found ? 0.5 + Math.sqrt(0.25 - (bound - 2) / 2) : 0.5;
  put(0, windows);
  put(1, sum);
  put(2, mean);
  put(3, sigma);
  put(4, bound);
  put(5, p);
  put(6, entropyOf(p));
  put(7, found ? 1 : 0);
}

/** The sum of the 16 unsigned byte lanes of `lanes`. */
// @ts-ignore: decorator
@inline function laneSum(lanes: v128): i64 {
  const quads = i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(lanes));
  return <i64>(i32x4.extract_lane(quads, 0) + i32x4.extract_lane(quads, 1) + i32x4.extract_lane(quads, 2) +
    i32x4.extract_lane(quads, 3));
}

/** Path length the Markov estimate bounds. */
const MARKOV_PATH_BITS: f64 = 128;

/**
 * Markov on bits: slots 0 P0, 1 P1, 2 P00, 3 P01, 4 P10, 5 P11, 6 p̂_max (the most likely of
 * the six candidate 128-bit paths), 7 min-entropy (per bit, at most 1).
 */
export function markov(ptr: usize, len: i32): void {
  // The bits are bytes 0 or 1: every count is a sum of bits or of ANDs of neighbours.
  let later: i64 = 0, n11: i64 = 0; // ones among s[1..], and i ≥ 1 with s[i−1] = s[i] = 1
  let i = 1;
  while (i + 16 <= len) {
    // 16 byte lanes each add at most 255 times before they are widened.
    const stop = min(len - 16, i + 254 * 16);
    let onesLanes = i8x16.splat(0), pairLanes = i8x16.splat(0);
    for (; i <= stop; i += 16) {
      const bits = v128.load(ptr + i);
      onesLanes = i8x16.add(onesLanes, bits);
      pairLanes = i8x16.add(pairLanes, v128.and(bits, v128.load(ptr + i - 1)));
    }
    later += laneSum(onesLanes);
    n11 += laneSum(pairLanes);
  }
  for (; i < len; i++) {
    const bit = <i64>load<u8>(ptr + i);
    later += bit;
    n11 += bit & <i64>load<u8>(ptr + i - 1);
  }
  const first = <i64>load<u8>(ptr), last = <i64>load<u8>(ptr + len - 1);
  const ones = <f64>(later + first);
  const ones0 = <f64>(later + first - last); // ones among s[0..len−2]
  const n01 = <f64>(later - n11);
  const zeros0 = <f64>(len - 1) - ones0;
  const p1 = ones / <f64>len, p0 = (<f64>len - ones) / <f64>len;
  const p01 = zeros0 > 0 ? n01 / zeros0 : 0, p00 = zeros0 > 0 ? (zeros0 - n01) / zeros0 : 1;
  const p11 = ones0 > 0 ? <f64>n11 / ones0 : 0, p10 = ones0 > 0 ? (ones0 - <f64>n11) / ones0 : 1;
  const k = MARKOV_PATH_BITS;
  let best = p0 * Math.pow(p00, k - 1);
  best = Math.max(best, p0 * Math.pow(p01, k / 2) * Math.pow(p10, k / 2 - 1));
  best = Math.max(best, p0 * p01 * Math.pow(p11, k - 2));
  best = Math.max(best, p1 * p10 * Math.pow(p00, k - 2));
  best = Math.max(best, p1 * Math.pow(p10, k / 2) * Math.pow(p01, k / 2 - 1));
  best = Math.max(best, p1 * Math.pow(p11, k - 1));
  put(0, p0);
  put(1, p1);
  put(2, p00);
  put(3, p01);
  put(4, p10);
  put(5, p11);
  put(6, best);
  put(7, Math.min(entropyOf(best) / k, 1));
}

/** Compression estimate parameters: bits per block and dictionary-initialisation blocks. */
const BLOCK_BITS: i32 = 6;
const DICTIONARY_BLOCKS: i32 = 1000;
/** Maurer's c for 6-bit blocks (SP 800-90B §6.3.4 step 4). */
const MAURER_C: f64 = 0.5907;

/**
 * G(z) of §6.3.4 for blocks d+1..d+v, summed over u instead of over t: each log2(u)·z²(1−z)^(u−1)
 * counts once per test block t > u, and log2(t)·z(1−z)^(t−1) once per test block. Terms stop
 * when (1−z)^(u−1) no longer changes the sum. log2(u) comes from `logs` (f64 by u) up to
 * `tabled`: the search for p evaluates G about a hundred times over the same tens of thousands of u.
 */
function expectedLog(z: f64, d: i32, v: i32, logs: usize, tabled: i32): f64 {
  const last = d + v;
  const decay = 1 - z;
  let power: f64 = 1; // (1−z)^(u−1)
  let sum: f64 = 0;
  for (let u = 1; u <= last; u++) {
    const lg = u <= tabled ? load<f64>(logs + (<usize>u << 3)) : Math.log2(<f64>u);
    const laterTests = u <= d ? <f64>v : <f64>(last - u);
    let term = z * z * power * lg * laterTests;
    if (u > d) term += z * power * lg;
    sum += term;
    power *= decay;
    if (power < 1e-300) break;
  }
  return sum / <f64>v;
}

/**
 * Most u whose log2 compression tables (1 MiB), for the distances between repeated blocks and
 * for G's terms: beyond it, (1 − p)^u has long vanished unless p is tiny.
 */
const LOG_TABLE_MAX: i32 = 1 << 17;

/**
 * Compression on bits: 6-bit blocks, the first 1000 fill the dictionary, the rest are tested.
 * Slots 0 X̄, 1 σ̂, 2 X̄′, 3 p, 4 min-entropy (of 6-bit blocks, divided by 6), 5 found (0/1);
 * slot 6 v (test blocks). All NaN (cannot run) with fewer than 1002 blocks.
 */
export function compression(ptr: usize, len: i32): void {
  const blocks = len / BLOCK_BITS;
  const v = blocks - DICTIONARY_BLOCKS;
  // σ̂ needs two test blocks (the tool divides by zero at exactly one): otherwise cannot run.
  if (v < 2) return;
  const top = mark();
  const lastSeen = alloc((1 << BLOCK_BITS) * 4);
  const tabled = min(blocks, LOG_TABLE_MAX);
  const logs = alloc(<usize>(tabled + 1) << 3);
  for (let u = 1; u <= tabled; u++) store<f64>(logs + (<usize>u << 3), Math.log2(<f64>u));
  // Neumaier-compensated sums: the tool accumulates in 80-bit long double, and p̂ amplifies any
  // rounding of X̄′ about 40-fold (G is flat near its root).
  let sum: f64 = 0, sumSq: f64 = 0, sumError: f64 = 0, sumSqError: f64 = 0;
  for (let i = 1; i <= blocks; i++) {
    let block = 0;
    const at = ptr + <usize>((i - 1) * BLOCK_BITS);
    for (let b = 0; b < BLOCK_BITS; b++) block = (block << 1) | load<u8>(at + b);
    const slot = lastSeen + (<usize>block << 2);
    if (i > DICTIONARY_BLOCKS) {
      const seen = load<i32>(slot);
      const distance = seen != 0 ? i - seen : i;
      const lg = distance <= tabled ? load<f64>(logs + (<usize>distance << 3)) : Math.log2(<f64>distance);
      let t = sum + lg;
      sumError += Math.abs(sum) >= Math.abs(lg) ? (sum - t) + lg : (lg - t) + sum;
      sum = t;
      const sq = lg * lg;
      t = sumSq + sq;
      sumSqError += Math.abs(sumSq) >= Math.abs(sq) ? (sumSq - t) + sq : (sq - t) + sumSq;
      sumSq = t;
    }
    store<i32>(slot, i);
  }
  sum += sumError;
  sumSq += sumSqError;
  const mean = sum / <f64>v;
  const sigma = MAURER_C * Math.sqrt(sumSq / <f64>(v - 1) - mean * mean);
  const bound = mean - Z_ALPHA * sigma / Math.sqrt(<f64>v);
  const others = <f64>((1 << BLOCK_BITS) - 1);
  // G(p) + (2^b − 1)·G(q) falls from the uniform point p = 2^−b as p grows.
  let lo: f64 = 1 / <f64>(1 << BLOCK_BITS), hi: f64 = 1;
  const atUniform = expectedLog(lo, DICTIONARY_BLOCKS, v, logs, tabled) * (1 + others);
  const found = bound < atUniform;
  if (found) {
    for (;;) {
      const mid = lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) break;
      const g = expectedLog(mid, DICTIONARY_BLOCKS, v, logs, tabled) +
        others * expectedLog((1 - mid) / others, DICTIONARY_BLOCKS, v, logs, tabled);
      if (g > bound) lo = mid;
      else hi = mid;
    }
  }
  release(top);
  const p = found ? lo : 1 / <f64>(1 << BLOCK_BITS);
  put(0, mean);
  put(1, sigma);
  put(2, bound);
  put(3, p);
  put(4, entropyOf(p) / <f64>BLOCK_BITS);
  put(5, found ? 1 : 0);
  put(6, <f64>v);
}
