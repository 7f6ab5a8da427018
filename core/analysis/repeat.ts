/**
 * The repetition check: fails any stretch of the stream that occurs twice within a long history,
 * at every period and alignment. RCT and APT see only runs inside a few hundred samples; a
 * source that replays a block, cycles with a period of 29 bytes or counts 0..255 passes them.
 *
 * Theory. A source that claims H bits of min-entropy per byte emits a given stretch of
 * L = 256 / H bytes (a gram) with probability at most 2^-256, so a gram that recurs is a
 * broken source, not chance. Keeping every gram of the last 256 MiB is 2^28 entries; winnowing
 * keeps few and still finds every long repeat. Each position q gets a 16-bit selection value
 * v(q) from the 2·terms bytes at q (terms is sized so they carry >= 16 bits of the claim). In
 * every run of `window` consecutive positions the rightmost position of least v is *selected*.
 * Selection depends only on the bytes of the run, so when a stretch of R = window + L − 1 bytes
 * occurs twice, both occurrences select the same relative position, and its gram, a 128-bit
 * fingerprint stored with its stream offset, is found in a table: every repeat of R bytes or
 * more is caught, whatever its period and alignment, with 2 / (window + 1) of the positions
 * selected.
 *
 * Two tiers share the selection values. The near tier winnows with window 1023 (R = 1054 bytes
 * at H = 8) and remembers the last 4 MiB in a small table (cache-resident); the far tier
 * winnows with window 2047 (R = 2078 bytes at H = 8) over 256 MiB. The far tier's selections
 * are a subset of the near tier's: the rightmost minimum of a 2047-run is also the rightmost
 * minimum of every shorter run inside it that holds it. So the far tier's sliding minimum is fed
 * only the near tier's selections, and both come from one pass over the bytes. (A shorter near
 * window costs more than the battery's budget allows: window 511 measured +1.4 ns/byte.)
 *
 * Speed. v is computed 64 positions at a time in SIMD (with one term, straight 16-bit loads at
 * even and odd offsets); a position with v below `candidateBelow` (~5 per near window) is a
 * candidate, and only candidates go through the exact sliding minimum (a monotone deque): a
 * non-candidate can be a run's minimum only in a run without any candidate. Once such a run may
 * end (~0.7% of near windows of ideal data), wide candidates (v below `wideBelow`, 4 times as
 * many) are fed as well, the ones since the last fed position first; in a run without even a
 * wide one (~e^-20) every position is fed, its value computed again from the bytes (the seam
 * keeps those of the last update). Feeding more positions than needed never changes a run's
 * minimum. At the end of every update each tier selects the minima of all runs that ended in
 * it, so a repeat is found by the update that completes its stretch.
 *
 * False alarms of ideal data at the claimed H: a true repeat of a gram, <= 2^-256 per pair of
 * grams compared, and a fingerprint collision, 2^-95 per slot compared (repeat_table.ts); the
 * binding (wasm/repetition.ts) states the rate per TiB.
 *
 * Streaming: positions are processed once their gram is complete; grams that straddle two
 * updates are read from the seam, which keeps the last `carry` bytes before the update and then
 * its first bytes. Results never depend on how the stream was chunked.
 */
import { LOG_SLOTS } from "./layout.ts";
import {
  FingerprintTable,
  TABLE_QUEUE_BYTES,
  TABLE_SLOT_BYTES,
  TABLE_STATE_BYTES,
  tableAt,
  tableFlush,
  tableQueue,
  tableReset,
  tableSweepAfter,
} from "./repeat_table.ts";
import { blockBelow, selectionValue } from "./repeat_values.ts";

/** Longest gram (bytes): 256 bits at the least claim, 1/16 bit per byte. */
export const REPEAT_MAX_GRAM_BYTES: i32 = 4096;
/** Widest winnowing window (positions). */
export const REPEAT_MAX_WINDOW: i32 = 2047;
/**
 * The check stops once it has found this many repeats: the stream is condemned by then, and
 * degenerate data (all zeros selects every position) would otherwise cost ~100 ns a byte.
 */
export const REPEAT_COUNT_LIMIT: i64 = 1024;

