/**
 * LZ78Y prediction (§6.3.10): a dictionary of up to 65,536 contexts of 1..16 symbols, each with
 * counts of the symbol that followed it. Every step first adds (while there is room) and counts
 * the 16 contexts ending at the previous symbol, longest first, then predicts with the longest
 * context whose leading successor has the strictly highest count.
 *
 * Contexts get ids in order of admission; successor counts are a dense ids × alphabet array
 * (bounded by the dictionary cap: 64 MiB for 8-bit symbols, touched only where used). Short
 * contexts (length·width ≤ 16 bits) find their id by direct index, longer ones by hash table.
 */
import { alloc, mark, release } from "./heap.ts";
import { correctCount, longestRun, NULL_SYMBOL, record, resetOutcomes } from "./runs.ts";
import { finishPredictor } from "./bounds.ts";
import { beforeHi, beforeLo, contextHi, contextLo, MAX_ORDER, nowHi, nowLo, pushSymbol, resetHistory } from "./context.ts";
import { find, insert, newTable } from "./table.ts";
import { BIT_PAIRS_BYTES, bitPairAt, halvesGreater, laneBits, swapHalves, twoBitPairs } from "./bit_pairs.ts";

const MAX_CONTEXTS: i32 = 65536;
/** Context length·width up to this many bits is indexed directly: 2^(bits+1) ids. */
const DIRECT_CONTEXT_BITS: i32 = 16;
const KEY_BITS: u32 = 0xFFFFFFFF;

let width: i32 = 1;
let contexts: i32 = 0;
let directIds: usize = 0; // u32 per (1 << bits | context), 0: absent
let successorCounts: usize = 0; // u32 per id × alphabet
let leaderCounts: usize = 0; // u32 per id
let leaderSymbols: usize = 0; // u16 per id

/** The id (1-based) of the context of `length` symbols in register (lo, hi); 0 if absent. */
function contextId(lo: u64, hi: u64, length: i32): i32 {
  const bits = length * width;
  if (bits <= DIRECT_CONTEXT_BITS) return load<i32>(directIds + (<usize>((1 << bits) | <i32>contextLo(lo, length)) << 2));
  const entry = find(contextLo(lo, length), contextHi(hi, length), <u32>length, KEY_BITS);
  return entry == 0 ? 0 : load<i32>(entry, 20);
}

/** Adds the absent context of `length` symbols in (lo, hi) if the dictionary has room; its id or 0. */
function addContext(lo: u64, hi: u64, length: i32): i32 {
  if (contexts >= MAX_CONTEXTS) return 0;
  const id = ++contexts;
  const bits = length * width;
  if (bits <= DIRECT_CONTEXT_BITS) {
    store<i32>(directIds + (<usize>((1 << bits) | <i32>contextLo(lo, length)) << 2), id);
  } else {
    store<i32>(insert(contextLo(lo, length), contextHi(hi, length), <u32>length), id, 20);
  }
  return id;
}

/** Counts `next` after the context with id `id`, raising its leader. */
// @ts-ignore: decorator
@inline function countSuccessor(id: i32, next: i32): void {
  const slot = successorCounts + (<usize>((id << width) | next) << 2);
  const count = load<u32>(slot) + 1;
  store<u32>(slot, count);
  const best = load<u32>(leaderCounts + (<usize>id << 2));
  const leader = <i32>load<u16>(leaderSymbols + (<usize>id << 1));
  if (count > best || (count == best && next > leader)) {
    store<u32>(leaderCounts + (<usize>id << 2), count);
    store<u16>(leaderSymbols + (<usize>id << 1), <u16>next);
  }
}

/** LZ78Y on `len` symbols of `symbolWidth` bits; result slots as finishPredictor writes them. */
export function lz78y(ptr: usize, len: i32, symbolWidth: i32): void {
  const top = mark();
  resetOutcomes();
  if (symbolWidth == 1) lz78yBits(ptr, len);
  else lz78ySymbols(ptr, len, symbolWidth);
  release(top);
  finishPredictor(correctCount, <f64>longestRun, <f64>(len - MAX_ORDER - 1), symbolWidth);
}

