/**
 * Suffix array and LCP array of up to 2^31 symbols of 1..8 bits, for t-Tuple and LRS.
 *
 * Symbols are packed MSB-first into a bitstring, so the first K = ⌊64/b⌋ symbols of any suffix
 * are one 64-bit key read at bit offset i·b. Suffixes are radix-sorted by that key in two
 * cache-sized passes: 2048 buckets by the top 11 bits, then each bucket, its keys read once
 * into a local buffer, split by the next bits and finished by insertion sort (big buckets of
 * skewed data: LSD radix). Neighbours' LCPs come from their keys on the way out. Bits past the
 * end read as zeros, which sort a short suffix exactly where its end-of-string sentinel would,
 * provided ties keep shorter suffixes first (the passes are stable and start from positions
 * descending). Random data is done then; suffixes that share a whole key are ordered by prefix
 * doubling over the tied groups only (suffix_doubling.ts) and their LCPs found by the Φ method.
 *
 * Memory: packed bits (n·b/8) + two i32 arrays of n (SA, LCP) when no two suffixes share a
 * whole key (noisy data); with ties, a third (ranks) and 8 bytes per suffix of the largest tie.
 */
import { alloc } from "./heap.ts";
import { i32At, INSERTION_MAX, refineTiedGroups, setI32 } from "./suffix_doubling.ts";

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

/** Output of buildSuffixArrays: lcp[j] = LCP(sa[j−1], sa[j]), lcp[0] = 0 (n × i32). */
export let lcpPtr: usize = 0;
/** Output of buildSuffixArrays: the largest LCP (the longest repeated substring's length). */
export let maxLcp: i32 = 0;

/** Key bits of the first radix pass: 2048 buckets, whose scatter stays in cache. */
const TOP_BITS: i32 = 11;
/** Most key bits of the second pass, within one bucket. */
const MAX_SUB_BITS: i32 = 11;
/** Buckets up to this size are sorted in local (key, position) buffers, larger ones by radix. */
const LOCAL_MAX: i32 = 8192;
const BYTE_DIGITS: i32 = 256;

// @ts-ignore: decorator
@inline function entryKey(buffer: usize, k: i32): u64 {
  return load<u64>(buffer + (<usize>k << 4));
}
// @ts-ignore: decorator
@inline function entryPosition(buffer: usize, k: i32): i32 {
  return load<i32>(buffer + (<usize>k << 4), 8);
}
// @ts-ignore: decorator
@inline function setEntry(buffer: usize, k: i32, key: u64, position: i32): void {
  store<u64>(buffer + (<usize>k << 4), key);
  store<i32>(buffer + (<usize>k << 4), position, 8);
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
  insertionSort(buffer, lo, hi);
}

/** Insertion sort of buffer entries [lo, hi]: linear when every entry is near its place. */
function insertionSort(buffer: usize, lo: i32, hi: i32): void {
  for (let k = lo + 1; k <= hi; k++) {
    for (let j = k; j > lo && before(buffer, j, j - 1); j--) swapEntries(buffer, j, j - 1);
  }
}

/**
 * Sorts positions scratch[from, to) (one top-bits bucket, positions descending) by key into
 * sa[from, to), shorter suffixes first among equal keys. A bucket that fits the local buffers
 * has its keys read once and is split again by the next key bits (a stable counting pass over
 * about one entry a digit), then each small group is sorted; a bigger one (skewed data) is
 * sorted by LSD radix over the key bits below the top ones, 8-bit digits, which keeps the
 * incoming order on ties.
 */
