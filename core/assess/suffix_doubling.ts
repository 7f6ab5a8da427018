/**
 * Larsson and Sadakane's prefix doubling for the suffixes a 64-bit key sort left tied
 * (suffix_array.ts): only groups still tied are ever re-sorted, so repetitive data costs
 * O(n log n), never a full re-sort per doubling step.
 */
import { alloc } from "./heap.ts";

/** Ranges up to this size are finished by insertion sort. */
export const INSERTION_MAX: i32 = 24;

/** The i32 at `index` of the array at `base`. */
// @ts-ignore: decorator
@inline export function i32At(base: usize, index: i32): i32 {
  return load<i32>(base + (<usize>index << 2));
}
/** Sets the i32 at `index` of the array at `base`. */
// @ts-ignore: decorator
@inline export function setI32(base: usize, index: i32, value: i32): void {
  store<i32>(base + (<usize>index << 2), value);
}

/** Start of the pending run of sorted suffixes in the group links (−1: none). */
let runStart: i32 = -1;

/** Ends the pending run of sorted suffixes at SA index `end`: its link is −end. */
// @ts-ignore: decorator
@inline function closeRun(link: usize, end: i32): void {
  if (runStart >= 0) setI32(link, runStart, -end);
  runStart = -1;
}

/** Links group [from, to) as unsorted (link = its end) or, a single suffix, into the sorted run. */
// @ts-ignore: decorator
@inline function linkGroup(link: usize, from: i32, to: i32): bool {
  if (to - from > 1) {
    closeRun(link, from);
    setI32(link, from, to);
    return true;
  }
  if (runStart < 0) runStart = from;
  return false;
}

/**
 * Orders the suffixes that share a whole key (Larsson and Sadakane's prefix doubling, which
 * only ever re-sorts groups still tied): a suffix's rank is the SA index where its group starts,
 * so after sorting to depth h, sorting a group by rank[i + h] sorts it to depth 2h (deeper where
 * ranks were refined earlier in the pass, which keeps the order right). Sorted runs are skipped
 * through links at their starts (unsorted group: its end; run of sorted suffixes: −its end).
 * Takes the LCPs of the key sort in `link` (which it overwrites); returns rank, now the inverse
 * suffix array. O(n log n) however repetitive the data; memory: rank, plus 8 bytes per suffix
 * of the largest tied group.
 */
export function refineTiedGroups(sa: usize, link: usize, n: i32, perKey: i32): usize {
  const rank = alloc(<usize>n << 2);
  let unsorted = 0, largest = 0;
  runStart = -1;
  for (let j = 0; j < n;) {
    let end = j + 1;
    while (end < n && i32At(link, end) >= perKey) end++;
    for (let k = j; k < end; k++) setI32(rank, i32At(sa, k), j);
    largest = max(largest, end - j);
    if (linkGroup(link, j, end)) unsorted++;
    j = end;
  }
  closeRun(link, n);
  const words = alloc(<usize>largest << 3);
  for (let h = perKey; unsorted > 0; h <<= 1) {
    unsorted = 0;
    for (let j = 0; j < n;) {
      const end = i32At(link, j);
      if (end < 0) {
        if (runStart < 0) runStart = j;
        j = -end;
        continue;
      }
      // (rank at depth h + 1, or 0 past the end) << 32 | position: one u64 sort orders the group.
      const m = end - j;
      for (let k = 0; k < m; k++) {
        const i = i32At(sa, j + k);
        const key: u64 = i + h < n ? <u64>(i32At(rank, i + h) + 1) : 0;
        store<u64>(words + (<usize>k << 3), (key << 32) | <u64>i);
      }
      sortWords(words, 0, m - 1);
      let from = j;
      for (let k = 0; k < m; k++) {
        const word = load<u64>(words + (<usize>k << 3));
        if (k > 0 && (word >> 32) != (load<u64>(words + (<usize>(k - 1) << 3)) >> 32)) {
          if (linkGroup(link, from, j + k)) unsorted++;
          from = j + k;
        }
        const i = <i32>(word & 0xFFFFFFFF);
        setI32(sa, j + k, i);
        setI32(rank, i, from);
      }
      if (linkGroup(link, from, end)) unsorted++;
      j = end;
    }
    closeRun(link, n);
  }
  return rank;
}

/** Quicksort (median of three, insertion sort below INSERTION_MAX) of the u64s [lo, hi] at `words`. */
function sortWords(words: usize, lo: i32, hi: i32): void {
  while (hi - lo >= INSERTION_MAX) {
    const mid = lo + ((hi - lo) >> 1);
    const a = wordAt(words, lo), b = wordAt(words, mid), c = wordAt(words, hi);
    const pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    let i = lo, j = hi;
    while (i <= j) {
      while (wordAt(words, i) < pivot) i++;
      while (wordAt(words, j) > pivot) j--;
      if (i <= j) {
        const t = wordAt(words, i);
        setWord(words, i++, wordAt(words, j));
        setWord(words, j--, t);
      }
    }
    // Recurse into the smaller side, loop on the larger: stack depth stays logarithmic.
    if (j - lo < hi - i) {
      sortWords(words, lo, j);
      lo = i;
    } else {
      sortWords(words, i, hi);
      hi = j;
    }
  }
  for (let k = lo + 1; k <= hi; k++) {
    const w = wordAt(words, k);
    let j = k;
    for (; j > lo && wordAt(words, j - 1) > w; j--) setWord(words, j, wordAt(words, j - 1));
    setWord(words, j, w);
  }
}

// @ts-ignore: decorator
@inline function wordAt(words: usize, k: i32): u64 {
  return load<u64>(words + (<usize>k << 3));
}
// @ts-ignore: decorator
@inline function setWord(words: usize, k: i32, value: u64): void {
  store<u64>(words + (<usize>k << 3), value);
}