function lz78ySymbols(ptr: usize, len: i32, symbolWidth: i32): void {
  width = symbolWidth;
  contexts = 0;
  directIds = alloc(<usize>4 << (DIRECT_CONTEXT_BITS + 1));
  // A step adds at most MAX_ORDER contexts, so short data needs less than the cap allows.
  const room = <i32>min(<i64>MAX_CONTEXTS, <i64>len * MAX_ORDER);
  successorCounts = alloc(<usize>(room + 1) << (2 + width));
  leaderCounts = alloc(<usize>(room + 1) << 2);
  leaderSymbols = alloc(<usize>(room + 1) << 1);
  newTable(room);
  // The ids each step's guesses found: the next step trains exactly those contexts.
  const guessIds = alloc(<usize>(MAX_ORDER + 1) << 2);
  resetHistory(width);
  // Every step adds its contexts longest first, each one's suffix right after it, so a context
  // is known only if its one-shorter suffix is: a guess stops looking at the first unknown
  // order. The one exception is the order admitted last, when the dictionary filled up in the
  // middle of a step (its suffix was refused): that order is always looked up.
  // Once the dictionary has refused a context it is full for good: a step then trains only the
  // contexts its guesses found (`known`, bit j for order j; the others could only be refused),
  // and its guesses stop at the first unknown order past the exception.
  let unchainedOrder = 0;
  let known: u32 = 0;
  for (let i = 0; i < MAX_ORDER; i++) pushSymbol(<u64>load<u8>(ptr + i));
  for (let i = MAX_ORDER + 1; i < len; i++) {
    const previous = <i32>load<u8>(ptr + i - 1);
    pushSymbol(<u64>previous);
    if (unchainedOrder != 0) {
      for (let training = known; training != 0; training &= training - 1) {
        countSuccessor(load<i32>(guessIds + (<usize>ctz(training) << 2)), previous);
      }
    } else {
      for (let j = MAX_ORDER; j >= 1; j--) {
        let id = i > MAX_ORDER + 1 ? load<i32>(guessIds + (<usize>j << 2)) : contextId(beforeLo, beforeHi, j);
        if (id == 0) id = addContext(beforeLo, beforeHi, j);
        if (id == 0) {
          // The first refusal: order j + 1 may be the exception (harmless to assume it is).
          if (unchainedOrder == 0) unchainedOrder = j + 1;
          continue;
        }
        countSuccessor(id, previous);
      }
    }
    // The longest context with the strictly highest count predicts: shortest first, ties to
    // the longer (a known context has been counted at least once).
    let prediction = NULL_SYMBOL;
    let bestCount: u32 = 0;
    let unknown = false;
    known = 0;
    for (let j = 1; j <= MAX_ORDER; j++) {
      const id = unknown && j != unchainedOrder ? 0 : contextId(nowLo, nowHi, j);
      store<i32>(guessIds + (<usize>j << 2), id);
      unknown = id == 0;
      if (unknown) {
        if (unchainedOrder != 0 && j >= unchainedOrder) break;
        continue;
      }
      known |= <u32>1 << j;
      const count = load<u32>(leaderCounts + (<usize>id << 2));
      if (count >= bestCount) {
        bestCount = count;
        prediction = <i32>load<u16>(leaderSymbols + (<usize>id << 1));
      }
    }
    record(prediction == <i32>load<u8>(ptr + i));
  }
}

/** Once the dictionary is full, order d trains the context whose pair `pair` is, if it is known. */
// @ts-ignore: decorator
@inline function trainKnown(counts: usize, now: u32, d: i32, pair: u64, counted: u64): void {
  if (pair != 0) store<u64>(bitPairAt(counts, now, d), pair + counted);
}

/** The larger count of each of two pairs, in both of its lanes. */
// @ts-ignore: decorator
@inline function largerCounts(two: v128): v128 {
  return i32x4.max_u(two, swapHalves(two));
}

/**
 * A step of lz78yBits once the dictionary is full: the 16 orders' pairs are read two to a
 * vector, and the prediction (the guess of the longest order whose larger count is the
 * largest, NULL_SYMBOL if every count is 0) comes from vector maxima and compares instead of
 * ~7 scalar operations an order. Then the known contexts are trained with `counted`.
 */
