/**
 * MultiMMC prediction (§6.3.9): Markov models of order d = 1..16 count which symbol followed
 * each d-symbol context (at most 100,000 (context, next) pairs per order); subpredictor d
 * guesses the commonest successor of the current context, the larger symbol on ties. Short
 * contexts (order·width + width ≤ 17 bits) index flat arrays; up to 16 bits of context the
 * leaders still do, with the pairs in the one hash table all longer contexts share.
 * Bits, the bulk of any assessment, take a path of their own: every order is a flat array of
 * count pairs, so a guess is one 8-byte load.
 *
 * Per context the leading successor and its count are kept as the counts grow, so a guess is
 * one lookup. Like NIST's tool, a step whose winning subpredictor has no guess is skipped by
 * the run counter (it neither extends nor breaks the run): SP 800-90B would count it as a miss.
 */
import { alloc, mark, release } from "./heap.ts";
import { correctCount, longestRun, NULL_SYMBOL, record, resetOutcomes, updateScoreboard } from "./runs.ts";
import { finishPredictor } from "./bounds.ts";
import {
  beforeHi, beforeLo, contextHi, contextLo, DIRECT_BITS, MAX_ORDER, nowHi, nowLo, pushSymbol, resetHistory,
} from "./context.ts";
import { find, insert, newTable } from "./table.ts";
import { BIT_PAIRS_BYTES, bitPairAt, halvesGreater, laneBits, twoBitPairs } from "./bit_pairs.ts";

/**
 * Contexts of up to this many bits keep their leader in flat arrays (6 bytes a context: 384 KiB
 * for 2 symbols of 8 bits) even where their pairs are hashed: a guess is then one cached load.
 */
const DIRECT_LEADER_BITS: i32 = 16;
/** Cap on (context, next) pairs per order. */
const MAX_PAIRS: i32 = 100000;
/** Tag layout: order << 10 | 512 for a context's leader entry, order << 10 | next for a pair. */
const LEADER_FLAG: u32 = 512;
const KEY_BITS: u32 = 0xFFFF;
/** Leader entries keep the leading symbol in the tag above the key bits. */
const LEADER_SHIFT: u32 = 16;

let pairCounts: usize = 0; // per order: base of the flat pair counts (0: hashed)
let leaderCounts: usize = 0; // per order: base of the flat leader counts
let leaderSymbols: usize = 0; // per order: base of the flat leader symbols (u16)
let pairsUsed: usize = 0; // per order: pairs admitted
let capSteps: usize = 0; // per order: the step its last pair was admitted in (i32.MAX_VALUE: room left)
let orphanCounts: usize = 0; // per order: contexts admitted after order − 1 was full
let orphanKeys: usize = 0; // per order: ORPHAN_SLOTS × (lo, hi) of those contexts
let openOrders: u32 = 0; // bit d: order d has room for pairs
let recurring: usize = 0; // per position e: 1 if its last gramOrder symbols occur again later
let gramOrder: i32 = 0;
let orphanOrders: u32 = 0; // bit d: order d has orphans
// Hashed orders: the leader entry (0: context unknown) each guess found, and at which step. The
// context a guess looks up is the one the next step trains, so training starts from it.
let guessLeaders: usize = 0;
let guessSteps: usize = 0;
let width: i32 = 1;

