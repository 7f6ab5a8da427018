/**
 * Memory of the assessment module. Unlike the streaming modules, an assessment needs the whole
 * dataset and working arrays proportional to it (a suffix array is 4 bytes per symbol), so the
 * module keeps a bump heap above the static data and grows linear memory on demand:
 *
 *   static data   RESULTS_PTR   RESULT_SLOTS × f64, the last estimator's outputs
 *   __heap_base   samples (the host's copy, one symbol per byte), then per-call scratch
 *
 * Every estimator takes a heap mark on entry and releases it on exit, so memory is bounded by
 * the dataset plus the largest single estimator's scratch (the suffix array pass), never by
 * their sum. Memory never shrinks: one instance serves one assessment.
 */

/** Number of f64 result slots. */
export const RESULT_SLOTS: i32 = 32;
/** Where every estimator writes its outputs (slot meanings: see index.ts). */
export const RESULTS_PTR: usize = memory.data(RESULT_SLOTS * 8, 16);

const PAGE_BYTES: usize = 65536;
let heapTop: usize = (__heap_base + 15) & ~(<usize>15);

/** Current top of the heap: pass it to {@link release} to free what was allocated since. */
export function mark(): usize {
  return heapTop;
}

/** Frees everything allocated after `top` (a value {@link mark} returned). */
export function release(top: usize): void {
  heapTop = top;
}

/**
 * Allocates `bytes` (16-byte aligned, zeroed), growing memory as needed. Out of memory traps
 * (`unreachable`): the host sees a RuntimeError, never a result computed in memory it lacks.
 */
export function alloc(bytes: usize): usize {
  const at = heapTop;
  const end = (at + bytes + 15 + 64) & ~(<usize>15); // 64 bytes of slack for word-wide reads and writes
  const have = <usize>memory.size() * PAGE_BYTES;
  if (end > have) {
    if (memory.grow(<i32>((end - have + PAGE_BYTES - 1) / PAGE_BYTES)) < 0) unreachable();
  }
  memory.fill(at, 0, end - at);
  heapTop = end;
  return at;
}

/** Writes result slot `slot`. */
// @ts-ignore: decorator
@inline export function put(slot: i32, value: f64): void {
  store<f64>(RESULTS_PTR + (<usize>slot << 3), value);
}

/** Clears every result slot to NaN (an estimate that did not run). */
export function clearResults(): void {
  for (let i = 0; i < RESULT_SLOTS; i++) put(i, NaN);
}
