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
 * fingerprint stored with its stream offset, is found in the table: every repeat of R bytes or
 * more is caught, whatever its period and alignment, with 2 / (window + 1) of the positions
 * selected (window = 2047: one in 1024, 2^18 entries for 256 MiB, R = 2078 bytes at H = 8).
 *
 * Speed. v is computed 32 positions at a time in SIMD; a position with v below `threshold`
 * (about 10 / window of them) is a candidate, and only candidates go through the exact sliding
 * minimum (a monotone deque): a non-candidate can be a run's minimum only in a run without any
 * candidate (probability ~e^-10 per run of ideal data), and then every position of that gap is
 * fed, its value computed again from the bytes (the seam keeps those of the last update). The table is open addressing with linear probing,
 * 16-byte slots (64-bit check, 32 bits of the other half with the home bits, low 32 bits of the
 * offset); entries older than the history are reused on insert and removed by a sweep that
 * passes over the table once per SWEEP_PERIOD_BYTES (backward-shift deletion keeps every probe
 * chain whole). Lookups are queued and the home slots of a batch touched first, so their cache
 * misses overlap.
 *
 * False alarms of ideal data at the claimed H: a true repeat of a gram, <= 2^-256 per pair of
 * grams compared, and a fingerprint collision, 2^-95 per slot compared (the check, the other
 * half's 31 bits beside the home bits); the binding (wasm/repetition.ts) states the rate per TiB.
 *
 * Streaming: positions are processed once their gram is complete; grams that straddle two
 * updates are read from the seam, which keeps the last `carry` bytes before the update and then
 * its first bytes. At the end of each update the minima of all runs that ended in it are
 * selected, so a repeat is found by the update that completes its stretch (the gate's hold-back
 * relies on it). Results never depend on how the stream was chunked.
 */
import { LOG_SLOTS } from "./layout.ts";

/** Longest gram (bytes): 256 bits at the least claim, 1/16 bit per byte. */
export const REPEAT_MAX_GRAM_BYTES: i32 = 4096;
/** Widest winnowing window (positions). */
export const REPEAT_MAX_WINDOW: i32 = 2047;
/** The sweep passes over the whole table once per this many stream bytes. */
const SWEEP_PERIOD_BYTES: i64 = 32 << 20;
/**
 * The check stops once it has found this many repeats: the stream is condemned by then, and
 * degenerate data (all zeros selects every position) would otherwise cost ~100 ns a byte.
 */
export const REPEAT_COUNT_LIMIT: i64 = 1024;
/** Inserts stop (counted as overload) beyond this share of full slots. */
const MAX_LOAD_NUMERATOR: i64 = 3;
const MAX_LOAD_DENOMINATOR: i64 = 4;

const DEQUE_CAPACITY: i32 = 4096; // > window
const DEQUE_MASK: i32 = DEQUE_CAPACITY - 1;
const QUEUE_CAPACITY: i32 = 64; // lookups per batch
const MAX_CARRY_BYTES: i32 = REPEAT_MAX_GRAM_BYTES + 2 * REPEAT_MAX_WINDOW + 64;
const SEAM_BYTES: i32 = MAX_CARRY_BYTES + REPEAT_MAX_GRAM_BYTES + 64;
const SLOT_BYTES: i32 = 16;

// Memory (static; the table is grown at the heap base on first configuration):
//   SEAM_PTR   carry bytes, then the head of the update, then slack for SIMD over-reads
//   DQ_POS_PTR / DQ_VAL_PTR   the monotone deque (i64 positions, u32 values), circular
//   QUEUE_PTR  pending lookups: i64 position, u64 fingerprint halves A and B
//   REPEAT_LOG_PTR  first LOG_SLOTS repeats: f64 earlier offset, f64 later offset
//   table      slots of { u64 check (B), u32 A >> 32 | 1 (0 = empty), u32 offset low bits }
const SEAM_PTR: usize = memory.data(SEAM_BYTES + 64, 64);
const DQ_POS_PTR: usize = memory.data(DEQUE_CAPACITY * 8, 64);
const DQ_VAL_PTR: usize = memory.data(DEQUE_CAPACITY * 4, 64);
const QUEUE_PTR: usize = memory.data(QUEUE_CAPACITY * 24, 64);
/** Offsets of the first repeats: LOG_SLOTS pairs (earlier, later) of f64. */
export const REPEAT_LOG_PTR: usize = memory.data(LOG_SLOTS * 16, 64);

// Selection hash: an odd multiplier (a bijection of the 2-byte gram; the order is what matters).
const K1: u32 = 0x79b1;

// Configuration.
/** Whether the check is configured (the gate then runs it on every staged byte). */
export let repeatEnabled = false;
let gramBytes: i32 = 32;
let terms: i32 = 1;
let window: i64 = 2047;
let threshold: u32 = 0;
let historyBytes: u32 = 256 << 20;
let carryBytes: i32 = 0;
let tableBits: i32 = 0;
let tableMask: u32 = 0;
let tablePtr: usize = 0;
let tableBytesGrown: usize = 0;
let sweepSlotsPerPeriod: i64 = 0;

// Stream state.
let nextPosition: i64 = 0; // every position before it has been processed
let lastCandidate: i64 = -1;
let lastFed: i64 = -1;
let lastSelected: i64 = -1;
let inGap = false;
let dqHead: i32 = 0;
let dqSize: i32 = 0;
let queued: i32 = 0;
let liveEntries: i64 = 0;
let sweepIndex: u32 = 0;
let sweepDebt: i64 = 0;
// Where the bytes of the current update are: positions >= chunkBase at chunkPtr, earlier ones
// in the seam, whose first byte is position seamBase.
let chunkPtr: usize = 0;
let chunkBase: i64 = 0;
let seamBase: i64 = 0;

/** Bytes the check has seen. */
export let repeatBytes: i64 = 0;
/** Positions selected (fingerprints looked up). */
export let repeatSelected: i64 = 0;
/** Selected grams found earlier within the history: repeats. */
export let repeatMatches: i64 = 0;
/** Fingerprints not stored because the table was full (never happens to ideal data). */
export let repeatOverloads: i64 = 0;

/**
 * Sets the parameters, grows the table to 2^bits slots if needed and resets all state.
 * `gram` <= REPEAT_MAX_GRAM_BYTES and a multiple of 8; 4·`hashTerms` <= `gram`;
 * `windowPositions` <= REPEAT_MAX_WINDOW; `candidateBelow` the candidate threshold of v;
 * `history` <= 2^31 bytes.
 */
export function repeatConfigure(
  gram: i32, hashTerms: i32, windowPositions: i32, candidateBelow: u32, history: u32, bits: i32,
): void {
  repeatEnabled = true;
  gramBytes = gram;
  terms = hashTerms;
  window = windowPositions;
  threshold = candidateBelow;
  historyBytes = history;
  carryBytes = gram + 2 * windowPositions + 64;
  tableBits = bits;
  tableMask = (1 << bits) - 1;
  const tableBytes = <usize>SLOT_BYTES << bits;
  if (tablePtr == 0) tablePtr = (__heap_base + 63) & ~(<usize>63);
  const end = tablePtr + tableBytes;
  const have = <usize>memory.size() << 16;
  if (end > have) memory.grow(<i32>((end - have + 0xffff) >> 16));
  if (tableBytesGrown > 0) memory.fill(tablePtr, 0, min(tableBytes, tableBytesGrown));
  tableBytesGrown = max(tableBytesGrown, tableBytes);
  sweepSlotsPerPeriod = <i64>1 << bits;
  memory.fill(SEAM_PTR, 0, SEAM_BYTES);
  nextPosition = 0;
  lastCandidate = lastFed = lastSelected = -1;
  inGap = false;
  dqHead = dqSize = queued = 0;
  liveEntries = 0;
  sweepIndex = 0;
  sweepDebt = 0;
  repeatBytes = repeatSelected = repeatMatches = repeatOverloads = 0;
}

// ---- Selection values --------------------------------------------------------------------

/** v of the position whose bytes start at `p` (the SIMD path computes the same). */
// @ts-ignore: decorator
@inline function selectionValue(p: usize): u32 {
  let s: u32 = 0;
  for (let j = 0; j < terms; j++) {
    s += <u32>load<u16>(p + (<usize>j << 1)) * K1;
  }
  return s & 0xffff;
}

/** v of the 8 positions starting at `p`, as i16x8 lanes. */
// @ts-ignore: decorator
@inline function selectionValues8(p: usize): v128 {
  if (terms == 1) {
    const bytes = v128.load(p);
    return i16x8.mul(i8x16.shuffle(bytes, bytes, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8), i16x8.splat(<i16>K1));
  }
  let s = i16x8.splat(0);
  for (let j = 0; j < terms; j++) {
    const bytes = v128.load(p + (<usize>j << 1));
    const grams = i8x16.shuffle(bytes, bytes, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8);
    s = i16x8.add(s, i16x8.mul(grams, i16x8.splat(<i16>K1)));
  }
  return s;
}

/** Address of the first byte of position `q` in the current update. */
// @ts-ignore: decorator
@inline function bytesAt(q: i64): usize {
  return q >= chunkBase ? chunkPtr + <usize>(q - chunkBase) : SEAM_PTR + <usize>(q - seamBase);
}

// ---- Fingerprints and the table ----------------------------------------------------------

// @ts-ignore: decorator
@inline function avalanche(h: u64): u64 {
  h ^= h >> 33;
  h *= 0xc2b2ae3d27d4eb4f;
  h ^= h >> 29;
  h *= 0x165667b19e3779f9;
  return h ^ (h >> 32);
}

/** Queues the lookup of the gram at position `q`; its 128-bit fingerprint is taken now. */
function select(q: i64): void {
  const p = bytesAt(q);
  let a: u64 = 0x27d4eb2f165667c5;
  let b: u64 = 0x9e3779b97f4a7c15;
  for (let k = 0; k < gramBytes; k += 8) {
    const x = load<u64>(p + <usize>k);
    a = rotl<u64>(a + x * 0xc2b2ae3d27d4eb4f, 31) * 0x9e3779b185ebca87;
    b = rotl<u64>(b ^ (x * 0x94d049bb133111eb), 27) * 0xbf58476d1ce4e5b9 + 0x165667b19e3779f9;
  }
  const entry = QUEUE_PTR + <usize>(queued * 24);
  store<i64>(entry, q);
  store<u64>(entry, avalanche(a), 8);
  store<u64>(entry, avalanche(b ^ a), 16);
  repeatSelected++;
  if (++queued == QUEUE_CAPACITY) flushLookups();
}

/** Looks up the queued fingerprints in order, storing the new ones and counting repeats. */
function flushLookups(): void {
  const shift = 32 - tableBits;
  // Touch every home slot first: independent loads, so their cache misses overlap.
  for (let k = 0; k < queued; k++) {
    const home = <u32>(load<u64>(QUEUE_PTR + <usize>(k * 24), 8) >> 32) >> shift;
    touchSink += load<u32>(tablePtr + (<usize>home << 4), 8);
  }
  for (let k = 0; k < queued; k++) {
    const entry = QUEUE_PTR + <usize>(k * 24);
    lookup(load<i64>(entry), load<u64>(entry, 8), load<u64>(entry, 16), shift);
  }
  queued = 0;
}

/** Where the touching loads go, so that the optimiser keeps them. */
let touchSink: u32 = 0;

function lookup(q: i64, fpA: u64, fpB: u64, shift: i32): void {
  const a = <u32>(fpA >> 32) | 1;
  const now = <u32>q;
  let i = a >> shift;
  let reusable: i32 = -1;
  for (;;) {
    const slot = tablePtr + (<usize>i << 4);
    const slotA = load<u32>(slot, 8);
    if (slotA == 0) break;
    const age = now - load<u32>(slot, 12);
    if (age > historyBytes) {
      if (reusable < 0) reusable = <i32>i;
    } else if (slotA == a && load<u64>(slot) == fpB) {
      const earlier = q - <i64>age;
      if (repeatMatches < <i64>LOG_SLOTS) {
        const log = REPEAT_LOG_PTR + <usize>(repeatMatches << 4);
        store<f64>(log, <f64>earlier);
        store<f64>(log, <f64>q, 8);
      }
      repeatMatches++;
      store<u32>(slot, now, 12); // the latest occurrence is what later repeats are measured from
      return;
    }
    i = (i + 1) & tableMask;
  }
  if (reusable < 0) {
    if (liveEntries * MAX_LOAD_DENOMINATOR >= (<i64>tableMask + 1) * MAX_LOAD_NUMERATOR) {
      repeatOverloads++;
      return;
    }
    reusable = <i32>i;
    liveEntries++;
  }
  const slot = tablePtr + (<usize>reusable << 4);
  store<u64>(slot, fpB);
  store<u32>(slot, a, 8);
  store<u32>(slot, now, 12);
}

/** Removes stale entries from `slots` slots onwards of the sweep position. */
function sweep(slots: i64): void {
  const now = <u32>nextPosition;
  const shift = 32 - tableBits;
  for (let n: i64 = 0; n < slots; n++) {
    const slot = tablePtr + (<usize>sweepIndex << 4);
    const slotA = load<u32>(slot, 8);
    if (slotA == 0 || now - load<u32>(slot, 12) <= historyBytes) {
      sweepIndex = (sweepIndex + 1) & tableMask;
      continue;
    }
    // Backward-shift deletion: later entries of the chain that may live in the hole move into it.
    let hole = sweepIndex;
    let j = (hole + 1) & tableMask;
    for (;;) {
      const next = tablePtr + (<usize>j << 4);
      const nextA = load<u32>(next, 8);
      if (nextA == 0) break;
      const home = nextA >> shift;
      if (((j - home) & tableMask) >= ((j - hole) & tableMask)) {
        memory.copy(tablePtr + (<usize>hole << 4), next, SLOT_BYTES);
        hole = j;
      }
      j = (j + 1) & tableMask;
    }
    store<u32>(tablePtr + (<usize>hole << 4), 0, 8);
    liveEntries--;
    // sweepIndex stays: an entry may have moved into it
  }
}

// ---- Winnowing ---------------------------------------------------------------------------

/** Selects `q` unless it was selected already (selections only ever move forward). */
// @ts-ignore: decorator
@inline function selectOnce(q: i64): void {
  if (q > lastSelected) {
    lastSelected = q;
    select(q);
  }
}

/**
 * Drops the fronts that no run ending at `end` holds. Each run ending before `end` whose
 * minimum changed that way has the new front as its minimum: selected.
 */
// @ts-ignore: decorator
@inline function dropLeftFronts(end: i64): void {
  while (dqSize > 0) {
    const front = load<i64>(DQ_POS_PTR + (<usize>dqHead << 3));
    if (front + window > end) break;
    dqHead = (dqHead + 1) & DEQUE_MASK;
    dqSize--;
    if (front + window < end && dqSize > 0) selectOnce(load<i64>(DQ_POS_PTR + (<usize>dqHead << 3))); // the first run without `front`
  }
}

/**
 * Feeds position `q` with value `v` to the sliding minimum. Runs ending between the last fed
 * position and q hold no unfed position that could be their minimum, so their minimum is the
 * deque's front once older fronts have left them: selected as each front leaves.
 */
function feed(q: i64, v: u32): void {
  // The first run ends between the last fed position and q: its minimum is the front.
  if (dqSize > 0 && lastFed < window - 1 && q > window - 1) selectOnce(load<i64>(DQ_POS_PTR + (<usize>dqHead << 3)));
  dropLeftFronts(q);
  while (dqSize > 0) { // the rightmost minimum wins ties
    const back = (dqHead + dqSize - 1) & DEQUE_MASK;
    if (load<u32>(DQ_VAL_PTR + (<usize>back << 2)) < v) break;
    dqSize--;
  }
  const slot = (dqHead + dqSize) & DEQUE_MASK;
  store<i64>(DQ_POS_PTR + (<usize>slot << 3), q);
  store<u32>(DQ_VAL_PTR + (<usize>slot << 2), v);
  dqSize++;
  lastFed = q;
  if (q >= window - 1) selectOnce(load<i64>(DQ_POS_PTR + (<usize>dqHead << 3)));
}

/**
 * Selects the minima of all runs ending up to `last` (every position up to it has been
 * scanned). {@link feed} selects a run's minimum only when the next position is fed, which may
 * come a window later, in a later update: by then the gate may have released bytes of a repeat
 * whose stretch this update completed. Settling at the end of each update finds every repeat in
 * the update that completes its stretch, so the hold-back covers it.
 */
function settle(last: i64): void {
  if (dqSize == 0 || last <= lastFed || last < window - 1) return;
  if (lastFed < window - 1) selectOnce(load<i64>(DQ_POS_PTR + (<usize>dqHead << 3))); // the first run
  dropLeftFronts(last);
  if (dqSize > 0) selectOnce(load<i64>(DQ_POS_PTR + (<usize>dqHead << 3))); // the run ending at last
}

/** One position, in order, when a run without candidates may be near. */
function step(q: i64): void {
  const v = selectionValue(bytesAt(q));
  if (v < threshold) {
    feed(q, v);
    lastCandidate = q;
    inGap = false;
  } else if (inGap) {
    feed(q, v);
  } else if (q - lastCandidate >= window) {
    // The run ending at q holds no candidate: feed every position since the last fed one.
    inGap = true;
    for (let s = lastFed + 1; s <= q; s++) feed(s, selectionValue(bytesAt(s)));
  }
}

/** Feeds the candidates of the 8 positions from `q` (bytes at `p`) whose values are `v`. */
function feedCandidates(q: i64, p: usize, v: v128): void {
  let mask = i16x8.bitmask(i16x8.eq(i16x8.sub_sat_u(v, i16x8.splat(<i16>(threshold - 1))), i16x8.splat(0)));
  while (mask != 0) {
    const j = ctz(mask);
    mask &= mask - 1;
    const c = q + <i64>j;
    feed(c, selectionValue(p + <usize>j));
    lastCandidate = c;
  }
}

/** Processes positions `from`..`to` whose bytes start at `base` (position `baseOffset`). */
function scan(base: usize, baseOffset: i64, from: i64, to: i64): void {
  let q = from;
  // v < threshold  <=>  v −sat (threshold − 1) == 0
  const atMost = i16x8.splat(<i16>(threshold - 1));
  const zero = i16x8.splat(0);
  for (; q + 31 <= to; q += 32) {
    if (repeatMatches >= REPEAT_COUNT_LIMIT) return;
    const p = base + <usize>(q - baseOffset);
    if (inGap || q + 31 - lastCandidate >= window) {
      for (let j = 0; j < 32; j++) step(q + j);
      continue;
    }
    const v0 = selectionValues8(p);
    const v1 = selectionValues8(p + 8);
    const v2 = selectionValues8(p + 16);
    const v3 = selectionValues8(p + 24);
    const least = i16x8.min_u(i16x8.min_u(v0, v1), i16x8.min_u(v2, v3));
    if (!v128.any_true(i16x8.eq(i16x8.sub_sat_u(least, atMost), zero))) continue;
    // Candidates only: the run ending at each position holds one (the check above).
    feedCandidates(q, p, v0);
    feedCandidates(q + 8, p + 8, v1);
    feedCandidates(q + 16, p + 16, v2);
    feedCandidates(q + 24, p + 24, v3);
  }
  for (; q <= to && repeatMatches < REPEAT_COUNT_LIMIT; q++) step(q);
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
    if (repeatMatches < REPEAT_COUNT_LIMIT) settle(last);
  }
  flushLookups();
  // Keep the last carryBytes bytes of the stream in front of the seam.
  if (len >= carryBytes) {
    memory.copy(SEAM_PTR, ptr + <usize>(len - carryBytes), carryBytes);
  } else {
    memory.copy(SEAM_PTR, SEAM_PTR + <usize>len, carryBytes - len);
    memory.copy(SEAM_PTR + <usize>(carryBytes - len), ptr, len);
  }
  repeatBytes = start + len;
  sweepDebt += <i64>len * sweepSlotsPerPeriod;
  const slots = sweepDebt / SWEEP_PERIOD_BYTES;
  sweepDebt -= slots * SWEEP_PERIOD_BYTES;
  sweep(slots);
}