// @ts-ignore: decorator
@inline function fullDictionaryStep(counts: usize, now: u32, counted: u64): i32 {
  const p1 = twoBitPairs(counts, now, 1), p3 = twoBitPairs(counts, now, 3), p5 = twoBitPairs(counts, now, 5);
  const p7 = twoBitPairs(counts, now, 7), p9 = twoBitPairs(counts, now, 9), p11 = twoBitPairs(counts, now, 11);
  const p13 = twoBitPairs(counts, now, 13), p15 = twoBitPairs(counts, now, 15);
  const m1 = largerCounts(p1), m3 = largerCounts(p3), m5 = largerCounts(p5), m7 = largerCounts(p7);
  const m9 = largerCounts(p9), m11 = largerCounts(p11), m13 = largerCounts(p13), m15 = largerCounts(p15);
  let top = i32x4.max_u(
    i32x4.max_u(i32x4.max_u(m1, m3), i32x4.max_u(m5, m7)),
    i32x4.max_u(i32x4.max_u(m9, m11), i32x4.max_u(m13, m15)),
  );
  top = i32x4.max_u(top, i32x4.shuffle(top, top, 2, 3, 0, 1));
  let prediction = NULL_SYMBOL;
  if (i32x4.extract_lane(top, 0) != 0) {
    const atTop = laneBits(
      i32x4.eq(m1, top), i32x4.eq(m3, top), i32x4.eq(m5, top), i32x4.eq(m7, top),
      i32x4.eq(m9, top), i32x4.eq(m11, top), i32x4.eq(m13, top), i32x4.eq(m15, top),
    );
    // Order d at bits 2(d − 1), 2(d − 1) + 1: the longest at the top, and whether after 0 leads it.
    const longest = (31 - <i32>clz(atTop)) & ~1;
    const greater = laneBits(
      halvesGreater(p1), halvesGreater(p3), halvesGreater(p5), halvesGreater(p7),
      halvesGreater(p9), halvesGreater(p11), halvesGreater(p13), halvesGreater(p15),
    );
    prediction = 1 - <i32>((greater >> longest) & 1);
  }
  trainKnown(counts, now, 1, i64x2.extract_lane(p1, 0), counted);
  trainKnown(counts, now, 2, i64x2.extract_lane(p1, 1), counted);
  trainKnown(counts, now, 3, i64x2.extract_lane(p3, 0), counted);
  trainKnown(counts, now, 4, i64x2.extract_lane(p3, 1), counted);
  trainKnown(counts, now, 5, i64x2.extract_lane(p5, 0), counted);
  trainKnown(counts, now, 6, i64x2.extract_lane(p5, 1), counted);
  trainKnown(counts, now, 7, i64x2.extract_lane(p7, 0), counted);
  trainKnown(counts, now, 8, i64x2.extract_lane(p7, 1), counted);
  trainKnown(counts, now, 9, i64x2.extract_lane(p9, 0), counted);
  trainKnown(counts, now, 10, i64x2.extract_lane(p9, 1), counted);
  trainKnown(counts, now, 11, i64x2.extract_lane(p11, 0), counted);
  trainKnown(counts, now, 12, i64x2.extract_lane(p11, 1), counted);
  trainKnown(counts, now, 13, i64x2.extract_lane(p13, 0), counted);
  trainKnown(counts, now, 14, i64x2.extract_lane(p13, 1), counted);
  trainKnown(counts, now, 15, i64x2.extract_lane(p15, 0), counted);
  trainKnown(counts, now, 16, i64x2.extract_lane(p15, 1), counted);
  return prediction;
}

/**
 * Bits: a context of j bits is index 2^j + context (2 .. 2^17), its two successor counts a u32
 * pair at twice that; a context is in the dictionary once either count is non-zero (it is
 * counted in the step that adds it). The contexts a step predicts from are the ones the next
 * step trains, longest first as the standard does, so each pair is trained right after it has
 * been read for the prediction: one load per context and step instead of two.
 */
function lz78yBits(ptr: usize, len: i32): void {
  if (len <= MAX_ORDER + 1) return;
  const counts = alloc(BIT_PAIRS_BYTES);
  let size = 0;
  let before: u32 = 0;
  for (let i = 0; i < MAX_ORDER; i++) before = (before << 1) | load<u8>(ptr + i);
  // The first step's training; every later one is done by the step before it.
  const first = <u32>load<u8>(ptr + MAX_ORDER);
  for (let j = MAX_ORDER; j >= 1; j--) {
    store<u32>(bitPairAt(counts, before, j) + (<usize>first << 2), 1);
  }
  size = MAX_ORDER;
  let now = (before << 1) | first;
  for (let i = MAX_ORDER + 1; i < len; i++) {
    const actual = <u32>load<u8>(ptr + i);
    // `actual` counted in a pair: one in its half of the 8-byte word.
    const counted: u64 = <u64>1 << (<u64>actual << 5);
    let prediction: i32;
    if (size >= MAX_CONTEXTS) {
      prediction = fullDictionaryStep(counts, now, counted);
    } else {
      prediction = NULL_SYMBOL;
      let bestCount: u32 = 0;
      for (let j = MAX_ORDER; j >= 1; j--) {
        const pairAt = bitPairAt(counts, now, j);
        const pair = load<u64>(pairAt);
        const after0 = <u32>pair, after1 = <u32>(pair >> 32);
        const count = max(after0, after1);
        const better = count > bestCount;
        bestCount = select<u32>(count, bestCount, better);
        prediction = select<i32>(<i32>(after1 >= after0), prediction, better);
        // The next step's training of this context with `actual`.
        if (pair == 0) {
          if (size >= MAX_CONTEXTS) continue;
          size++;
        }
        store<u64>(pairAt, pair + counted);
      }
    }
    record(prediction == <i32>actual);
    now = (now << 1) | actual;
  }
}
