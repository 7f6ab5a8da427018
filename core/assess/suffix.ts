/**
 * t-Tuple (§6.3.5) and Longest Repeated Substring (§6.3.6) from one suffix array.
 *
 * Both need, for every tuple length W, how often the commonest W-tuple occurs (Q[W]) and how
 * many pairs of positions share a W-tuple (S[W] = Σ C(count, 2)). In a suffix array the
 * positions sharing a W-tuple are one run of suffixes whose adjacent common prefixes (LCP) are
 * all ≥ W: an lcp-interval. Walking the LCP array once with a stack yields every interval with
 * its own lcp ℓ and its parent's ℓp; it is the group of W-tuples for every W in (ℓp, ℓ], so
 * Q[W] = max size over intervals with ℓ ≥ W and S[W] adds C(size, 2) over W in (ℓp, ℓ]
 * (a difference array). Linear after the sort; no quadratic scan over pairs.
 *
 * The sort: symbols are packed MSB-first into a bitstring, so the first K = ⌊64/b⌋ symbols of
 * any suffix are one 64-bit key read at bit offset i·b. Suffixes are radix-sorted by that key
 * (16 bits a pass), then prefix doubling (Manber-Myers, h = K, 2K, …) orders the remaining
 * ties; random data has none, repetitive data needs log2(LRS/K) rounds. Bits past the end read
 * as zeros, which sort a short suffix exactly where its end-of-string sentinel would, provided
 * ties keep shorter suffixes first (the sort is stable and starts from positions descending).
 *
 * Memory: packed bits (n·b/8) + two i32 arrays of n (SA, LCP) when no two suffixes share a whole
 * key (noisy data), four (SA, rank, scratch, cursors) when prefix doubling has to run.
 */
import { alloc, mark, put, release } from "./heap.ts";
import { entropyOf, upperBound } from "./bounds.ts";

/** Occurrences the commonest tuple needs for the t-tuple estimate (§6.3.5). */
const TUPLE_MIN_COUNT: i32 = 35;
const DIGIT_BITS: i32 = 16;
const DIGITS: i32 = 1 << DIGIT_BITS;

/** 64 bits of the packed bitstring from bit `offset`, MSB first (zeros past the end). */
// @ts-ignore: decorator
@inline function bitsAt(packed: usize, offset: u64): u64 {
  const at = packed + <usize>(offset >> 3);
  const shift = offset & 7;
  const word = bswap<u64>(load<u64>(at));
  return shift == 0 ? word : (word << shift) | (<u64>load<u8>(at + 8) >> (8 - shift));
}

/** Packs `len` symbols of `width` bits MSB-first into a fresh zeroed buffer. */
function pack(ptr: usize, len: i32, width: i32): usize {
  const packed = alloc(<usize>(((<u64>len * <u64>width) >> 3) + 16));
  let acc: u64 = 0, filled: i32 = 0;
  let out = packed;
  for (let i = 0; i < len; i++) {
    acc = (acc << width) | <u64>load<u8>(ptr + i);
    filled += width;
    if (filled >= 8) {
      filled -= 8;
      store<u8>(out++, <u8>(acc >> filled));
    }
  }
  if (filled > 0) store<u8>(out, <u8>(acc << (8 - filled)));
  return packed;
}

/** Outputs of buildSuffixArrays: lcp[j] = LCP(sa[j−1], sa[j]) (lcp[0] = 0) and its maximum. */
let lcpPtr: usize = 0;
let maxLcp: i32 = 0;

// @ts-ignore: decorator
@inline function i32At(base: usize, index: i32): i32 {
  return load<i32>(base + (<usize>index << 2));
}
// @ts-ignore: decorator
@inline function setI32(base: usize, index: i32, value: i32): void {
  store<i32>(base + (<usize>index << 2), value);
}

/** Buckets up to this size are sorted in a local (key, position) buffer, larger ones by radix. */
const LOCAL_MAX: i32 = 4096;
const INSERTION_MAX: i32 = 24;
const BYTE_DIGITS: i32 = 256;