function sortBucket(sa: usize, scratch: usize, counts: usize, buffer: usize, from: i32, to: i32): void {
  const m = to - from;
  if (m <= LOCAL_MAX) {
    const split = buffer + (<usize>LOCAL_MAX << 4);
    const subBits = min(MAX_SUB_BITS, 32 - <i32>clz(m));
    const subShift = <u64>(64 - TOP_BITS - subBits);
    const subMask = <u64>((1 << subBits) - 1);
    memory.fill(counts, 0, <usize>(1 << subBits) << 2);
    for (let k = 0; k < m; k++) {
      const i = i32At(scratch, from + k);
      const key = keyAt(i);
      setEntry(buffer, k, key, i);
      const digit = <i32>((key >> subShift) & subMask);
      setI32(counts, digit, i32At(counts, digit) + 1);
    }
    let total = 0;
    for (let d = 0; d < 1 << subBits; d++) {
      const c = i32At(counts, d);
      setI32(counts, d, total);
      total += c;
    }
    for (let k = 0; k < m; k++) {
      const key = entryKey(buffer, k);
      const digit = <i32>((key >> subShift) & subMask);
      const at = i32At(counts, digit);
      setI32(counts, digit, at + 1);
      setEntry(split, at, key, entryPosition(buffer, k));
    }
    // counts[d] now ends group d. Small groups: one insertion sort over all; else group by group.
    let start = 0, largest = 0;
    for (let d = 0; d < 1 << subBits; d++) {
      const end = i32At(counts, d);
      largest = max(largest, end - start);
      start = end;
    }
    if (largest <= INSERTION_MAX) {
      insertionSort(split, 0, m - 1);
    } else {
      start = 0;
      for (let d = 0; d < 1 << subBits; d++) {
        const end = i32At(counts, d);
        if (end - start > 1) sortEntries(split, start, end - 1);
        start = end;
      }
    }
    // The bucket's positions are all in the buffers now: its part of scratch takes the LCPs.
    for (let k = 0; k < m; k++) emit(sa, scratch, from + k, entryKey(split, k), entryPosition(split, k));
    return;
  }
  let source = scratch, target = sa;
  for (let pass = 0; pass * 8 < 64 - TOP_BITS; pass++) {
    const shift = <u64>(pass * 8);
    memory.fill(counts, 0, <usize>BYTE_DIGITS << 2);
    for (let j = from; j < to; j++) {
      const digit = <i32>((keyAt(i32At(source, j)) >> shift) & 0xFF);
      setI32(counts, digit, i32At(counts, digit) + 1);
    }
    let total = from, spread = false;
    for (let d = 0; d < BYTE_DIGITS; d++) {
      const c = i32At(counts, d);
      setI32(counts, d, total);
      total += c;
      spread |= c != 0 && c != m;
    }
    if (!spread) continue; // one digit for all: this pass would not move anything
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
  if (source != sa) memory.copy(sa + (<usize>from << 2), source + (<usize>from << 2), <usize>m << 2);
  for (let j = from; j < to; j++) {
    const i = i32At(sa, j);
    emit(sa, scratch, j, keyAt(i), i);
  }
}

// State of emit across buckets: the previous suffix in SA order, and the input's dimensions.
let emittedKey: u64 = 0;
let emittedPosition: i32 = 0;
let suffixCount: i32 = 0;
let symbolsPerKey: i32 = 1;
/** ⌈2^16 / symbol bits⌉: see wholeSymbols. */
let symbolReciprocal: u32 = 1 << 16;
/** Two adjacent suffixes share a whole key (LCP ≥ symbolsPerKey): the keys cannot order them. */
let tied = false;

/**
 * Places suffix `i` (key `key`) at SA index `j`, in SA order, and its LCP with the suffix
 * before it (exact unless the two share a whole key: then `tied` is set).
 */
// @ts-ignore: decorator
@inline function emit(sa: usize, lcp: usize, j: i32, key: u64, i: i32): void {
  setI32(sa, j, i);
  let common = 0;
  if (j > 0) {
    const x = key ^ emittedKey;
    const limit = min(suffixCount - i, suffixCount - emittedPosition);
    if (x == 0 && limit >= symbolsPerKey) tied = true;
    common = min(x == 0 ? symbolsPerKey : wholeSymbols(<u32>clz(x)), limit);
    if (common > maxLcp) maxLcp = common;
  }
  setI32(lcp, j, common);
  emittedKey = key;
  emittedPosition = i;
}

/**
 * ⌊bits / symbol bits⌋ for bits ≤ 64 by a multiply instead of a division (a JIT divides by a
 * variable at ~10 cycles, once per suffix here): with b ≤ 8 bits a symbol the multiplier
 * exceeds 2^16/b by less than 1, so the product errs by under 64/2^16 < 1/b, too little to
 * carry a fraction of at most (b − 1)/b past the next integer.
 */
// @ts-ignore: decorator
@inline function wholeSymbols(bits: u32): i32 {
  return <i32>((bits * symbolReciprocal) >> 16);
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
export function buildSuffixArrays(ptr: usize, len: i32, width: i32): void {
  const n = len;
  const perKey = 64 / width;
  keyWidth = <u64>width;
  keyMask = perKey * width == 64 ? ~(<u64>0) : ~((<u64>1 << <u64>(64 - perKey * width)) - 1);
  const packed = pack(ptr, len, width);
  packedPtr = packed;
  suffixCount = n;
  symbolsPerKey = perKey;
  symbolReciprocal = ((1 << 16) + width - 1) / width;
  tied = false;
  maxLcp = 0;
  const bytes = <usize>n << 2;
  const sa = alloc(bytes);
  const scratch = alloc(bytes);
  // MSD pass on the top key bits, positions descending so shorter suffixes lead ties.
  const digits = 1 << TOP_BITS;
  const digitShift = <u64>(64 - TOP_BITS);
  const starts = alloc(<usize>(digits + 1) << 2);
  for (let i = 0; i < n; i++) {
    const digit = <i32>(keyAt(i) >> digitShift);
    setI32(starts, digit, i32At(starts, digit) + 1);
  }
  let total = 0;
  for (let d = 0; d < digits; d++) {
    const c = i32At(starts, d);
    setI32(starts, d, total);
    total += c;
  }
  setI32(starts, digits, n);
  const cursors = alloc(<usize>digits << 2);
  memory.copy(cursors, starts, <usize>digits << 2);
  for (let i = n - 1; i >= 0; i--) {
    const digit = <i32>(keyAt(i) >> digitShift);
    const at = i32At(cursors, digit);
    setI32(cursors, digit, at + 1);
    setI32(scratch, at, i);
  }
  const digitCounts = alloc(<usize>max(BYTE_DIGITS, 1 << MAX_SUB_BITS) << 2);
  const buffer = alloc(<usize>LOCAL_MAX << 5);
  for (let d = 0; d < digits; d++) {
    const from = i32At(starts, d), to = i32At(starts, d + 1);
    if (to > from) sortBucket(sa, scratch, digitCounts, buffer, from, to);
  }
  if (!tied) {
    lcpPtr = scratch;
    return;
  }
  const rank = refineTiedGroups(sa, scratch, n, perKey);
  // LCPs by Kärkkäinen's Φ: PLCP in text order (each comparison reads the packed text, which
  // is in cache) in place of the ranks, then gathered into SA order; K symbols a comparison.
  const phi = rank;
  setI32(phi, i32At(sa, 0), -1);
  for (let j = 1; j < n; j++) setI32(phi, i32At(sa, j), i32At(sa, j - 1));
  let h = 0;
  for (let i = 0; i < n; i++) {
    const p = i32At(phi, i);
    if (p < 0) {
      h = 0;
      setI32(phi, i, 0);
      continue;
    }
    const limit = min(n - i, n - p);
    while (h < limit) {
      const x = keyAt(i + h) ^ keyAt(p + h);
      if (x == 0) {
        h += perKey;
        continue;
      }
      h += wholeSymbols(<u32>clz(x));
      break;
    }
    if (h > limit) h = limit;
    setI32(phi, i, h);
    if (h > 0) h--;
  }
  maxLcp = 0;
  for (let j = 0; j < n; j++) {
    const common = i32At(phi, i32At(sa, j));
    setI32(scratch, j, common);
    if (common > maxLcp) maxLcp = common;
  }
  lcpPtr = scratch;
}

