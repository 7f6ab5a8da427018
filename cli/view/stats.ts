/**
 * The numbers behind the XR232NT-style views, on plain arrays: byte histogram with its expected
 * count and standard deviation, and the digital sum value (DSV: +1 per 1 bit, -1 per 0 bit)
 * per block, overall and as a running walk reduced to plot columns.
 * `qrng view` takes the histogram and the overall DSV from the analysis core (wasm/analysis.ts)
 * and uses these plain-array versions for what the core does not report: DSV per block of any
 * size, the walk's columns for the plot and the bit where |DSV| peaks.
 */

const POPCOUNT = new Uint8Array(256);
/** Lowest and highest running DSV reached inside each byte value, bits taken MSB first. */
const PREFIX_MIN = new Int8Array(256);
const PREFIX_MAX = new Int8Array(256);
for (let b = 0; b < 256; b++) {
  let sum = 0;
  let lo = 0;
  let hi = 0;
  for (let k = 7; k >= 0; k--) {
    sum += (b >> k) & 1 ? 1 : -1;
    lo = Math.min(lo, sum);
    hi = Math.max(hi, sum);
  }
  POPCOUNT[b] = (sum + 8) / 2;
  PREFIX_MIN[b] = lo;
  PREFIX_MAX[b] = hi;
}

/** Byte-value counts with what ideal data would give. */
export interface Histogram {
  counts: Uint32Array;
  total: number;
  /** Expected count per value: total / 256. */
  expected: number;
  /** Binomial standard deviation of one count: sqrt(total * 1/256 * 255/256). */
  sigma: number;
  /** Values whose count lies outside expected +- 3 sigma. */
  outside: number[];
}

/** Counts byte values. */
export function histogram(data: Uint8Array): Histogram {
  const counts = new Uint32Array(256);
  for (let i = 0; i < data.length; i++) counts[data[i]]++;
  return histogramFromCounts(counts);
}

/** The histogram view of counts computed elsewhere (the analysis core's byte histogram). */
export function histogramFromCounts(values: ArrayLike<number>): Histogram {
  if (values.length !== 256) throw new RangeError("a byte histogram has 256 counts");
  const counts = Uint32Array.from(values);
  const total = counts.reduce((sum, c) => sum + c, 0);
  const expected = total / 256;
  const sigma = Math.sqrt(total * (1 / 256) * (255 / 256));
  const outside: number[] = [];
  for (let v = 0; v < 256; v++) if (Math.abs(counts[v] - expected) > 3 * sigma) outside.push(v);
  return { counts, total, expected, sigma, outside };
}

/** DSV of blocks and of the whole. */
export interface DsvSummary {
  blockBytes: number;
  /** DSV of each complete or final partial block. */
  blocks: Int32Array;
  /** DSV of all bits. */
  overall: number;
  bits: number;
  /** Largest |running DSV| and the bit index where it is first reached. */
  maxAbs: number;
  maxAbsAt: number;
}

/** Computes the DSV per block of `blockBytes` and overall. */
export function dsv(data: Uint8Array, blockBytes: number): DsvSummary {
  if (!Number.isInteger(blockBytes) || blockBytes < 1) {
    throw new RangeError("DSV block size must be >= 1 byte");
  }
  const blocks = new Int32Array(Math.ceil(data.length / blockBytes));
  let running = 0;
  let maxAbs = 0;
  let maxAbsAt = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    const lo = running + PREFIX_MIN[b];
    const hi = running + PREFIX_MAX[b];
    if (Math.max(-lo, hi) > maxAbs) {
      // find the exact bit inside this byte
      let s = running;
      for (let k = 7; k >= 0; k--) {
        s += (b >> k) & 1 ? 1 : -1;
        if (Math.abs(s) > maxAbs) {
          maxAbs = Math.abs(s);
          maxAbsAt = i * 8 + (7 - k);
        }
      }
    }
    const d = 2 * POPCOUNT[b] - 8;
    running += d;
    blocks[(i / blockBytes) | 0] += d;
  }
  return { blockBytes, blocks, overall: running, bits: data.length * 8, maxAbs, maxAbsAt };
}

/**
 * The running DSV reduced to at most `columns` (min, max) pairs for a plot (fewer when there
 * are fewer bytes than columns): column c covers bytes [c * n / columns, (c + 1) * n / columns).
 */
export function dsvColumns(data: Uint8Array, columns: number): { min: Int32Array; max: Int32Array } {
  const n = Math.max(0, Math.min(columns, data.length));
  const min = new Int32Array(n);
  const max = new Int32Array(n);
  let running = 0;
  let column = -1;
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor((i * n) / data.length);
    const b = data[i];
    const lo = running + PREFIX_MIN[b];
    const hi = running + PREFIX_MAX[b];
    if (c !== column) {
      column = c;
      min[c] = Math.min(lo, running);
      max[c] = Math.max(hi, running);
    } else {
      if (lo < min[c]) min[c] = lo;
      if (hi > max[c]) max[c] = hi;
    }
    running += 2 * POPCOUNT[b] - 8;
  }
  return { min, max };
}