// @ts-ignore: decorator
@inline function entryKey(buffer: usize, k: i32): u64 {
  return load<u64>(buffer + (<usize>k << 4));
}
// @ts-ignore: decorator
@inline function entryPosition(buffer: usize, k: i32): i32 {
  return load<i32>(buffer + (<usize>k << 4), 8);
}
/** (key ascending, position descending): shorter suffixes first among equal keys. */
// @ts-ignore: decorator
@inline function before(buffer: usize, a: i32, b: i32): bool {
  const ka = entryKey(buffer, a), kb = entryKey(buffer, b);
  return ka < kb || (ka == kb && entryPosition(buffer, a) > entryPosition(buffer, b));
}
// @ts-ignore: decorator
@inline function swapEntries(buffer: usize, a: i32, b: i32): void {
  const at = buffer + (<usize>a << 4), bt = buffer + (<usize>b << 4);
  const key = load<u64>(at), position = load<i32>(at, 8);
  store<u64>(at, load<u64>(bt));
  store<i32>(at, load<i32>(bt, 8), 8);
  store<u64>(bt, key);
  store<i32>(bt, position, 8);
}

/** Quicksort (median of three, insertion sort below INSERTION_MAX) of buffer entries [lo, hi]. */
function sortEntries(buffer: usize, lo: i32, hi: i32): void {
  while (hi - lo >= INSERTION_MAX) {
    const mid = lo + ((hi - lo) >> 1);
    if (before(buffer, mid, lo)) swapEntries(buffer, mid, lo);
    if (before(buffer, hi, lo)) swapEntries(buffer, hi, lo);
    if (before(buffer, hi, mid)) swapEntries(buffer, hi, mid);
    swapEntries(buffer, mid, hi - 1); // pivot at hi − 1
    let i = lo, j = hi - 1;
    while (true) {
      do i++; while (before(buffer, i, hi - 1));
      do j--; while (before(buffer, hi - 1, j));
      if (i >= j) break;
      swapEntries(buffer, i, j);
    }
    swapEntries(buffer, i, hi - 1);
    // Recurse into the smaller side, loop on the larger: stack depth stays logarithmic.
    if (i - lo < hi - i) {
      sortEntries(buffer, lo, i - 1);
      lo = i + 1;
    } else {
      sortEntries(buffer, i + 1, hi);
      hi = i - 1;
    }
  }
  for (let k = lo + 1; k <= hi; k++) {
    for (let j = k; j > lo && before(buffer, j, j - 1); j--) swapEntries(buffer, j, j - 1);
  }
}

/**
 * Sorts positions scratch[from, to) by key into sa[from, to), shorter suffixes first among
 * equal keys. A bucket that fits the local buffer is sorted there with its keys read once;
 * a bigger one (skewed data) by LSD radix over the key's low 48 bits (the top 16 are the
 * bucket), 8-bit digits, which keeps the incoming order (positions descending) on ties.
 */
function sortBucket(sa: usize, scratch: usize, counts: usize, buffer: usize, from: i32, to: i32): void {
  const m = to - from;
  if (m <= LOCAL_MAX) {
    for (let k = 0; k < m; k++) {
      const i = i32At(scratch, from + k);
      store<u64>(buffer + (<usize>k << 4), keyAt(i));
      store<i32>(buffer + (<usize>k << 4), i, 8);
    }
    sortEntries(buffer, 0, m - 1);
    for (let k = 0; k < m; k++) setI32(sa, from + k, entryPosition(buffer, k));
    return;
  }
  let source = scratch, target = sa;
  for (let pass = 0; pass < 6; pass++) {
    const shift = <u64>(pass * 8);
    memory.fill(counts, 0, <usize>BYTE_DIGITS << 2);
    for (let j = from; j < to; j++) {
      const digit = <i32>((keyAt(i32At(source, j)) >> shift) & 0xFF);
      setI32(counts, digit, i32At(counts, digit) + 1);
    }
    let total = from;
    for (let d = 0; d < BYTE_DIGITS; d++) {
      const c = i32At(counts, d);
      setI32(counts, d, total);
      total += c;
    }
    for (let j = from; j < to; j++) {
      const i = i32At(source, j);
      const digit = <i32>((keyAt(i) >> shift) & 0xFF);
      const at = i32At(counts, digit);
      setI32(counts, digit, at + 1);
      setI32(target, at, i);
    }
    const swap = source;
    source = target;
    target = swap;
  }
  // Six passes end where they started: copy the sorted range over.
  memory.copy(sa + (<usize>from << 2), scratch + (<usize>from << 2), <usize>m << 2);
}

let packedPtr: usize = 0;
let keyWidth: u64 = 1;
let keyMask: u64 = 0;

/** The first K symbols of suffix `i` as a 64-bit key (zeros past the end). */
// @ts-ignore: decorator
@inline function keyAt(i: i32): u64 {
  return bitsAt(packedPtr, <u64>i * keyWidth) & keyMask;
}

