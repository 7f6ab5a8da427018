/**
 * t-Tuple (§6.3.5) and Longest Repeated Substring (§6.3.6) from one suffix array.
 *
 * Both need, for every tuple length W, how often the commonest W-tuple occurs (Q[W]) and how
 * many pairs of positions share a W-tuple (S[W] = Σ C(count, 2)). In a suffix array the
 * positions sharing a W-tuple are one run of suffixes whose adjacent common prefixes (LCP) are
 * all ≥ W: an lcp-interval. Walking the LCP array once with a stack yields every interval with
 * its own lcp ℓ and its parent's ℓp; it is the group of W-tuples for every W in (ℓp, ℓ], so
 * Q[W] = max size over intervals with ℓ ≥ W and S[W] adds C(size, 2) over W in (ℓp, ℓ]
 * (a difference array). Linear after the sort (suffix_array.ts); no quadratic scan over pairs.
 */
import { alloc, mark, put, release } from "./heap.ts";
import { entropyOf, upperBound } from "./bounds.ts";
import { buildSuffixArrays, lcpPtr, maxLcp } from "./suffix_array.ts";
import { i32At, setI32 } from "./suffix_doubling.ts";

/** Occurrences the commonest tuple needs for the t-tuple estimate (§6.3.5). */
const TUPLE_MIN_COUNT: i32 = 35;

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
