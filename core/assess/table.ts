/**
 * Open-addressing hash table for the dictionary predictors' long contexts (up to 16 symbols of
 * 8 bits: a 128-bit key) plus a 32-bit tag (order, value). Entries are 24 bytes:
 *
 *   +0 key lo u64   +8 key hi u64   +16 tag u32 (0: empty)   +20 value u32
 *
 * Linear probing, no deletion; callers size it for their entry cap at ≤ 3/4 load, so memory is
 * bounded by the cap, not by the input. The slot count is just what that load needs, not a power
 * of two (a hash maps onto it by a multiply): a table of 10^8 bytes that must be zeroed and
 * faulted in costs time in proportion. Most lookups on noisy data are for contexts never seen,
 * so a one-bit-per-key filter (8 bits per entry, in cache where the table is not) answers
 * "absent" before any probe for all but about 1 in 8 of those. Callers may split the filter
 * into groups (one per order): the groups a long run looks up most then stay in cache even
 * where the whole filter, megabytes for MultiMMC's 8-bit contexts, would not.
 */
import { alloc } from "./heap.ts";

const ENTRY_BYTES: usize = 24;
const FILTER_BITS_PER_ENTRY: u64 = 8;

let tableBase: usize = 0;
let tableSlots: u64 = 0;
let filterBase: usize = 0;
let filterMask: u64 = 0;
let filterGroupShift: u32 = 0; // log2 of a group's filter bits

/**
 * Makes a fresh zeroed table (the module has one at a time) for `entries` at ≤ 3/4 load, its
 * filter in `groups` parts of which none holds more than `groupEntries`.
 */
export function newTable(entries: i32, groups: i32 = 1, groupEntries: i32 = entries): void {
  tableSlots = max<u64>(16, (<u64>entries * 4 + 2) / 3);
  tableBase = alloc(<usize>(tableSlots * <u64>ENTRY_BYTES));
  let filterBits: u64 = 64;
  filterGroupShift = 6;
  while (filterBits < <u64>groupEntries * FILTER_BITS_PER_ENTRY) {
    filterBits <<= 1;
    filterGroupShift++;
  }
  filterBase = alloc(<usize>((filterBits * <u64>groups) >> 3));
  filterMask = filterBits - 1;
}

// @ts-ignore: decorator
@inline function hashOf(lo: u64, hi: u64, tag: u32): u64 {
  let h = lo * 0x9E3779B97F4A7C15 ^ hi * 0xC2B2AE3D27D4EB4F ^ <u64>tag * 0x165667B19E3779F9;
  h ^= h >> 31;
  h *= 0xD6E8FEB86659FD93;
  return h ^ (h >> 32);
}

/** The slot hash `h` probes first: its top 32 bits scaled onto the slots. */
// @ts-ignore: decorator
@inline function firstSlot(h: u64): u64 {
  return ((h >> 32) * tableSlots) >> 32;
}

/** Filter bit of hash `h` in filter group `group`, as an index from filterBase. */
// @ts-ignore: decorator
@inline function filterBit(h: u64, group: i32): u64 {
  return (<u64>group << filterGroupShift) | ((h >> 26) & filterMask);
}

/**
 * The entry holding (lo, hi, tag), or 0; only the `keyBits` of a stored tag take part in the
 * comparison, the rest is payload. `group`: the filter group it was inserted with.
 */
export function find(lo: u64, hi: u64, tag: u32, keyBits: u32, group: i32 = 0): usize {
  const h = hashOf(lo, hi, tag & keyBits);
  const bit = filterBit(h, group);
  if ((load<u8>(filterBase + <usize>(bit >> 3)) & (<u8>1 << <u8>(bit & 7))) == 0) return 0;
  let slot = firstSlot(h);
  while (true) {
    const at = tableBase + <usize>(slot * <u64>ENTRY_BYTES);
    const stored = load<u32>(at, 16);
    if (stored == 0) return 0;
    if ((stored & keyBits) == (tag & keyBits) && load<u64>(at) == lo && load<u64>(at, 8) == hi) return at;
    slot = slot + 1 == tableSlots ? 0 : slot + 1;
  }
  return 0; // unreachable: the table always has empty slots
}

/** Adds (lo, hi, tag), which must be absent, to filter group `group`; returns its entry (value 0). */
export function insert(lo: u64, hi: u64, tag: u32, group: i32 = 0): usize {
  const h = hashOf(lo, hi, tag);
  const bit = filterBit(h, group);
  const byte = filterBase + <usize>(bit >> 3);
  store<u8>(byte, load<u8>(byte) | (<u8>1 << <u8>(bit & 7)));
  let slot = firstSlot(h);
  while (true) {
    const at = tableBase + <usize>(slot * <u64>ENTRY_BYTES);
    if (load<u32>(at, 16) == 0) {
      store<u64>(at, lo);
      store<u64>(at, hi, 8);
      store<u32>(at, tag, 16);
      return at;
    }
    slot = slot + 1 == tableSlots ? 0 : slot + 1;
  }
  return 0; // unreachable: the table always has empty slots
}
