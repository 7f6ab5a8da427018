/**
 * The IID permutation tests (SP 800-90B §5.1): 19 statistics of the data are ranked against the
 * same statistics of shuffles of it. Shuffling destroys any order, so for IID data the original
 * is an ordinary member of the crowd; a statistic that sits in the outer 0.05 % (five or fewer
 * shuffles on one side of it, counting ties, after 10,000) says the order mattered.
 *
 *   0 excursion                max |Σ_{j≤i} s_j − i·mean|
 *   1 numDirectionalRuns       runs in s′ (s′_i = +1 if s_i ≤ s_{i+1}, else −1)
 *   2 lenDirectionalRuns       longest run in s′
 *   3 numIncreasesDecreases    max(#+1, #−1) in s′
 *   4 numRunsMedian            runs of (s_i ≥ median)
 *   5 lenRunsMedian            longest such run
 *   6 avgCollision             mean length of the windows that end at their first repeat
 *   7 maxCollision             longest such window
 *   8-12 periodicity(p)        #{i : s_i = s_{i+p}},  p = 1, 2, 8, 16, 32
 *   13-17 covariance(p)        Σ s_i·s_{i+p}
 *   18 compression             LZ78 phrases of the data (NIST's tool: bzip2 length of the data
 *                              written as decimal text; see below)
 *
 * Binary data: runs about the median, excursion and compression read the bits; directional
 * runs, increases/decreases, periodicity and covariance read Conversion I (ones per 8-bit
 * block) and the collision statistics Conversion II (8-bit blocks as bytes), as §5.1 says.
 * A trailing block of fewer than 8 bits is dropped.
 *
 * Compression departs from the tool: bzip2 cannot be reproduced byte for byte without its code,
 * and its block sort would make each pass superlinear. An LZ78 parse counts how much of the
 * data repeats earlier material, as any dictionary compressor's output length does, in one
 * linear pass over a dictionary of bounded size.
 *
 * A statistic is decided (passes) once more than five shuffles sit on each side of it counting
 * ties, as the tool decides; decided statistics are no longer counted or computed, and the
 * tests end when all pass. The shuffled copy is reshuffled in place each round.
 *
 * Memory (allocated by permutationStart, kept until the module ends): a copy of the data, two
 * conversion arrays for binary data (n/8 each), an LZ78 table of up to 2^21 slots × 12 bytes.
 */
import { alloc } from "./heap.ts";
import { seedShuffles, shuffleBytes } from "./shuffle.ts";

/** Number of permutation-test statistics. */
export const STATISTICS: i32 = 19;
/** Words per statistic in the output: the data's value, then as §5.1 counts shuffles: C0 those
 * whose statistic is above the data's, C1 equal, C2 below. */
const WORDS_PER_STATISTIC: i32 = 4;
/** Statistics (f64 × 4 each), then the shuffles run, then the undecided mask. */
export const PERMUTATION_PTR: usize = memory.data(<i32>((STATISTICS * WORDS_PER_STATISTIC + 2) * 8), 16);
const ROUNDS_SLOT: i32 = STATISTICS * WORDS_PER_STATISTIC;
const shuffledStatistics: usize = memory.data(STATISTICS * 8, 16);
/** A statistic passes once more than this many shuffles sit on each side of it, ties counted. */
const DECIDING_COUNT: f64 = 5;

/** The lags of periodicity and covariance (static memory: the stub runtime has no heap). */
const LAGS: usize = memory.data<i32>([1, 2, 8, 16, 32]);
const LAG_COUNT: i32 = 5;
const EXCURSION: u32 = 1 << 0;
const DIRECTIONAL: u32 = 0b1110;
const MEDIAN_RUNS: u32 = 0b110000;
const COLLISIONS: u32 = 0b11000000;
const LAG_STATISTICS: u32 = 0b111111111100000000;
const COMPRESSION: u32 = 1 << 18;
const ALL_STATISTICS: u32 = (1 << 19) - 1;

/** LZ78 dictionary: at most this many phrases (then it stops growing), table at ≤ 1/2 load. */
const MAX_PHRASES: i32 = 1 << 20;

let original: usize = 0;
let shuffled: usize = 0;
let length: i32 = 0;
let binary: bool = false;
let mean: f64 = 0;
/** Twice the median (an integer: the median of integers is a whole or a half). */
let medianTwice: i32 = 0;
/** Conversion I (ones per block) and II (block as a byte) of binary data; `blocks` of each. */
let onesPerBlock: usize = 0;
let blockBytes: usize = 0;
let blocks: i32 = 0;
let undecided: u32 = 0;
let rounds: i32 = 0;
let tableSlots: u32 = 0;
let tableShift: u32 = 0;
let tableBase: usize = 0;
let tableStamp: u32 = 0;
const collisionSeen: usize = memory.data(256 * 4, 16);

// @ts-ignore: decorator
@inline function word(statistic: i32, index: i32): usize {
  return PERMUTATION_PTR + (<usize>(statistic * WORDS_PER_STATISTIC + index) << 3);
}

