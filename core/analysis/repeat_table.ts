/**
 * A fingerprint table of the repetition check (repeat.ts): remembers the 128-bit fingerprints
 * of selected grams with their stream offsets for `history` bytes and reports a gram seen
 * again within that distance.
 *
 * Open addressing with linear probing, 16-byte slots: { u64 check (half B), u32 (half A >> 32)
 * | 1 (0 = empty; its top bits are the home slot), u32 offset low bits }. Entries older than
 * the history are reused on insert and removed by a sweep that passes over the table once per
 * `history / SWEEP_PASSES_PER_HISTORY` stream bytes (backward-shift deletion keeps every probe
 * chain whole), so the table holds at most the entries of history plus one sweep period.
 * Lookups are queued and the home slots of a batch touched first, so their cache misses overlap.
 *
 * Compared per slot: the 64-bit check and 31 more bits beside the home bits, so a lookup of a
 * new gram collides falsely with probability 2^-95 per slot compared.
 */
import { LOG_SLOTS } from "./layout.ts";

/** Bytes per slot. */
export const TABLE_SLOT_BYTES: i32 = 16;
/** Lookups queued per batch. */
export const TABLE_QUEUE_CAPACITY: i32 = 64;
/** Bytes of a lookup queue: per entry i64 position, u64 fingerprint halves A and B. */
export const TABLE_QUEUE_BYTES: i32 = TABLE_QUEUE_CAPACITY * 24;
/** The sweep passes over the table this many times per history. */
const SWEEP_PASSES_PER_HISTORY: i64 = 4;
/** Inserts stop (counted as overload) beyond this share of full slots. */
const MAX_LOAD_NUMERATOR: i64 = 3;
const MAX_LOAD_DENOMINATOR: i64 = 4;

/** One table's state; lives in static memory (see {@link tableAt}). */
// @ts-ignore: decorator
@unmanaged export class FingerprintTable {
  /** First slot, 2^bits slots. */
  slotsPtr: usize;
  bits: i32;
  mask: u32;
  historyBytes: u32;
  sweepPeriodBytes: i64;
  liveEntries: i64;
  sweepIndex: u32;
  sweepDebt: i64;
  queuePtr: usize;
  queued: i32;
  /** The first LOG_SLOTS repeats: f64 earlier offset, f64 later offset. */
  logPtr: usize;
  /** Fingerprints looked up. */
  lookups: i64;
  /** Fingerprints found within the history: repeats. */
  matches: i64;
  /** Fingerprints not stored because the table was full (never happens to ideal data). */
  overloads: i64;
}

/** Room for one {@link FingerprintTable}'s fields. */
export const TABLE_STATE_BYTES: i32 = 128;

/** The table whose state is at `statePtr` (TABLE_STATE_BYTES of static memory). */
// @ts-ignore: decorator
@inline export function tableAt(statePtr: usize): FingerprintTable {
  return changetype<FingerprintTable>(statePtr);
}

/**
 * Resets `t` to 2^`bits` empty slots at `slotsPtr` (`zeroBytes` of them may hold old entries:
 * memory grown fresh is zero already) remembering `history` bytes.
 */
export function tableReset(
  t: FingerprintTable, slotsPtr: usize, bits: i32, history: u32, zeroBytes: usize, queuePtr: usize, logPtr: usize,
): void {
  t.slotsPtr = slotsPtr;
  t.bits = bits;
  t.mask = (1 << bits) - 1;
  t.historyBytes = history;
  t.sweepPeriodBytes = max<i64>(1, <i64>history / SWEEP_PASSES_PER_HISTORY);
  if (zeroBytes > 0) memory.fill(slotsPtr, 0, min(zeroBytes, <usize>TABLE_SLOT_BYTES << bits));
  t.liveEntries = 0;
  t.sweepIndex = 0;
  t.sweepDebt = 0;
  t.queuePtr = queuePtr;
  t.queued = 0;
  t.logPtr = logPtr;
  t.lookups = t.matches = t.overloads = 0;
}

/** Queues the lookup (and, when new, the insertion) of the gram at `q` with fingerprint (a, b). */
// @ts-ignore: decorator
@inline export function tableQueue(t: FingerprintTable, q: i64, a: u64, b: u64): void {
  const entry = t.queuePtr + <usize>(t.queued * 24);
  store<i64>(entry, q);
  store<u64>(entry, a, 8);
  store<u64>(entry, b, 16);
  t.lookups++;
  if (++t.queued == TABLE_QUEUE_CAPACITY) tableFlush(t);
}