/** Suffix array and LCP of `len` symbols into lcpPtr/maxLcp; the caller releases the heap. */
function buildSuffixArrays(ptr: usize, len: i32, width: i32): void {
  const n = len;
  const perKey = 64 / width;
  keyWidth = <u64>width;
  keyMask = perKey * width == 64 ? ~(<u64>0) : ~((<u64>1 << <u64>(64 - perKey * width)) - 1);
  const packed = pack(ptr, len, width);
  packedPtr = packed;
  const bytes = <usize>n << 2;
  let sa = alloc(bytes);
  let scratch = alloc(bytes);
  // MSD pass on the top 16 key bits, positions descending so shorter suffixes lead ties.
  const starts = alloc(<usize>(DIGITS + 1) << 2);
  for (let i = 0; i < n; i++) {
    const digit = <i32>(keyAt(i) >> 48);
    setI32(starts, digit, i32At(starts, digit) + 1);
  }
  let total = 0;
  for (let d = 0; d < DIGITS; d++) {
    const c = i32At(starts, d);
    setI32(starts, d, total);
    total += c;
  }
  setI32(starts, DIGITS, n);
  const cursors = alloc(<usize>DIGITS << 2);
  memory.copy(cursors, starts, <usize>DIGITS << 2);
  for (let i = n - 1; i >= 0; i--) {
    const digit = <i32>(keyAt(i) >> 48);
    const at = i32At(cursors, digit);
    setI32(cursors, digit, at + 1);
    setI32(scratch, at, i);
  }
  const byteCounts = alloc(<usize>BYTE_DIGITS << 2);
  const buffer = alloc(<usize>LOCAL_MAX << 4);
  for (let d = 0; d < DIGITS; d++) {
    const from = i32At(starts, d), to = i32At(starts, d + 1);
    if (to > from) sortBucket(sa, scratch, byteCounts, buffer, from, to);
  }
  // Adjacent keys give the LCP directly unless two suffixes share a whole key (LCP ≥ K).
  let tied = false;
  maxLcp = 0;
  setI32(scratch, 0, 0);
  let previousKey = keyAt(i32At(sa, 0));
  for (let j = 1; j < n; j++) {
    const i = i32At(sa, j), p = i32At(sa, j - 1);
    const key = keyAt(i);
    const x = key ^ previousKey;
    previousKey = key;
    const limit = min(n - i, n - p);
    if (x == 0 && limit >= perKey) {
      tied = true;
      break;
    }
    const common = min(x == 0 ? perKey : <i32>clz(x) / width, limit);
    setI32(scratch, j, common);
    if (common > maxLcp) maxLcp = common;
  }
  if (!tied) {
    lcpPtr = scratch;
    return;
  }
  let rank = alloc(bytes);
  const counts = alloc(<usize>(n + 1) << 2);
  // Ranks: the SA position where each group of equal K-prefixes starts. A suffix shorter than
  // K symbols is unique (its sentinel differs from everything), so it gets a group of its own.
  let groups = 0;
  let previous: u64 = 0;
  for (let j = 0; j < n; j++) {
    const i = i32At(sa, j);
    const key = keyAt(i);
    const short = n - i < perKey;
    if (j == 0 || key != previous || short || n - i32At(sa, j - 1) < perKey) {
      groups++;
      setI32(rank, i, j);
    } else {
      setI32(rank, i, i32At(rank, i32At(sa, j - 1)));
    }
    previous = key;
  }
  // Prefix doubling: order by (rank[i], rank[i + h]) until every group is a single suffix.
  for (let h = perKey; groups < n; h <<= 1) {
    // Second keys: suffixes with nothing at i + h first (all unique already), then SA order.
    let at = 0;
    for (let i = max(0, n - h); i < n; i++) setI32(scratch, at++, i);
    for (let j = 0; j < n; j++) {
      const i = i32At(sa, j);
      if (i >= h) setI32(scratch, at++, i - h);
    }
    // Stable placement by first key: ranks are group starts, so a cursor per group suffices.
    for (let j = 0; j < n; j++) setI32(counts, j, j);
    for (let j = 0; j < n; j++) {
      const i = i32At(scratch, j);
      const group = i32At(rank, i);
      const to = i32At(counts, group);
      setI32(counts, group, to + 1);
      setI32(sa, to, i);
    }
    // New ranks into scratch (indexed by position), then swap with rank.
    groups = 0;
    for (let j = 0; j < n; j++) {
      const i = i32At(sa, j);
      if (j > 0) {
        const p = i32At(sa, j - 1);
        const second = i + h < n ? i32At(rank, i + h) : -1;
        const secondPrev = p + h < n ? i32At(rank, p + h) : -1;
        if (i32At(rank, i) == i32At(rank, p) && second == secondPrev) {
          setI32(scratch, i, i32At(scratch, p));
          continue;
        }
      }
      groups++;
      setI32(scratch, i, j);
    }
    const swap = rank;
    rank = scratch;
    scratch = swap;
  }
  // Kasai's LCP, comparing K symbols at a time; rank[i] is now i's SA position.
  maxLcp = 0;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const j = i32At(rank, i);
    if (j == 0) {
      h = 0;
      setI32(scratch, 0, 0);
      continue;
    }
    const p = i32At(sa, j - 1);
    const limit = min(n - i, n - p);
    while (h < limit) {
      const x = keyAt(i + h) ^ keyAt(p + h);
      if (x == 0) {
        h += perKey;
        continue;
      }
      h += <i32>clz(x) / width;
      break;
    }
    if (h > limit) h = limit;
    setI32(scratch, j, h);
    if (h > maxLcp) maxLcp = h;
    if (h > 0) h--;
  }
  lcpPtr = scratch;
}