/** max |Σ_{j≤i} s_j − i·mean| over i. */
function excursion(data: usize, n: i32): f64 {
  let sum: i64 = 0, most: f64 = 0;
  for (let i = 0; i < n; i++) {
    sum += <i64>load<u8>(data + i);
    most = Math.max(most, Math.abs(<f64>sum - <f64>(i + 1) * mean));
  }
  return most;
}

/** Run counting over a sequence of booleans: start with the first, step with each next. */
let runs = 0;
let longestRun = 0;
let currentRun = 0;
let previousValue = false;

// @ts-ignore: decorator
@inline function startRuns(first: bool): void {
  runs = 1;
  longestRun = 1;
  currentRun = 1;
  previousValue = first;
}

// @ts-ignore: decorator
@inline function stepRuns(value: bool): void {
  if (value == previousValue) {
    currentRun++;
    if (currentRun > longestRun) longestRun = currentRun;
  } else {
    runs++;
    currentRun = 1;
  }
  previousValue = value;
}

/** Directional runs of `series` (n values): slots 1, 2, 3 of `out`. */
function directional(series: usize, n: i32, out: usize): void {
  if (n < 2) return;
  const firstUp = load<u8>(series + 1) >= load<u8>(series);
  let ups = firstUp ? 1 : 0;
  startRuns(firstUp);
  for (let i = 1; i < n - 1; i++) {
    const up = load<u8>(series + i + 1) >= load<u8>(series + i);
    if (up) ups++;
    stepRuns(up);
  }
  store<f64>(out, <f64>runs, 8);
  store<f64>(out, <f64>longestRun, 16);
  store<f64>(out, <f64>max(ups, n - 1 - ups), 24);
}

/** Runs about the median: slots 4, 5 of `out`. */
function medianRuns(data: usize, n: i32, out: usize): void {
  startRuns((<i32>load<u8>(data) << 1) >= medianTwice);
  for (let i = 1; i < n; i++) stepRuns((<i32>load<u8>(data + i) << 1) >= medianTwice);
  store<f64>(out, <f64>runs, 32);
  store<f64>(out, <f64>longestRun, 40);
}

/** Windows ending at their first repeated value: mean and longest length, slots 6, 7. */
function collisions(series: usize, n: i32, out: usize): void {
  memory.fill(collisionSeen, 0, 256 * 4);
  let window = 0, count = 0, longest = 0;
  let total: f64 = 0;
  let i = 0;
  while (i < n) {
    window++;
    let j = i;
    let found = false;
    for (; j < n; j++) {
      const at = collisionSeen + (<usize>load<u8>(series + j) << 2);
      if (load<i32>(at) == window) {
        found = true;
        break;
      }
      store<i32>(at, window);
    }
    if (!found) break;
    const size = j - i + 1;
    count++;
    total += <f64>size;
    if (size > longest) longest = size;
    i = j + 1;
  }
  store<f64>(out, count > 0 ? total / <f64>count : 0, 48);
  store<f64>(out, <f64>longest, 56);
}

/** Periodicity and covariance at the five lags: slots 8-17. */
function lagStatistics(series: usize, n: i32, out: usize): void {
  for (let k = 0; k < LAG_COUNT; k++) {
    const lag = load<i32>(LAGS + (<usize>k << 2));
    let same = 0;
    let products: i64 = 0;
    for (let i = 0; i < n - lag; i++) {
      const a = load<u8>(series + i), b = load<u8>(series + i + lag);
      if (a == b) same++;
      products += <i64>(<i32>a * <i32>b);
    }
    store<f64>(out + (<usize>(8 + k) << 3), <f64>same);
    store<f64>(out + (<usize>(13 + k) << 3), <f64>products);
  }
}

/**
 * Phrases of an LZ78 parse of `data`: each phrase is the longest known phrase plus one symbol,
 * and becomes known itself while the dictionary has room. Keys are (parent << 8 | symbol); a
 * slot belongs to this pass when its stamp is this pass's, so the table is never cleared.
 */
function lz78Phrases(data: usize, n: i32): f64 {
  tableStamp++;
  let node: u32 = 0, phrases: i32 = 0, known: u32 = 1;
  for (let i = 0; i < n; i++) {
    const key = (node << 8) | <u32>load<u8>(data + i);
    let slot = (key * 0x9E3779B1) >> tableShift;
    let child: u32 = 0;
    for (;;) {
      const at = tableBase + (<usize>slot * 12);
      if (load<u32>(at) != tableStamp) {
        phrases++;
        if (known < <u32>MAX_PHRASES) {
          store<u32>(at, tableStamp);
          store<u32>(at, key, 4);
          store<u32>(at, known++, 8);
        }
        break;
      }
      if (load<u32>(at, 4) == key) {
        child = load<u32>(at, 8);
        break;
      }
      slot = (slot + 1) & (tableSlots - 1);
    }
    node = child;
  }
  if (node != 0) phrases++;
  return <f64>phrases;
}