const DEQUE_CAPACITY: i32 = 4096; // > window
/** Positions whose selection values are computed and tested together. */
const BLOCK_POSITIONS: i32 = 64;
const DEQUE_MASK: i32 = DEQUE_CAPACITY - 1;
const MAX_CARRY_BYTES: i32 = REPEAT_MAX_GRAM_BYTES + 2 * REPEAT_MAX_WINDOW + 64;
const SEAM_BYTES: i32 = MAX_CARRY_BYTES + REPEAT_MAX_GRAM_BYTES + 64;

/** The sliding minimum of one tier; lives in static memory. */
// @ts-ignore: decorator
@unmanaged class Winnow {
  window: i64;
  /** The monotone deque, circular: i64 positions and u32 values. */
  posPtr: usize;
  valPtr: usize;
  head: i32;
  size: i32;
  lastFed: i64;
  lastSelected: i64;
  /** The far tier (its selections go to the far table only). */
  far: bool;
}

// Memory (static; the tables are grown at the heap base on first configuration, far then near):
//   SEAM_PTR   carry bytes, then the head of the update, then slack for SIMD over-reads
//   *_DQ_*     each tier's monotone deque
//   *_QUEUE_PTR, *_LOG_PTR, *_TABLE_PTR   each table's pending lookups, first repeats, state
const SEAM_PTR: usize = memory.data(SEAM_BYTES + 64, 64);
const NEAR_DQ_POS_PTR: usize = memory.data(DEQUE_CAPACITY * 8, 64);
const NEAR_DQ_VAL_PTR: usize = memory.data(DEQUE_CAPACITY * 4, 64);
const FAR_DQ_POS_PTR: usize = memory.data(DEQUE_CAPACITY * 8, 64);
const FAR_DQ_VAL_PTR: usize = memory.data(DEQUE_CAPACITY * 4, 64);
const NEAR_QUEUE_PTR: usize = memory.data(TABLE_QUEUE_BYTES, 64);
const FAR_QUEUE_PTR: usize = memory.data(TABLE_QUEUE_BYTES, 64);
/** Offsets of the near tier's first repeats: LOG_SLOTS pairs (earlier, later) of f64. */
export const REPEAT_NEAR_LOG_PTR: usize = memory.data(LOG_SLOTS * 16, 64);
/** Offsets of the far tier's first repeats, as {@link REPEAT_NEAR_LOG_PTR}. */
export const REPEAT_FAR_LOG_PTR: usize = memory.data(LOG_SLOTS * 16, 64);
const NEAR = changetype<Winnow>(memory.data(64, 64));
const FAR = changetype<Winnow>(memory.data(64, 64));
const NEAR_TABLE: FingerprintTable = tableAt(memory.data(TABLE_STATE_BYTES, 64));
const FAR_TABLE: FingerprintTable = tableAt(memory.data(TABLE_STATE_BYTES, 64));

// Configuration.
/** Whether the check is configured (the gate then runs it on every staged byte). */
export let repeatEnabled = false;
let gramBytes: i32 = 32;
let terms: i32 = 1;
/** Positions with v below this are candidates; below wideBelow, wide candidates. */
let candidateBelow: u32 = 0;
let wideBelow: u32 = 0;
let carryBytes: i32 = 0;
let tablesPtr: usize = 0;
let tablesBytesGrown: usize = 0;

// Stream state.
let nextPosition: i64 = 0; // every position before it has been processed
let lastCandidate: i64 = -1;
/** Wide candidates are fed as well (a run without a candidate may end soon). */
let wide = false;
/** The last wide candidate (candidates are wide candidates too) while `wide`. */
let lastWide: i64 = -1;
/** A run without even a wide candidate: every position is fed. */
let inGap = false;
// Where the bytes of the current update are: positions >= chunkBase at chunkPtr, earlier ones
// in the seam, whose first byte is position seamBase.
let chunkPtr: usize = 0;
let chunkBase: i64 = 0;
let seamBase: i64 = 0;

/** Bytes the check has seen. */
export let repeatBytes: i64 = 0;