/** Where the touching loads go, so that the optimiser keeps them. */
let touchSink: u32 = 0;

/** Looks up the queued fingerprints in order, storing the new ones and counting repeats. */
export function tableFlush(t: FingerprintTable): void {
  const shift = 32 - t.bits;
  // Touch every home slot first: independent loads, so their cache misses overlap.
  for (let k = 0; k < t.queued; k++) {
    const home = <u32>(load<u64>(t.queuePtr + <usize>(k * 24), 8) >> 32) >> shift;
    touchSink += load<u32>(t.slotsPtr + (<usize>home << 4), 8);
  }
  for (let k = 0; k < t.queued; k++) {
    const entry = t.queuePtr + <usize>(k * 24);
    lookup(t, load<i64>(entry), load<u64>(entry, 8), load<u64>(entry, 16), shift);
  }
  t.queued = 0;
}

function lookup(t: FingerprintTable, q: i64, fpA: u64, fpB: u64, shift: i32): void {
  const a = <u32>(fpA >> 32) | 1;
  const now = <u32>q;
  const history = t.historyBytes;
  const mask = t.mask;
  let i = a >> shift;
  let reusable: i32 = -1;
  for (;;) {
    const slot = t.slotsPtr + (<usize>i << 4);
    const slotA = load<u32>(slot, 8);
    if (slotA == 0) break;
    const age = now - load<u32>(slot, 12);
    if (age > history) {
      if (reusable < 0) reusable = <i32>i;
    } else if (slotA == a && load<u64>(slot) == fpB) {
      if (t.matches < <i64>LOG_SLOTS) {
        const log = t.logPtr + <usize>(t.matches << 4);
        store<f64>(log, <f64>(q - <i64>age));
        store<f64>(log, <f64>q, 8);
      }
      t.matches++;
      store<u32>(slot, now, 12); // the latest occurrence is what later repeats are measured from
      return;
    }
    i = (i + 1) & mask;
  }
  if (reusable < 0) {
    if (t.liveEntries * MAX_LOAD_DENOMINATOR >= (<i64>mask + 1) * MAX_LOAD_NUMERATOR) {
      t.overloads++;
      return;
    }
    reusable = <i32>i;
    t.liveEntries++;
  }
  const slot = t.slotsPtr + (<usize>reusable << 4);
  store<u64>(slot, fpB);
  store<u32>(slot, a, 8);
  store<u32>(slot, now, 12);
}

/** Sweeps the share of the table that `len` more stream bytes (up to `now`) owe. */
export function tableSweepAfter(t: FingerprintTable, len: i64, now: i64): void {
  t.sweepDebt += len * (<i64>t.mask + 1);
  const slots = t.sweepDebt / t.sweepPeriodBytes;
  t.sweepDebt -= slots * t.sweepPeriodBytes;
  sweep(t, slots, <u32>now);
}

/** Removes stale entries from `slots` slots onwards of the sweep position. */
function sweep(t: FingerprintTable, slots: i64, now: u32): void {
  const shift = 32 - t.bits;
  const mask = t.mask;
  const base = t.slotsPtr;
  const history = t.historyBytes;
  let index = t.sweepIndex;
  for (let n: i64 = 0; n < slots; n++) {
    const slot = base + (<usize>index << 4);
    // Both tests without a branch between them: whether a slot is empty is a coin toss.
    if (!((load<u32>(slot, 8) != 0) & (now - load<u32>(slot, 12) > history))) {
      index = (index + 1) & mask;
      continue;
    }
    // Backward-shift deletion: later entries of the chain that may live in the hole move into it.
    let hole = index;
    let j = (hole + 1) & mask;
    for (;;) {
      const next = base + (<usize>j << 4);
      const nextA = load<u32>(next, 8);
      if (nextA == 0) break;
      const home = nextA >> shift;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        const to = base + (<usize>hole << 4);
        store<u64>(to, load<u64>(next));
        store<u64>(to, load<u64>(next, 8), 8);
        hole = j;
      }
      j = (j + 1) & mask;
    }
    store<u32>(base + (<usize>hole << 4), 0, 8);
    t.liveEntries--;
    // index stays: an entry may have moved into it
  }
  t.sweepIndex = index;
}
