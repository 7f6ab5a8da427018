/**
 * The IID track's chi-square tests (SP 800-90B §5.2): independence of successive symbols and
 * goodness of fit (the same distribution in each tenth of the data), for binary and non-binary
 * data, each a Pearson statistic with its degrees of freedom and upper-tail p-value. The tests
 * fail at p < 0.001 (the host judges).
 *
 * Non-binary independence counts non-overlapping pairs (s_1 s_2), (s_3 s_4), …; the expected
 * count of pair (x, y) is p_x·p_y·⌊L/2⌋. Pairs, then symbols for goodness of fit, are binned in
 * ascending order of expected count (ties by value) until each bin expects at least 5, a short
 * last bin joining the one before; the degrees of freedom are bins − k (independence, k distinct
 * symbols) and 9·(bins − 1) (fit), as NIST's tool counts them. Each tenth is ⌊L/10⌋ samples
 * and expects each value's proportion in the whole data times that length.
 */
import { alloc, mark, put, release } from "./heap.ts";

/** A bin must expect at least this many observations. */
const MIN_EXPECTED: f64 = 5;
/** Goodness of fit compares this many equal parts of the data. */
const PARTS: i32 = 10;
/** Longest bit tuple binary independence uses. */
const MAX_TUPLE_BITS: i32 = 11;

/** Lanczos coefficients (g = 7, nine terms), in static memory: the stub runtime has no heap. */
const LANCZOS: usize = memory.data<f64>([
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
]);