/** Grams the near tier looked up. */
export function repeatNearSelected(): i64 { return NEAR_TABLE.lookups; }
/** Grams the far tier looked up. */
export function repeatFarSelected(): i64 { return FAR_TABLE.lookups; }
/** Repeats found by the near tier. */
export function repeatNearMatches(): i64 { return NEAR_TABLE.matches; }
/** Repeats found by the far tier. */
export function repeatFarMatches(): i64 { return FAR_TABLE.matches; }
/** Repeats found by either tier (a repeat both find counts twice). */
export function repeatMatches(): i64 { return NEAR_TABLE.matches + FAR_TABLE.matches; }
/** Fingerprints not stored because a table was full (never happens to ideal data). */
export function repeatOverloads(): i64 { return NEAR_TABLE.overloads + FAR_TABLE.overloads; }

function winnowReset(w: Winnow, window: i32, posPtr: usize, valPtr: usize, far: bool): void {
  w.window = window;
  w.posPtr = posPtr;
  w.valPtr = valPtr;
  w.head = w.size = 0;
  w.lastFed = w.lastSelected = -1;
  w.far = far;
}

/**
 * Sets the parameters, grows the tables (2^farBits and 2^nearBits slots) if needed and resets
 * all state. `gram` <= REPEAT_MAX_GRAM_BYTES and a multiple of 8; 4·`hashTerms` <= `gram`;
 * `nearWindow` < `farWindow` <= REPEAT_MAX_WINDOW; positions with v below `candidates` are
 * candidates, below `wideCandidates` wide ones (see the module comment); histories <= 2^31 bytes.
 */
export function repeatConfigure(
  gram: i32, hashTerms: i32, candidates: u32, wideCandidates: u32,
  nearWindow: i32, nearHistory: u32, nearBits: i32,
  farWindow: i32, farHistory: u32, farBits: i32,
): void {
  repeatEnabled = true;
  gramBytes = gram;
  terms = hashTerms;
  candidateBelow = candidates;
  wideBelow = wideCandidates;
  carryBytes = gram + 2 * farWindow + 64;
  const farBytes = <usize>TABLE_SLOT_BYTES << farBits;
  const nearBytes = <usize>TABLE_SLOT_BYTES << nearBits;
  if (tablesPtr == 0) tablesPtr = (__heap_base + 63) & ~(<usize>63);
  const end = tablesPtr + farBytes + nearBytes;
  const have = <usize>memory.size() << 16;
  if (end > have) memory.grow(<i32>((end - have + 0xffff) >> 16));
  // Memory grown fresh is zero: only what earlier configurations used needs clearing.
  const used = tablesBytesGrown;
  tableReset(FAR_TABLE, tablesPtr, farBits, farHistory, used, FAR_QUEUE_PTR, REPEAT_FAR_LOG_PTR);
  tableReset(NEAR_TABLE, tablesPtr + farBytes, nearBits, nearHistory, used > farBytes ? used - farBytes : 0, NEAR_QUEUE_PTR, REPEAT_NEAR_LOG_PTR);
  tablesBytesGrown = max(tablesBytesGrown, farBytes + nearBytes);
  winnowReset(NEAR, nearWindow, NEAR_DQ_POS_PTR, NEAR_DQ_VAL_PTR, false);
  winnowReset(FAR, farWindow, FAR_DQ_POS_PTR, FAR_DQ_VAL_PTR, true);
  memory.fill(SEAM_PTR, 0, SEAM_BYTES);
  nextPosition = 0;
  lastCandidate = lastWide = -1;
  wide = inGap = false;
  repeatBytes = 0;
}

/** Address of the first byte of position `q` in the current update. */
// @ts-ignore: decorator
@inline function bytesAt(q: i64): usize {
  return q >= chunkBase ? chunkPtr + <usize>(q - chunkBase) : SEAM_PTR + <usize>(q - seamBase);
}

// ---- Fingerprints ------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function avalanche(h: u64): u64 {
  h ^= h >> 33;
  h *= 0xc2b2ae3d27d4eb4f;
  h ^= h >> 29;
  h *= 0x165667b19e3779f9;
  return h ^ (h >> 32);
}