/** Conversion I and II of the bits at `data` into the block arrays. */
function convert(data: usize): void {
  for (let b = 0; b < blocks; b++) {
    let value: u32 = 0;
    for (let k = 0; k < 8; k++) value = (value << 1) | <u32>load<u8>(data + (b << 3) + k);
    store<u8>(onesPerBlock + b, <u8>popcnt(value));
    store<u8>(blockBytes + b, <u8>value);
  }
}

/** The statistics in `wanted` of `data` into `out` (f64 per statistic). */
function statistics(data: usize, wanted: u32, out: usize): void {
  if (binary && (wanted & (DIRECTIONAL | COLLISIONS | LAG_STATISTICS)) != 0) convert(data);
  const series = binary ? onesPerBlock : data;
  const n = binary ? blocks : length;
  if (wanted & EXCURSION) store<f64>(out, excursion(data, length));
  if (wanted & DIRECTIONAL) directional(series, n, out);
  if (wanted & MEDIAN_RUNS) medianRuns(data, length, out);
  if (wanted & COLLISIONS) collisions(binary ? blockBytes : data, n, out);
  if (wanted & LAG_STATISTICS) lagStatistics(series, n, out);
  if (wanted & COMPRESSION) store<f64>(out, lz78Phrases(data, length), 144);
}

/** The median of `len` bytes, doubled. */
function medianOf(data: usize, len: i32): i32 {
  const counts = alloc(256 * 4);
  for (let i = 0; i < len; i++) {
    const at = counts + (<usize>load<u8>(data + i) << 2);
    store<i32>(at, load<i32>(at) + 1);
  }
  // The values at sorted positions ⌊(len−1)/2⌋ and ⌊len/2⌋ (equal for odd len).
  const lowRank = (len - 1) >> 1, highRank = len >> 1;
  let low = -1, high = -1, seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += load<i32>(counts + (<usize>v << 2));
    if (low < 0 && seen > lowRank) low = v;
    if (high < 0 && seen > highRank) high = v;
  }
  return low + high;
}

/**
 * Prepares the tests on `len` symbols at `ptr` (bits when `isBinary`): computes the original
 * statistics into PERMUTATION_PTR, zeroes the counts and seeds the shuffles with `seed`.
 */
export function permutationStart(ptr: usize, len: i32, isBinary: bool, seed: u64): void {
  original = ptr;
  length = len;
  binary = isBinary;
  let sum: i64 = 0;
  for (let i = 0; i < len; i++) sum += <i64>load<u8>(ptr + i);
  mean = <f64>sum / <f64>len;
  // §5.1.5: binary data's median is 0.5.
  medianTwice = binary ? 1 : medianOf(ptr, len);
  blocks = len >> 3;
  if (binary) {
    onesPerBlock = alloc(<usize>blocks);
    blockBytes = alloc(<usize>blocks);
  }
  tableSlots = 1 << 4;
  tableShift = 28;
  while (tableSlots < <u32>min(len, MAX_PHRASES) * 2) {
    tableSlots <<= 1;
    tableShift--;
  }
  tableBase = alloc(<usize>tableSlots * 12);
  tableStamp = 0;
  shuffled = alloc(<usize>len);
  memory.copy(shuffled, ptr, <usize>len);
  memory.fill(PERMUTATION_PTR, 0, <usize>((STATISTICS * WORDS_PER_STATISTIC + 2) * 8));
  statistics(original, ALL_STATISTICS, shuffledStatistics);
  for (let s = 0; s < STATISTICS; s++) store<f64>(word(s, 0), load<f64>(shuffledStatistics + (<usize>s << 3)));
  undecided = ALL_STATISTICS;
  rounds = 0;
  store<f64>(word(0, ROUNDS_SLOT), 0);
  store<f64>(word(0, ROUNDS_SLOT + 1), <f64>undecided);
  seedShuffles(seed);
}

/**
 * Runs up to `count` more shuffles, stopping early once every statistic has passed. Updates the
 * counts, the shuffles run so far and the mask of statistics still undecided (returned).
 */
export function permutationRun(count: i32): u32 {
  for (let r = 0; r < count && undecided != 0; r++) {
    shuffleBytes(shuffled, length);
    statistics(shuffled, undecided, shuffledStatistics);
    rounds++;
    for (let s = 0; s < STATISTICS; s++) {
      if ((undecided & (1 << s)) == 0) continue;
      const ours = load<f64>(word(s, 0));
      const theirs = load<f64>(shuffledStatistics + (<usize>s << 3));
      const counter = word(s, theirs > ours ? 1 : theirs == ours ? 2 : 3);
      store<f64>(counter, load<f64>(counter) + 1);
      const c0 = load<f64>(word(s, 1)), c1 = load<f64>(word(s, 2)), c2 = load<f64>(word(s, 3));
      if (c0 + c1 > DECIDING_COUNT && c1 + c2 > DECIDING_COUNT) undecided &= ~(<u32>1 << s);
    }
  }
  store<f64>(word(0, ROUNDS_SLOT), <f64>rounds);
  store<f64>(word(0, ROUNDS_SLOT + 1), <f64>undecided);
  return undecided;
}