// @ts-ignore: decorator
@inline function at4(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

// @ts-ignore: decorator
@inline function at8(base: usize, index: i32): usize {
  return base + (<usize>index << 3);
}

/** Contexts per order that may be known while their one-shorter suffix is not (see below). */
const ORPHAN_SLOTS: i32 = 32;

/**
 * Admits one more pair of `order` at `step` if the cap allows; notes the step that fills it,
 * and records the context (lo, hi) as an orphan when order − 1 was already full before this
 * step: then its suffix may never have been trained, so an unknown suffix proves nothing.
 */
// @ts-ignore: decorator
@inline function admit(order: i32, step: i32, lo: u64, hi: u64): bool {
  const used = load<i32>(at4(pairsUsed, order));
  if (used >= MAX_PAIRS) return false;
  store<i32>(at4(pairsUsed, order), used + 1);
  if (used + 1 == MAX_PAIRS) {
    store<i32>(at4(capSteps, order), step);
    openOrders &= ~(<u32>1 << order);
  }
  if (order > 1 && step > load<i32>(at4(capSteps, order - 1))) {
    orphanOrders |= <u32>1 << order;
    const orphans = load<i32>(at4(orphanCounts, order));
    if (orphans < ORPHAN_SLOTS) {
      const at = orphanKeys + (<usize>(order * ORPHAN_SLOTS + orphans) << 4);
      store<u64>(at, lo);
      store<u64>(at, hi, 8);
    }
    store<i32>(at4(orphanCounts, order), orphans + 1);
  }
  return true;
}

/**
 * Whether the context of `order` ending at the newest symbol is certainly unknown, given that
 * its suffix of order − 1 is: every order-d pair is admitted in a step that also trains its
 * order-(d − 1) suffix, unless order d − 1 was full by then; those few are the orphans, checked
 * one by one (more than ORPHAN_SLOTS of them and the order is always looked up). On noisy
 * data this spares most lookups of orders 4..16.
 */
function surelyUnknown(order: i32): bool {
  const orphans = load<i32>(at4(orphanCounts, order));
  if (orphans == 0) return true;
  if (orphans > ORPHAN_SLOTS) return false;
  const lo = contextLo(nowLo, order), hi = contextHi(nowHi, order);
  for (let k = 0; k < orphans; k++) {
    const at = orphanKeys + (<usize>(order * ORPHAN_SLOTS + k) << 4);
    if (load<u64>(at) == lo && load<u64>(at, 8) == hi) return false;
  }
  return true;
}

/**
 * Counts `next`, which is not the leader, after a known context (lo, hi) of `order` whose
 * leading successor `leader` has `best`: in its pair entry, admitted as a new pair if the cap
 * allows. Returns next's new count if that takes the lead (the old leader's count then moves
 * to the old leader's own pair entry; next's becomes stale), else 0.
 */
function countFollower(order: i32, step: i32, lo: u64, hi: u64, next: i32, leader: i32, best: u32): u32 {
  const pairTag = (<u32>order << 10) | <u32>next;
  let pair = find(lo, hi, pairTag, KEY_BITS, order);
  if (pair == 0) {
    if (!admit(order, step, lo, hi)) return 0;
    pair = insert(lo, hi, pairTag, order);
  }
  const count = load<u32>(pair, 20) + 1;
  if (count > best || (count == best && next > leader)) {
    const formerTag = (<u32>order << 10) | <u32>leader;
    let former = find(lo, hi, formerTag, KEY_BITS, order);
    if (former == 0) former = insert(lo, hi, formerTag, order);
    store<u32>(former, best, 20);
    return count;
  }
  store<u32>(pair, count, 20);
  return 0;
}

/** Counts `next` after the context of `order` ending one symbol back (at step `step`); raises its leader. */
function train(order: i32, next: i32, step: i32): void {
  const leadCounts = load<usize>(at8(leaderCounts, order));
  if (leadCounts != 0) {
    const context = <i32>contextLo(beforeLo, order);
    const leadCountAt = at4(leadCounts, context);
    const leadSymbolAt = load<usize>(at8(leaderSymbols, order)) + (<usize>context << 1);
    const flat = load<usize>(at8(pairCounts, order));
    if (flat != 0) {
      const slot = at4(flat, (context << width) | next);
      let count = load<u32>(slot);
      if (count == 0 && !admit(order, step, <u64>context, 0)) return;
      store<u32>(slot, ++count);
      const best = load<u32>(leadCountAt);
      if (count > best || (count == best && next > <i32>load<u16>(leadSymbolAt))) {
        store<u32>(leadCountAt, count);
        store<u16>(leadSymbolAt, <u16>next);
      }
      return;
    }
    // Leaders direct, pairs hashed (as below): the leader's count is the only one kept here.
    const best = load<u32>(leadCountAt);
    if (best == 0) {
      if (!admit(order, step, <u64>context, 0)) return;
      store<u32>(leadCountAt, 1);
      store<u16>(leadSymbolAt, <u16>next);
      return;
    }
    const leader = <i32>load<u16>(leadSymbolAt);
    if (next == leader) {
      store<u32>(leadCountAt, best + 1);
      return;
    }
    const taken = countFollower(order, step, <u64>context, 0, next, leader, best);
    if (taken != 0) {
      store<u32>(leadCountAt, taken);
      store<u16>(leadSymbolAt, <u16>next);
    }
    return;
  }
  // Hashed: the leader entry holds the leading successor's count, pair entries the others'
  // (a pair entry of the leader itself is stale). A context seen once is one entry.
  const lo = contextLo(beforeLo, order), hi = contextHi(beforeHi, order);
  const leaderTag = (<u32>order << 10) | LEADER_FLAG;
  const lead = load<i32>(at4(guessSteps, order)) == step - 1
    ? load<usize>(at8(guessLeaders, order))
    : find(lo, hi, leaderTag, KEY_BITS, order);
  if (lead == 0) {
    if (!admit(order, step, lo, hi)) return;
    // A context that never occurs again could never be found: counted (above), not stored.
    if (order >= gramOrder && load<u8>(recurring + <usize>(step - 2)) == 0) return;
    const entry = insert(lo, hi, leaderTag, order);
    store<u32>(entry, leaderTag | (<u32>next << LEADER_SHIFT), 16);
    store<u32>(entry, 1, 20);
    return;
  }
  const leader = <i32>(load<u32>(lead, 16) >> LEADER_SHIFT);
  const best = load<u32>(lead, 20);
  if (next == leader) {
    store<u32>(lead, best + 1, 20);
    return;
  }
  const taken = countFollower(order, step, lo, hi, next, leader, best);
  if (taken != 0) {
    store<u32>(lead, taken, 20);
    store<u32>(lead, leaderTag | (<u32>next << LEADER_SHIFT), 16);
  }
}

/** Grams of up to this many bits are checked for recurrence: a 2 MiB bitmap of those seen. */
const GRAM_BITS: i32 = 24;

/**
 * Marks in `recurring` each position whose last `gramOrder` symbols (as many as GRAM_BITS hold)
 * occur again later, by a backward scan over a bitmap of the grams seen. A context of at least
 * gramOrder symbols ending at an unmarked position never occurs again, so no later guess or
 * training can look it up: on noisy data that spares nearly every insertion of the long orders
 * into a table far larger than the cache (a context of 3 bytes recurs after ~6 % of positions
 * of 10^6 random bytes). Positions without a whole gram are marked.
 */
function markRecurring(ptr: usize, len: i32): void {
  gramOrder = GRAM_BITS / width;
  const gramBits = gramOrder * width;
  recurring = alloc(<usize>len);
  memory.fill(recurring, 1, <usize>min(len, gramOrder - 1));
  if (len < gramOrder) return;
  const top = mark();
  const seen = alloc(<usize>1 << (gramBits - 3));
  let gram: u32 = 0;
  for (let e = len - gramOrder; e < len; e++) gram = (gram << width) | <u32>load<u8>(ptr + e);
  for (let e = len - 1; e >= gramOrder - 1; e--) {
    const byte = seen + (<usize>gram >> 3), bit = <u8>1 << <u8>(gram & 7);
    const bits = load<u8>(byte);
    store<u8>(recurring + <usize>e, <u8>((bits & bit) != 0));
    store<u8>(byte, bits | bit);
    if (e >= gramOrder) gram = (gram >> width) | (<u32>load<u8>(ptr + e - gramOrder) << (gramBits - width));
  }
  release(top);
}

/** The leading successor of the context of `order` ending at the newest symbol (step `step`), or NULL_SYMBOL. */
function guess(order: i32, step: i32): i32 {
  const leadCounts = load<usize>(at8(leaderCounts, order));
  if (leadCounts != 0) {
    const context = <i32>contextLo(nowLo, order);
    if (load<u32>(at4(leadCounts, context)) == 0) return NULL_SYMBOL;
    return <i32>load<u16>(load<usize>(at8(leaderSymbols, order)) + (<usize>context << 1));
  }
  const lead = find(contextLo(nowLo, order), contextHi(nowHi, order), (<u32>order << 10) | LEADER_FLAG, KEY_BITS, order);
  store<usize>(at8(guessLeaders, order), lead);
  store<i32>(at4(guessSteps, order), step);
  return lead == 0 ? NULL_SYMBOL : <i32>(load<u32>(lead, 16) >> LEADER_SHIFT);
}

/** MultiMMC on `len` symbols of `symbolWidth` bits; result slots as finishPredictor writes them. */
export function multiMmc(ptr: usize, len: i32, symbolWidth: i32): void {
  const top = mark();
  resetOutcomes();
  if (symbolWidth == 1) multiMmcBits(ptr, len);
  else multiMmcSymbols(ptr, len, symbolWidth);
  release(top);
  finishPredictor(correctCount, <f64>longestRun, <f64>(len - 2), symbolWidth);
}

function multiMmcSymbols(ptr: usize, len: i32, symbolWidth: i32): void {
  width = symbolWidth;
  pairCounts = alloc(<usize>(MAX_ORDER + 1) << 3);
  leaderCounts = alloc(<usize>(MAX_ORDER + 1) << 3);
  leaderSymbols = alloc(<usize>(MAX_ORDER + 1) << 3);
  pairsUsed = alloc(<usize>(MAX_ORDER + 1) << 2);
  guessLeaders = alloc(<usize>(MAX_ORDER + 1) << 3);
  guessSteps = alloc(<usize>(MAX_ORDER + 1) << 2);
  capSteps = alloc(<usize>(MAX_ORDER + 1) << 2);
  for (let d = 0; d <= MAX_ORDER; d++) store<i32>(at4(capSteps, d), i32.MAX_VALUE);
  orphanCounts = alloc(<usize>(MAX_ORDER + 1) << 2);
  orphanKeys = alloc(<usize>((MAX_ORDER + 1) * ORPHAN_SLOTS) << 4);
  memory.fill(guessSteps, 0xFF, <usize>(MAX_ORDER + 1) << 2); // step −1: nothing cached
  openOrders = ((<u32>2 << MAX_ORDER) - 1) & ~1;
  orphanOrders = 0;
  // Table entries: an order admits at most one pair a step, so short data needs less than the
  // cap allows. Of p pairs admitted with c contexts, a hashed order holds c leader entries, at
  // most p − c entries of followers, and one entry for a context's first successor once it is
  // overtaken, which needs a follower: at most min(c, p − c). So p + p/2 at most; where leaders
  // are direct, only the last two: p.
  const pairsPerOrder = min(MAX_PAIRS, len);
  let entries = 0;
  for (let d = 1; d <= MAX_ORDER; d++) {
    const contextBits = d * width;
    if (contextBits > DIRECT_LEADER_BITS) {
      entries += pairsPerOrder + (pairsPerOrder >> 1);
      continue;
    }
    store<usize>(at8(leaderCounts, d), alloc(<usize>4 << contextBits));
    store<usize>(at8(leaderSymbols, d), alloc(<usize>2 << contextBits));
    if (contextBits + width <= DIRECT_BITS) store<usize>(at8(pairCounts, d), alloc(<usize>4 << (contextBits + width)));
    else entries += pairsPerOrder;
  }
  // A filter group per order: a long run looks up only the shortest hashed orders' contexts
  // (longer ones are surely unknown), so only their groups need to stay in cache.
  newTable(max(1, entries), MAX_ORDER + 1, max(1, pairsPerOrder * 2));
  const scores = alloc(<usize>MAX_ORDER << 2);
  const guesses = alloc(<usize>MAX_ORDER << 2);
  markRecurring(ptr, len);
  resetHistory(width);
  pushSymbol(<u64>load<u8>(ptr));
  pushSymbol(<u64>load<u8>(ptr + 1));
  let winner = 0;
  let guessed: u32 = 0; // bit d: order d guessed (its context is known)
  for (let i = 2; i < len; i++) {
    const previous = <i32>load<u8>(ptr + i - 1);
    // Order d trains the context its last guess looked up: one found unknown in a full order
    // cannot be admitted, so training it would change nothing. So only the orders that guessed
    // or have room train, in order (on noisy data, once every order is full: the shortest few).
    let training = (guessed | openOrders) & ((<u32>2 << min(i - 1, MAX_ORDER)) - 1);
    while (training != 0) {
      train(<i32>ctz(training), previous, i);
      training &= training - 1;
    }
    guessed = 0;
    let unknown = false;
    for (let d = 1; d <= MAX_ORDER; d++) {
      let g = NULL_SYMBOL;
      if (d <= i) {
        if (unknown && surelyUnknown(d)) {
          store<usize>(at8(guessLeaders, d), 0);
          store<i32>(at4(guessSteps, d), i);
        } else {
          g = guess(d, i);
          unknown = g == NULL_SYMBOL;
          guessed |= <u32>(!unknown) << d;
        }
      }
      store<i32>(at4(guesses, d - 1), g);
      // The longer orders are full and without orphans: surely unknown, and not trained next
      // step (full, no guess), so they need no cached lookup either. Their slots in `guesses`
      // are left stale: only orders up to the longest guess are read from it below.
      if (unknown && ((openOrders | orphanOrders) >> d) <= 1) break;
    }
    const actual = <i32>load<u8>(ptr + i);
    if (((guessed >> (winner + 1)) & 1) != 0) record(load<i32>(at4(guesses, winner)) == actual);
    // Subpredictors without a guess cannot score: the scoreboard stops at the longest guess.
    winner = updateScoreboard(scores, guesses, 32 - <i32>clz(guessed >> 1), actual, winner);
    pushSymbol(<u64>actual);
  }
}

/**
 * Bits: order d's counts are the pairs of bit_pairs.ts. The pair
 * a step's guess reads is the one the next step trains, so each step trains its successor's
 * counts right after guessing, while the pair is at hand: the order of reads and updates is
 * the standard's.
 *
 * Order d counts `actual` after the context whose pair at `pairAt` was `pair` (a new pair only
 * below the cap, which only order 16 can reach: 2^(d+1) > MAX_PAIRS). The count is stored as
 * the whole pair plus one in its half: the next step's 8-byte load of a context just trained
 * then forwards from one 8-byte store.
 */
// @ts-ignore: decorator
@inline function trainBitsPair(used: usize, pairAt: usize, pair: u64, actual: i32, d: i32): void {
  const count = actual != 0 ? <u32>(pair >> 32) : <u32>pair;
  if ((2 << d) > MAX_PAIRS && count == 0) {
    const usedAt = used + (<usize>d << 2);
    const pairs = load<i32>(usedAt);
    if (pairs < MAX_PAIRS) {
      store<i32>(usedAt, pairs + 1);
      store<u32>(pairAt + (<usize>actual << 2), 1);
    }
  } else {
    store<u64>(pairAt, pair + (<u64>1 << (<u64>actual << 5)));
  }
}

/** One order's part of a step: reads its pair, trains it, returns 2 bits, (seen << 1) | guess. */
// @ts-ignore: decorator
@inline function bitsOrderStep(counts: usize, used: usize, now: u32, actual: i32, d: i32): u32 {
  const pairAt = bitPairAt(counts, now, d);
  const pair = load<u64>(pairAt);
  trainBitsPair(used, pairAt, pair, actual, d);
  return (<u32>(pair != 0) << 1) | <u32>(<u32>(pair >> 32) >= <u32>pair);
}

/** Orders d and d + 1 (neither capped) trained: their pairs `pairs` plus `counted`, stored back. */
// @ts-ignore: decorator
@inline function trainTwo(counts: usize, now: u32, d: i32, pairs: v128, counted: v128): void {
  const trained = i64x2.add(pairs, counted);
  v128.store64_lane(bitPairAt(counts, now, d), trained, 0);
  v128.store64_lane(bitPairAt(counts, now, d + 1), trained, 1);
}

/**
 * All 16 orders' part of a step once every order has history (as bitsOrderStep each, order d
 * at bits 2(d − 1)): the pairs are read two to a vector, and (seen, guess) of all of them come
 * from a few vector compares; only order 16, the one a cap can stop, trains alone.
 */
// @ts-ignore: decorator
@inline function bitsAllOrders(counts: usize, used: usize, now: u32, actual: i32): u32 {
  const p1 = twoBitPairs(counts, now, 1), p3 = twoBitPairs(counts, now, 3), p5 = twoBitPairs(counts, now, 5);
  const p7 = twoBitPairs(counts, now, 7), p9 = twoBitPairs(counts, now, 9), p11 = twoBitPairs(counts, now, 11);
  const p13 = twoBitPairs(counts, now, 13), p15 = twoBitPairs(counts, now, 15);
  // Unseen contexts (x86 has no vector ≠: one inversion of the mask instead of eight).
  const zero = i64x2.splat(0);
  const seen = ~laneBits(
    i64x2.eq(p1, zero), i64x2.eq(p3, zero), i64x2.eq(p5, zero), i64x2.eq(p7, zero),
    i64x2.eq(p9, zero), i64x2.eq(p11, zero), i64x2.eq(p13, zero), i64x2.eq(p15, zero),
  );
  // Even bits: after 0 leads (guess 0); odd bits: after 1 leads.
  const greater = laneBits(
    halvesGreater(p1), halvesGreater(p3), halvesGreater(p5), halvesGreater(p7),
    halvesGreater(p9), halvesGreater(p11), halvesGreater(p13), halvesGreater(p15),
  );
  const counted = i64x2.splat(<i64>1 << (<i64>actual << 5));
  trainTwo(counts, now, 1, p1, counted);
  trainTwo(counts, now, 3, p3, counted);
  trainTwo(counts, now, 5, p5, counted);
  trainTwo(counts, now, 7, p7, counted);
  trainTwo(counts, now, 9, p9, counted);
  trainTwo(counts, now, 11, p11, counted);
  trainTwo(counts, now, 13, p13, counted);
  v128.store64_lane(bitPairAt(counts, now, 15), i64x2.add(p15, counted), 0);
  trainBitsPair(used, bitPairAt(counts, now, 16), i64x2.extract_lane(p15, 1), actual, 16);
  // The guess is 1 unless after 0 leads (an unseen context guesses 1, as 0 ≥ 0).
  return (seen & ~LOW_OF_PAIRS) | (~greater & LOW_OF_PAIRS);
}

/** Even bits of a word of 2-bit fields. */
const LOW_OF_PAIRS: u32 = 0x55555555;

/** i32x4 number n: lanes 0..3 hold bits 0..3 of n, the points a nibble of hits adds to 4 scores. */
const NIBBLE_POINTS: usize = memory.data<i32>([0,0,0,0, 1,0,0,0, 0,1,0,0, 1,1,0,0, 0,0,1,0, 1,0,1,0, 0,1,1,0, 1,1,1,0, 0,0,0,1, 1,0,0,1, 0,1,0,1, 1,1,0,1, 0,0,1,1, 1,0,1,1, 0,1,1,1, 1,1,1,1], 16);

/** The even bits of `x` packed into 16: bit 2j becomes bit j. */
// @ts-ignore: decorator
@inline function evenBits(x: u32): u32 {
  x &= LOW_OF_PAIRS;
  x = (x | (x >> 1)) & 0x33333333;
  x = (x | (x >> 2)) & 0x0F0F0F0F;
  x = (x | (x >> 4)) & 0x00FF00FF;
  return (x | (x >> 8)) & 0xFFFF;
}

/** Bit j set where lane j of the four i32x4 (16 scores) equals `score`. */
// @ts-ignore: decorator
@inline function scoresEqual(s0: v128, s1: v128, s2: v128, s3: v128, score: i32): u32 {
  const target = i32x4.splat(score);
  return <u32>i32x4.bitmask(i32x4.eq(s0, target))
    | (<u32>i32x4.bitmask(i32x4.eq(s1, target)) << 4)
    | (<u32>i32x4.bitmask(i32x4.eq(s2, target)) << 8)
    | (<u32>i32x4.bitmask(i32x4.eq(s3, target)) << 12);
}

/**
 * The scoreboard of runs.ts without a loop over the hits: the 16 scores sit in four i32x4, and
 * with `leaders` (the subpredictors at the lead score) the rule reduces to set arithmetic. If a
 * leader was right, the lead rises and the leaders that were right are the new leaders; else
 * the right ones one point behind join them. Either way the largest of the subpredictors that
 * just reached the lead wins, or the winner stays.
 */
function multiMmcBits(ptr: usize, len: i32): void {
  if (len < 3) return;
  const counts = alloc(BIT_PAIRS_BYTES);
  const used = alloc(<usize>(MAX_ORDER + 1) << 2); // pairs admitted, kept for capped orders only
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  let leading = 0;
  let leaders: u32 = 0xFFFF;
  // Step 2's training: order 1, context s[0], next s[1].
  const first = <u32>load<u8>(ptr), second = <u32>load<u8>(ptr + 1);
  store<u32>(bitPairAt(counts, first, 1) + (<usize>second << 2), 1);
  let now: u32 = (first << 1) | second;
  let winner = 0;
  for (let i = 2; i < len; i++) {
    const actual = <i32>load<u8>(ptr + i);
    // Order d's (seen, guess) at bits 2(d − 1) + 1, 2(d − 1).
    let orders: u32 = 0;
    if (i >= MAX_ORDER) {
      orders = bitsAllOrders(counts, used, now, actual);
    } else {
      for (let d = 1; d <= i; d++) orders |= bitsOrderStep(counts, used, now, actual, d) << (2 * (d - 1));
    }
    // The prediction is the guess of the winner as it stood before this step's scoring.
    const winnerBits = orders >> (2 * winner);
    if ((winnerBits & 2) != 0) record(<i32>(winnerBits & 1) == actual);
    // Subpredictor j (order j + 1) was right: bit j.
    const hits = evenBits((orders >> 1) & ~(orders ^ (actual != 0 ? LOW_OF_PAIRS : 0)));
    const behind = hits & scoresEqual(s0, s1, s2, s3, leading - 1);
    s0 = i32x4.add(s0, v128.load(NIBBLE_POINTS + (<usize>(hits & 15) << 4)));
    s1 = i32x4.add(s1, v128.load(NIBBLE_POINTS + (<usize>((hits >> 4) & 15) << 4)));
    s2 = i32x4.add(s2, v128.load(NIBBLE_POINTS + (<usize>((hits >> 8) & 15) << 4)));
    s3 = i32x4.add(s3, v128.load(NIBBLE_POINTS + (<usize>(hits >> 12) << 4)));
    const leadersHit = leaders & hits;
    const leaderRight = leadersHit != 0;
    const reached = select<u32>(leadersHit, behind, leaderRight);
    leading += <i32>leaderRight;
    leaders = select<u32>(leadersHit, leaders | behind, leaderRight);
    winner = select<i32>(31 - <i32>clz(reached), winner, reached != 0);
    now = (now << 1) | <u32>actual;
  }
}