/** ln Γ(x) for x > 0 (Lanczos: about 15 significant digits). */
function logGamma(x: f64): f64 {
  const g: f64 = 7;
  let sum: f64 = 0.99999999999980993;
  const y = x - 1;
  for (let i = 0; i < 8; i++) sum += load<f64>(LANCZOS + (<usize>i << 3)) / (y + <f64>(i + 1));
  const t = y + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Regularised upper incomplete gamma Q(a, x): series below a + 1, continued fraction above. */
function gammaQ(a: f64, x: f64): f64 {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    let term = 1 / a, sum = term, ap = a;
    for (let i = 0; i < 1000000; i++) {
      ap += 1;
      term *= x / ap;
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * front);
  }
  const tiny: f64 = 1e-300;
  let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 1000000; i++) {
    const an = -<f64>i * (<f64>i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  return front * h;
}

/** P(χ²_df ≥ score). */
export function chiSquarePValue(score: f64, df: f64): f64 {
  return gammaQ(df / 2, score / 2);
}

/** Sorts the `n` indices at `order` by (key ascending, index ascending); `scratch` holds n i32. */
function sortByKey(order: usize, scratch: usize, keys: usize, n: i32): void {
  for (let width = 1; width < n; width <<= 1) {
    for (let lo = 0; lo < n; lo += width << 1) {
      const mid = min(lo + width, n), hi = min(lo + (width << 1), n);
      let a = lo, b = mid, out = lo;
      while (out < hi) {
        let takeA = b >= hi;
        if (a < mid && b < hi) {
          const ia = load<i32>(order + (<usize>a << 2)), ib = load<i32>(order + (<usize>b << 2));
          const ka = load<f64>(keys + (<usize>ia << 3)), kb = load<f64>(keys + (<usize>ib << 3));
          takeA = ka < kb || (ka == kb && ia < ib);
        }
        const from = takeA ? a++ : b++;
        store<i32>(scratch + (<usize>out << 2), load<i32>(order + (<usize>from << 2)));
        out++;
      }
    }
    memory.copy(order, scratch, <usize>n << 2);
  }
}

/**
 * Bins `n` cells (expected counts at `expected`, f64) in ascending order of expectation, each
 * bin expecting ≥ 5. Writes each cell's bin to `binOf` (i32) and returns the number of bins.
 */
function binCells(expected: usize, n: i32, binOf: usize): i32 {
  const order = alloc(<usize>n << 2), scratch = alloc(<usize>n << 2);
  for (let i = 0; i < n; i++) store<i32>(order + (<usize>i << 2), i);
  sortByKey(order, scratch, expected, n);
  let bins = 0, filling: f64 = 0;
  for (let k = 0; k < n; k++) {
    const cell = load<i32>(order + (<usize>k << 2));
    store<i32>(binOf + (<usize>cell << 2), bins);
    filling += load<f64>(expected + (<usize>cell << 3));
    if (filling >= MIN_EXPECTED) {
      bins++;
      filling = 0;
    }
  }
  if (filling > 0 || bins == 0) {
    // A short last bin joins the one before it.
    if (bins == 0) return 1;
    for (let k = n - 1; k >= 0; k--) {
      const at = binOf + (<usize>load<i32>(order + (<usize>k << 2)) << 2);
      if (load<i32>(at) != bins) break;
      store<i32>(at, bins - 1);
    }
  }
  return bins;
}

/** Σ (observed − expected)² / expected over `bins` bins (f64 arrays). */
function pearson(observed: usize, expected: usize, bins: i32): f64 {
  let score: f64 = 0;
  for (let b = 0; b < bins; b++) {
    const e = load<f64>(expected + (<usize>b << 3)), d = load<f64>(observed + (<usize>b << 3)) - e;
    score += d * d / e;
  }
  return score;
}

// @ts-ignore: decorator
@inline function addF64(base: usize, index: i32, value: f64): void {
  const at = base + (<usize>index << 3);
  store<f64>(at, load<f64>(at) + value);
}

/** Symbol counts (f64 × 256) of `len` symbols at `ptr`, into a fresh buffer. */
function symbolCounts(ptr: usize, len: i32): usize {
  const counts = alloc(256 * 8);
  for (let i = 0; i < len; i++) addF64(counts, load<u8>(ptr + i), 1);
  return counts;
}

/** Writes score, df and p-value from slot `first`; no degrees of freedom: cannot run (NaN). */
function writeResult(first: i32, score: f64, df: f64): void {
  if (df <= 0) return;
  put(first, score);
  put(first + 1, df);
  put(first + 2, chiSquarePValue(score, df));
}

/** Non-binary independence (§5.2.1): slots 0 score, 1 df, 2 p-value. */
function independence(ptr: usize, len: i32, counts: usize): void {
  // Distinct symbols, ranked, so the pair table has k² cells.
  const rank = alloc(256 * 4);
  let k = 0;
  for (let v = 0; v < 256; v++) {
    if (load<f64>(counts + (<usize>v << 3)) > 0) store<i32>(rank + (<usize>v << 2), k++);
  }
  const cells = k * k, pairs = len >> 1;
  const expected = alloc(<usize>cells << 3), observed = alloc(<usize>cells << 3);
  for (let x = 0; x < 256; x++) {
    const cx = load<f64>(counts + (<usize>x << 3));
    if (cx == 0) continue;
    for (let y = 0; y < 256; y++) {
      const cy = load<f64>(counts + (<usize>y << 3));
      if (cy == 0) continue;
      const cell = load<i32>(rank + (<usize>x << 2)) * k + load<i32>(rank + (<usize>y << 2));
      store<f64>(expected + (<usize>cell << 3), (cx / <f64>len) * (cy / <f64>len) * <f64>pairs);
    }
  }
  for (let i = 0; i < pairs; i++) {
    const x = load<i32>(rank + (<usize>load<u8>(ptr + 2 * i) << 2));
    const y = load<i32>(rank + (<usize>load<u8>(ptr + 2 * i + 1) << 2));
    addF64(observed, x * k + y, 1);
  }
  const binOf = alloc(<usize>cells << 2);
  const bins = binCells(expected, cells, binOf);
  const binExpected = alloc(<usize>bins << 3), binObserved = alloc(<usize>bins << 3);
  for (let c = 0; c < cells; c++) {
    const b = load<i32>(binOf + (<usize>c << 2));
    addF64(binExpected, b, load<f64>(expected + (<usize>c << 3)));
    addF64(binObserved, b, load<f64>(observed + (<usize>c << 3)));
  }
  writeResult(0, pearson(binObserved, binExpected, bins), <f64>(bins - k));
}

/** Non-binary goodness of fit (§5.2.2): slots 3 score, 4 df, 5 p-value. */
function goodnessOfFit(ptr: usize, len: i32, counts: usize): void {
  if (len < PARTS) return; // no tenths to compare: cannot run
  const part = len / PARTS;
  const expected = alloc(256 * 8);
  for (let v = 0; v < 256; v++) {
    store<f64>(expected + (<usize>v << 3), load<f64>(counts + (<usize>v << 3)) / <f64>len * <f64>part);
  }
  // Absent values expect nothing: binning them first changes no bin's expectation.
  const binOf = alloc(256 * 4);
  const bins = binCells(expected, 256, binOf);
  const binExpected = alloc(<usize>bins << 3), binObserved = alloc(<usize>bins << 3);
  for (let v = 0; v < 256; v++) addF64(binExpected, load<i32>(binOf + (<usize>v << 2)), load<f64>(expected + (<usize>v << 3)));
  let score: f64 = 0;
  for (let d = 0; d < PARTS; d++) {
    memory.fill(binObserved, 0, <usize>bins << 3);
    for (let i = d * part; i < (d + 1) * part; i++) addF64(binObserved, load<i32>(binOf + (<usize>load<u8>(ptr + i) << 2)), 1);
    score += pearson(binObserved, binExpected, bins);
  }
  writeResult(3, score, <f64>(PARTS - 1) * <f64>(bins - 1));
}

/** Binary independence (§5.2.3): m-bit tuples, slots 0 score, 1 df, 2 p-value. */
function binaryIndependence(ptr: usize, len: i32, ones: f64): void {
  const p1 = ones / <f64>len, p0 = 1 - p1, rarer = Math.min(p0, p1);
  let m = 0;
  for (let bits = 1; bits <= MAX_TUPLE_BITS; bits++) {
    if (Math.pow(rarer, <f64>bits) * <f64>(len / bits) >= MIN_EXPECTED) m = bits;
  }
  if (m < 2) return; // no tuple length expects 5 of each: cannot run
  const tuples = len / m, cells = 1 << m;
  const observed = alloc(<usize>cells << 3), expected = alloc(<usize>cells << 3);
  for (let t = 0; t < tuples; t++) {
    let value = 0;
    for (let b = 0; b < m; b++) value = (value << 1) | load<u8>(ptr + t * m + b);
    addF64(observed, value, 1);
  }
  for (let value = 0; value < cells; value++) {
    const w = <f64>popcnt(value);
    store<f64>(expected + (<usize>value << 3), Math.pow(p1, w) * Math.pow(p0, <f64>m - w) * <f64>tuples);
  }
  writeResult(0, pearson(observed, expected, cells), <f64>(cells - 2));
}

/** Binary goodness of fit (§5.2.4): ones and zeros in each tenth, slots 3 score, 4 df, 5 p. */
function binaryGoodnessOfFit(ptr: usize, len: i32, ones: f64): void {
  // No tenths to compare, or a constant bit (no variation to fit): cannot run.
  if (len < PARTS || ones == 0 || ones == <f64>len) return;
  const part = len / PARTS;
  const expectOnes = ones / <f64>len * <f64>part, expectZeros = <f64>part - expectOnes;
  let score: f64 = 0;
  for (let d = 0; d < PARTS; d++) {
    let o: f64 = 0;
    for (let i = d * part; i < (d + 1) * part; i++) o += <f64>load<u8>(ptr + i);
    const z = <f64>part - o;
    score += (o - expectOnes) * (o - expectOnes) / expectOnes + (z - expectZeros) * (z - expectZeros) / expectZeros;
  }
  writeResult(3, score, <f64>(PARTS - 1));
}

/**
 * Both chi-square tests on `len` symbols at `ptr` (bits when `isBinary`). Slots 0 score, 1 df,
 * 2 p-value (independence); 3, 4, 5 the same for goodness of fit. NaN: could not run.
 */
export function chiSquareTests(ptr: usize, len: i32, isBinary: bool): void {
  const top = mark();
  const counts = symbolCounts(ptr, len);
  if (isBinary) {
    const ones = load<f64>(counts + 8);
    binaryIndependence(ptr, len, ones);
    binaryGoodnessOfFit(ptr, len, ones);
  } else {
    independence(ptr, len, counts);
    goodnessOfFit(ptr, len, counts);
  }
  release(top);
}

/**
 * The LRS test (§5.2.5) from the longest repeated substring's length `longest`: slots 0 P_col
 * (Σ p_i²), 1 W, 2 Pr(X ≥ 1) = 1 − (1 − P_col^W)^C(L−W+1, 2). Fails below 0.001 (host).
 */
export function longestRepeatTest(ptr: usize, len: i32, longest: i32): void {
  const top = mark();
  const counts = symbolCounts(ptr, len);
  let collision: f64 = 0;
  for (let v = 0; v < 256; v++) {
    const p = load<f64>(counts + (<usize>v << 3)) / <f64>len;
    collision += p * p;
  }
  release(top);
  const windows = <f64>(len - longest + 1);
  const pairs = windows * (windows - 1) / 2;
  put(0, collision);
  put(1, <f64>longest);
  put(2, -Math.expm1(pairs * Math.log1p(-Math.pow(collision, <f64>longest))));
}