/**
 * t-Tuple and LRS on `len` symbols of `width` bits. Slots 0 t, 1 p̂_max, 2 p_u, 3 min-entropy
 * (t-tuple; NaN when no symbol occurs 35 times); 4 u, 5 v, 6 p̂, 7 p_u, 8 min-entropy (LRS; NaN
 * estimate when v < u, slots 4 and 5 still set).
 */
export function tupleAndLrs(ptr: usize, len: i32, width: i32): void {
  const top = mark();
  buildSuffixArrays(ptr, len, width);
  const lcp = lcpPtr;
  const longest = maxLcp;
  // Per length ℓ: the largest interval with lcp exactly ℓ, and the difference array of S.
  const biggest = alloc(<usize>(longest + 2) << 2);
  const pairDiff = alloc(<usize>(longest + 2) << 3);
  const stackLcp = alloc(<usize>(longest + 2) << 2);
  const stackStart = alloc(<usize>(longest + 2) << 2);
  let depth = 0;
  setI32(stackLcp, 0, 0);
  setI32(stackStart, 0, 0);
  for (let j = 1; j <= len; j++) {
    const here = j < len ? i32At(lcp, j) : 0;
    let start = j - 1;
    while (here < i32At(stackLcp, depth)) {
      const l = i32At(stackLcp, depth);
      start = i32At(stackStart, depth);
      depth--;
      const parent = max(here, i32At(stackLcp, depth));
      const size = j - start;
      if (size > i32At(biggest, l)) setI32(biggest, l, size);
      const pairs = <i64>size * <i64>(size - 1) / 2;
      store<i64>(pairDiff + (<usize>(parent + 1) << 3), load<i64>(pairDiff + (<usize>(parent + 1) << 3)) + pairs);
      store<i64>(pairDiff + (<usize>(l + 1) << 3), load<i64>(pairDiff + (<usize>(l + 1) << 3)) - pairs);
    }
    if (here > i32At(stackLcp, depth)) {
      depth++;
      setI32(stackLcp, depth, here);
      setI32(stackStart, depth, start);
    }
  }
  // Q[W] = max over ℓ ≥ W of biggest[ℓ], in place from the top.
  for (let l = longest - 1; l >= 1; l--) setI32(biggest, l, max(i32At(biggest, l), i32At(biggest, l + 1)));
  const n = <f64>len;
  let t = 0;
  while (t < longest && i32At(biggest, t + 1) >= TUPLE_MIN_COUNT) t++;
  if (t > 0) {
    let pMax: f64 = 0;
    for (let i = 1; i <= t; i++) {
      pMax = Math.max(pMax, Math.pow(<f64>i32At(biggest, i) / (n - <f64>i + 1), 1 / <f64>i));
    }
    const pU = upperBound(pMax, n);
    put(0, <f64>t);
    put(1, pMax);
    put(2, pU);
    put(3, entropyOf(pU));
  }
  const u = t + 1;
  put(4, <f64>u);
  put(5, <f64>longest);
  if (longest >= u) {
    let pairs: i64 = 0;
    let pMax: f64 = 0;
    for (let w = 1; w <= longest; w++) {
      pairs += load<i64>(pairDiff + (<usize>w << 3));
      if (w < u) continue;
      const windows = n - <f64>w + 1;
      const collision = <f64>pairs / (windows * (windows - 1) / 2);
      pMax = Math.max(pMax, Math.pow(collision, 1 / <f64>w));
    }
    const pU = upperBound(pMax, n);
    put(6, pMax);
    put(7, pU);
    put(8, entropyOf(pU));
  }
  release(top);
}