/** Queues the lookup of the gram at position `q` in `t`; its 128-bit fingerprint is taken now. */
function select(t: FingerprintTable, q: i64): void {
  const p = bytesAt(q);
  let a: u64 = 0x27d4eb2f165667c5;
  let b: u64 = 0x9e3779b97f4a7c15;
  for (let k = 0; k < gramBytes; k += 8) {
    const x = load<u64>(p + <usize>k);
    a = rotl<u64>(a + x * 0xc2b2ae3d27d4eb4f, 31) * 0x9e3779b185ebca87;
    b = rotl<u64>(b ^ (x * 0x94d049bb133111eb), 27) * 0xbf58476d1ce4e5b9 + 0x165667b19e3779f9;
  }
  tableQueue(t, q, avalanche(a), avalanche(b ^ a));
}

// ---- Winnowing ---------------------------------------------------------------------------

/**
 * Selects `q` in tier `w` unless it was selected already (selections only ever move forward).
 * A near selection is also fed to the far tier, whose minima are among them.
 */
function selectOnce(w: Winnow, q: i64): void {
  if (q <= w.lastSelected) return;
  w.lastSelected = q;
  if (w.far) {
    select(FAR_TABLE, q);
  } else {
    select(NEAR_TABLE, q);
    feed(FAR, q, selectionValue(bytesAt(q), terms));
  }
}

/** The position at the front of `w`'s deque (its least value). */
// @ts-ignore: decorator
@inline function front(w: Winnow): i64 {
  return load<i64>(w.posPtr + (<usize>w.head << 3));
}

/**
 * Drops the fronts of `w` that no run ending at or before `end` holds. Each run ending before
 * `end` whose minimum changed that way has the new front as its minimum: selected.
 */
function dropLeftFronts(w: Winnow, end: i64): void {
  while (w.size > 0) {
    const first = front(w);
    if (first + w.window > end) break;
    w.head = (w.head + 1) & DEQUE_MASK;
    w.size--;
    if (first + w.window < end && w.size > 0) selectOnce(w, front(w)); // the first run without `first`
  }
}

/**
 * Feeds position `q` with value `v` to the sliding minimum of `w`. Runs ending between the last
 * fed position and q hold no unfed position that could be their minimum, so their minimum is
 * the deque's front once older fronts have left them: selected as each front leaves.
 */
function feed(w: Winnow, q: i64, v: u32): void {
  const window = w.window;
  // The first run ends between the last fed position and q: its minimum is the front.
  if (w.size > 0 && w.lastFed < window - 1 && q > window - 1) selectOnce(w, front(w));
  dropLeftFronts(w, q);
  while (w.size > 0) { // the rightmost minimum wins ties
    const back = (w.head + w.size - 1) & DEQUE_MASK;
    if (load<u32>(w.valPtr + (<usize>back << 2)) < v) break;
    w.size--;
  }
  const slot = (w.head + w.size) & DEQUE_MASK;
  store<i64>(w.posPtr + (<usize>slot << 3), q);
  store<u32>(w.valPtr + (<usize>slot << 2), v);
  w.size++;
  w.lastFed = q;
  if (q >= window - 1) selectOnce(w, front(w));
}

/**
 * Selects the minima of all runs of `w` ending up to `last` (every position up to it has been
 * scanned), so that a repeat is found by the update that completes it, not at the next feed.
 */
function settle(w: Winnow, last: i64): void {
  if (w.size == 0 || last <= w.lastFed || last < w.window - 1) return;
  if (w.lastFed < w.window - 1) selectOnce(w, front(w)); // the first run
  dropLeftFronts(w, last);
  if (w.size > 0) selectOnce(w, front(w)); // the run ending at last
}

/** Feeds, in order, the positions `q` + j (bytes at `p` + j) of the bits j of `mask` up to `through`. */
function feedMasked(q: i64, p: usize, mask: u64, through: i64): void {
  while (mask != 0) {
    const j = <i32>ctz(mask);
    mask &= mask - 1;
    const c = q + <i64>j;
    if (c > through) return;
    const value = selectionValue(p + <usize>j, terms);
    feed(NEAR, c, value);
    if (value < candidateBelow) lastCandidate = c;
    lastWide = c;
  }
}

/**
 * Runs without a candidate may be near `q`: from here on wide candidates are fed too, starting
 * with those since the last fed position (at most a window back: the mode starts as soon as
 * such a run can end).
 */
function widen(q: i64): void {
  wide = true;
  lastWide = lastCandidate;
  for (let s = NEAR.lastFed + 1; s < q; s += BLOCK_POSITIONS) feedMasked(s, bytesAt(s), blockBelow(bytesAt(s), terms, wideBelow), q - 1);
}

/** One position, in order, when a run without (wide) candidates may be near. */
function step(q: i64): void {
  const window = NEAR.window;
  if (!wide && q - lastCandidate >= window) widen(q);
  const v = selectionValue(bytesAt(q), terms);
  const below = wide ? wideBelow : candidateBelow;
  if (v < below) {
    feed(NEAR, q, v);
    if (v < candidateBelow) lastCandidate = q;
    lastWide = q;
    inGap = false;
  } else if (inGap) {
    feed(NEAR, q, v);
  } else if (wide && q - lastWide >= window) {
    // The run ending at q holds no wide candidate: feed every position since the last fed one.
    inGap = true;
    for (let s = NEAR.lastFed + 1; s <= q; s++) feed(NEAR, s, selectionValue(bytesAt(s), terms));
  }
}

/** Processes positions `from`..`to` whose bytes start at `base` (position `baseOffset`). */
function scan(base: usize, baseOffset: i64, from: i64, to: i64): void {
  let q = from;
  const window = NEAR.window;
  const lastInBlock = <i64>BLOCK_POSITIONS - 1;
  for (; q + lastInBlock <= to; q += BLOCK_POSITIONS) {
    if (repeatMatches() >= REPEAT_COUNT_LIMIT) return;
    const p = base + <usize>(q - baseOffset);
    // A run ending in this block may hold no candidate: its minimum is a wide candidate.
    const needWide = q + lastInBlock - lastCandidate >= window;
    if (needWide && !wide) widen(q);
    else if (!needWide) wide = false;
    if (inGap || (wide && q + lastInBlock - lastWide >= window)) {
      for (let j = 0; j < BLOCK_POSITIONS; j++) step(q + j);
      continue;
    }
    // Only (wide) candidates: every run ending in this block holds one (the checks above).
    const mask = blockBelow(p, terms, wide ? wideBelow : candidateBelow);
    if (mask != 0) feedMasked(q, p, mask, q + lastInBlock);
  }
  for (; q <= to && repeatMatches() < REPEAT_COUNT_LIMIT; q++) step(q);
}

/** Runs the check over `len` more bytes of the stream at `ptr` (any chunking). */
export function repeatUpdate(ptr: usize, len: i32): void {
  if (len <= 0) return;
  const start = repeatBytes;
  const head = min(len, gramBytes + 64);
  memory.copy(SEAM_PTR + <usize>carryBytes, ptr, head);
  chunkPtr = ptr;
  chunkBase = start;
  seamBase = start - carryBytes;
  const last = start + len - gramBytes; // the last position whose gram is complete
  if (nextPosition < start && nextPosition <= last) {
    scan(SEAM_PTR, seamBase, nextPosition, min(start - 1, last));
  }
  if (last >= start) scan(ptr, start, max(nextPosition, start), last);
  if (last >= nextPosition) {
    nextPosition = last + 1;
    if (repeatMatches() < REPEAT_COUNT_LIMIT) {
      settle(NEAR, last);
      settle(FAR, last);
    }
  }
  tableFlush(NEAR_TABLE);
  tableFlush(FAR_TABLE);
  // Keep the last carryBytes bytes of the stream in front of the seam.
  if (len >= carryBytes) {
    memory.copy(SEAM_PTR, ptr + <usize>(len - carryBytes), carryBytes);
  } else {
    memory.copy(SEAM_PTR, SEAM_PTR + <usize>len, carryBytes - len);
    memory.copy(SEAM_PTR + <usize>(carryBytes - len), ptr, len);
  }
  repeatBytes = start + len;
  tableSweepAfter(NEAR_TABLE, len, nextPosition);
  tableSweepAfter(FAR_TABLE, len, nextPosition);
}
