/**
 * The FIPS 140-2 (change notice 2001-10-10) battery exactly as upstream rng-tools' rngtest runs
 * it after the 2020 runs-test fix (nhorman/rng-tools#106), plus the per-block pass that every
 * other statistic shares (byte histogram, ones count, block digital sum).
 *
 * Stream layout: the first 4 bytes seed the continuous-run test and are not tested; then
 * blocks of 2500 bytes (20,000 bits, MSB first); a trailing partial block is not tested.
 * A block split across chunks is staged at BLOCK_PTR; whole blocks are tested in place.
 *
 * Runs are counted per byte boundary in SIMD (runs.ts): each run that touches a byte edge is
 * counted at one boundary from the trailing run of the byte before and the leading run of the
 * byte after, and runs inside a byte come from the block's histogram times a table. This
 * replaced counting windows of k equal bits with shifts and 11 popcounts per 56 bits, which
 * took 0.7 ns/byte of the 1.3 the FIPS pass cost (1.15 right after; later rounds brought it
 * near 1.03). The long-run test (>= 26) first screens for two whole 0x00/0xFF bytes in a row
 * (any such run covers two), and only then carries run lengths word by word (big-endian 64-bit
 * words, bits past the block masked).
 */
import { BLOCK_PTR, FIPS_BLOCK_BYTES, HIST_PTR, LOCAL_PTR, logFailure, LOG_FIPS } from "./layout.ts";
import { boundaryRuns, INTERIOR_PTR, RUNS_PTR, runsTablesInit } from "./runs.ts";

/** Words per block: 312 full words and one with 32 valid bits. */
const BLOCK_WORDS: i32 = 313;
const LAST_WORD_MASK: u64 = 0xFFFFFFFF00000000;
const FIPS_MONOBIT: i32 = 1;
const FIPS_POKER: i32 = 2;
const FIPS_RUNS: i32 = 4;
const FIPS_LONGRUN: i32 = 8;
const FIPS_CONTINUOUS: i32 = 16;

/** Block 0 details: ones, poker sum, runs of 0s (6), runs of 1s (6), failure mask. */
export const BLOCK0_PTR: usize = memory.data(16 * 4, 16);
const RUNS_LOW: usize = memory.data<i32>([2315, 1114, 527, 240, 103, 103]);
const RUNS_HIGH: usize = memory.data<i32>([2685, 1386, 723, 384, 209, 209]);

let fipsOn = true;
let seedLeft: i32 = 4;
let last32: u32 = 0;
let blockFill: i32 = 0;
export let fipsBlocks: i64 = 0;
export let fipsFailed: i64 = 0;
export let fipsMonobit: i64 = 0;
export let fipsPoker: i64 = 0;
export let fipsRuns: i64 = 0;
export let fipsLongRun: i64 = 0;
export let fipsContinuous: i64 = 0;
/** Block digital sums (2·ones − 20000): extremes, sum of squares, count beyond ±3σ. */
export let dsvBlockMin: i32 = 0;
export let dsvBlockMax: i32 = 0;
export let dsvBlockSumSq: f64 = 0;
export let dsvBlockOutside: i64 = 0;

/** Bytes of the current partial block (staged at BLOCK_PTR). */
export function fipsPartialBytes(): i32 {
  return blockFill;
}

/** Resets all block state; `fips` selects whether the FIPS tests themselves run. */
export function blocksReset(fips: bool): void {
  fipsOn = fips;
  seedLeft = 4;
  last32 = 0;
  blockFill = 0;
  fipsBlocks = fipsFailed = fipsMonobit = fipsPoker = fipsRuns = fipsLongRun = fipsContinuous = 0;
  dsvBlockMin = dsvBlockMax = 0;
  dsvBlockSumSq = 0;
  dsvBlockOutside = 0;
  memory.fill(HIST_PTR, 0, 256 * 8);
  memory.fill(BLOCK0_PTR, 0, 16 * 4);
}

// @ts-ignore: decorator
@inline function word(ptr: usize, j: i32): u64 {
  const x = bswap<u64>(load<u64>(ptr + (<usize>j << 3)));
  return j == BLOCK_WORDS - 1 ? x & LAST_WORD_MASK : x;
}

// @ts-ignore: decorator
@inline function has26(y: u64): bool {
  const r2 = y & (y >> 1);
  const r4 = r2 & (r2 >> 2);
  const r8 = r4 & (r4 >> 4);
  const r16 = r8 & (r8 >> 8);
  return (r16 & (r8 >> 16) & (r2 >> 24)) != 0;
}

/** Long-run test alone, word by word with the run length carried (the slow, rare path). */
function longRunExact(ptr: usize): bool {
  let l1: i32 = 0, l0: i32 = 0;
  for (let j = 0; j < BLOCK_WORDS; j++) {
    const x = word(ptr, j);
    const valid = j == BLOCK_WORDS - 1 ? LAST_WORD_MASK : ~(<u64>0);
    let y = x;
    if (y == ~(<u64>0)) l1 += 64;
    else {
      if (l1 + <i32>clz(~y) >= 26 || has26(y)) return true;
      l1 = <i32>ctz(~y);
    }
    y = ~x & valid;
    if (y == ~(<u64>0)) l0 += 64;
    else {
      if (l0 + <i32>clz(~y) >= 26 || has26(y)) return true;
      l0 = <i32>ctz(~y);
    }
  }
  return false;
}

/**
 * Counts runs and checks long runs of one block; returns the FIPS_RUNS/LONGRUN bits. Run
 * counts per length (1..5, 6 or more) are the boundary runs plus the interior runs that the
 * block histogram gave (two lengths packed per i32).
 */
function runsTest(ptr: usize, first: bool, mayLong: bool): i32 {
  boundaryRuns(ptr);
  const q0 = load<i32>(RUNS_PTR, 0) + (interiorOnes12 & 0xFFFF), q1 = load<i32>(RUNS_PTR, 4) + (interiorOnes12 >>> 16),
    q2 = load<i32>(RUNS_PTR, 8) + (interiorOnes34 & 0xFFFF), q3 = load<i32>(RUNS_PTR, 12) + (interiorOnes34 >>> 16),
    q4 = load<i32>(RUNS_PTR, 16) + (interiorOnes56 & 0xFFFF), q5 = load<i32>(RUNS_PTR, 20) + (interiorOnes56 >>> 16);
  const r0 = load<i32>(RUNS_PTR, 24) + (interiorZeros12 & 0xFFFF), r1 = load<i32>(RUNS_PTR, 28) + (interiorZeros12 >>> 16),
    r2 = load<i32>(RUNS_PTR, 32) + (interiorZeros34 & 0xFFFF), r3 = load<i32>(RUNS_PTR, 36) + (interiorZeros34 >>> 16),
    r4 = load<i32>(RUNS_PTR, 40) + (interiorZeros56 & 0xFFFF), r5 = load<i32>(RUNS_PTR, 44) + (interiorZeros56 >>> 16);
  const long = mayLong && longRunExact(ptr);
  if (first) {
    store<i32>(BLOCK0_PTR, r0, 8); store<i32>(BLOCK0_PTR, r1, 12); store<i32>(BLOCK0_PTR, r2, 16);
    store<i32>(BLOCK0_PTR, r3, 20); store<i32>(BLOCK0_PTR, r4, 24); store<i32>(BLOCK0_PTR, r5, 28);
    store<i32>(BLOCK0_PTR, q0, 32); store<i32>(BLOCK0_PTR, q1, 36); store<i32>(BLOCK0_PTR, q2, 40);
    store<i32>(BLOCK0_PTR, q3, 44); store<i32>(BLOCK0_PTR, q4, 48); store<i32>(BLOCK0_PTR, q5, 52);
  }
  const bad = outside(r0, 0) || outside(r1, 1) || outside(r2, 2) || outside(r3, 3) || outside(r4, 4) ||
    outside(r5, 5) || outside(q0, 0) || outside(q1, 1) || outside(q2, 2) || outside(q3, 3) || outside(q4, 4) ||
    outside(q5, 5);
  return (bad ? FIPS_RUNS : 0) | (long ? FIPS_LONGRUN : 0);
}

// @ts-ignore: decorator
@inline function outside(count: i32, k: i32): bool {
  return count < load<i32>(RUNS_LOW + (<usize>k << 2)) || count > load<i32>(RUNS_HIGH + (<usize>k << 2));
}

/** popcount(v) for v = 0..255 as i32, for counting ones from the histogram. */
const POPCOUNT_PTR: usize = memory.data(256 * 4, 16);
let popcountReady = false;
/** Ones of the block last histogrammed. */
let histOnes: i32 = 0;

/**
 * Bytes of one per-block histogram copy (256 × u32). Bytes alternate between two copies, so a
 * value repeating in the next byte need not wait for its own count's store; two copies measured
 * faster than four on random data (half the clearing and folding) and no slower on constant data.
 */
const COPY_BYTES: usize = 1024;

/** Counts byte `value` in histogram copy `copy` (0 or COPY_BYTES). */
// @ts-ignore: decorator
@inline function countByte(value: u32, copy: usize): void {
  const p = LOCAL_PTR + copy + (<usize>value << 2);
  store<u32>(p, load<u32>(p) + 1);
}

/**
 * Histograms one block into HIST_PTR and returns the poker sum Σ f[nibble]^2; sets histOnes.
 * The fold of the two histogram copies goes row by row (16 values sharing a high nibble), so
 * the same registers give the high-nibble count of the row, the low-nibble counts (column
 * sums) and the ones (counts times popcount), with no second pass over the data.
 */
function blockHistogram(ptr: usize): i32 {
  if (!popcountReady) {
    for (let v = 0; v < 256; v++) store<i32>(POPCOUNT_PTR + (<usize>v << 2), <i32>popcnt(<u32>v));
    runsTablesInit();
    popcountReady = true;
  }
  memory.fill(LOCAL_PTR, 0, 2 * COPY_BYTES);
  for (let i = 0; i < FIPS_BLOCK_BYTES - 4; i += 8) {
    const x = load<u64>(ptr + i);
    const w = <u32>x, v = <u32>(x >> 32);
    countByte(w & 0xFF, 0); countByte((w >> 8) & 0xFF, COPY_BYTES);
    countByte((w >> 16) & 0xFF, 0); countByte(w >> 24, COPY_BYTES);
    countByte(v & 0xFF, 0); countByte((v >> 8) & 0xFF, COPY_BYTES);
    countByte((v >> 16) & 0xFF, 0); countByte(v >> 24, COPY_BYTES);
  }
  const w = load<u32>(ptr + FIPS_BLOCK_BYTES - 4);
  countByte(w & 0xFF, 0); countByte((w >> 8) & 0xFF, COPY_BYTES);
  countByte((w >> 16) & 0xFF, 0); countByte(w >> 24, COPY_BYTES);
  let low0 = i32x4.splat(0), low1 = low0, low2 = low0, low3 = low0, onesAcc = low0;
  let in0 = low0, in1 = low0, in2 = low0, in3 = low0, in4 = low0, in5 = low0;
  let sum = 0;
  for (let row = 0; row < 16; row++) {
    const o = <usize>row << 6; // 16 values × 4 bytes
    const s0 = fold(o), s1 = fold(o + 16), s2 = fold(o + 32), s3 = fold(o + 48);
    if (fipsOn) {
      in0 = i32x4.add(in0, interiorDot(s0, s1, s2, s3, o));
      in1 = i32x4.add(in1, interiorDot(s0, s1, s2, s3, o + 1024));
      in2 = i32x4.add(in2, interiorDot(s0, s1, s2, s3, o + 2048));
      in3 = i32x4.add(in3, interiorDot(s0, s1, s2, s3, o + 3072));
      in4 = i32x4.add(in4, interiorDot(s0, s1, s2, s3, o + 4096));
      in5 = i32x4.add(in5, interiorDot(s0, s1, s2, s3, o + 5120));
    }
    low0 = i32x4.add(low0, s0); low1 = i32x4.add(low1, s1); low2 = i32x4.add(low2, s2); low3 = i32x4.add(low3, s3);
    onesAcc = i32x4.add(onesAcc, i32x4.add(
      i32x4.add(i32x4.mul(s0, v128.load(POPCOUNT_PTR + o)), i32x4.mul(s1, v128.load(POPCOUNT_PTR + o + 16))),
      i32x4.add(i32x4.mul(s2, v128.load(POPCOUNT_PTR + o + 32)), i32x4.mul(s3, v128.load(POPCOUNT_PTR + o + 48)))));
    // The row's total is its high nibble's count; park it in copy 0 for the poker sum below.
    store<i32>(LOCAL_PTR + (<usize>row << 2), lanes4(i32x4.add(i32x4.add(s0, s1), i32x4.add(s2, s3))));
  }
  histOnes = lanes4(onesAcc);
  if (!fipsOn) return 0;
  interiorOnes12 = lanes4(in0); interiorOnes34 = lanes4(in1); interiorOnes56 = lanes4(in2);
  interiorZeros12 = lanes4(in3); interiorZeros34 = lanes4(in4); interiorZeros56 = lanes4(in5);
  v128.store(LOCAL_PTR + 64, low0);
  v128.store(LOCAL_PTR + 80, low1);
  v128.store(LOCAL_PTR + 96, low2);
  v128.store(LOCAL_PTR + 112, low3);
  for (let nibble = 0; nibble < 16; nibble++) {
    const f = load<i32>(LOCAL_PTR + (<usize>nibble << 2)) + load<i32>(LOCAL_PTR + 64 + (<usize>nibble << 2));
    sum += f * f;
  }
  return sum;
}

/** Interior runs of the block (see runs.ts), two lengths per i32 (low and high 16 bits). */
let interiorOnes12: i32 = 0, interiorOnes34: i32 = 0, interiorOnes56: i32 = 0;
let interiorZeros12: i32 = 0, interiorZeros34: i32 = 0, interiorZeros56: i32 = 0;

/** Σ count × packed interior runs over the 16 values of one histogram row (table offset `o`). */
// @ts-ignore: decorator
@inline function interiorDot(s0: v128, s1: v128, s2: v128, s3: v128, o: usize): v128 {
  const t = INTERIOR_PTR + o;
  return i32x4.add(i32x4.add(i32x4.mul(s0, v128.load(t)), i32x4.mul(s1, v128.load(t, 16))),
    i32x4.add(i32x4.mul(s2, v128.load(t, 32)), i32x4.mul(s3, v128.load(t, 48))));
}

/** Sums the two histogram copies at byte offset `o` and adds them to the stream histogram. */
// @ts-ignore: decorator
@inline function fold(o: usize): v128 {
  const s = i32x4.add(v128.load(LOCAL_PTR + o), v128.load(LOCAL_PTR + COPY_BYTES + o));
  const h = HIST_PTR + (o << 1); // u32 offset → u64 offset
  v128.store(h, i64x2.add(v128.load(h), i64x2.extend_low_i32x4_u(s)));
  v128.store(h + 16, i64x2.add(v128.load(h + 16), i64x2.extend_high_i32x4_u(s)));
  return s;
}

// @ts-ignore: decorator
@inline function lanes4(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** Bit of {@link scanBlock}'s result: the block may hold a run of 26 or more. */
const MAY_LONG: i32 = 32;

/**
 * One SIMD pass for two screens of the block (fused: they share the loads and the loop, which
 * measured cheaper than two passes). Returns FIPS_CONTINUOUS when a 32-bit word equals the one
 * before it (the first one: `last32`), and MAY_LONG when the block may hold a run of 26 or
 * more: such a run covers at least two whole aligned bytes of 0x00 or 0xFF in a row, which
 * random data shows in a few % of blocks (longRunExact then decides). A byte is 0x00 or 0xFF
 * exactly when it equals its own sign mask (v < 0 as a lane mask), so "v == w and v in
 * {0x00, 0xFF}" takes four one-instruction ops (testing byte + 1 <= 1 needed an unsigned
 * compare, two instructions on x86: FIPS pass 1 % slower).
 * 156 vectors cover the word pairs (4..2499 against 0..2495) and the byte pairs up to 2496.
 */
function scanBlock(ptr: usize): i32 {
  let words = i32x4.splat(0), bytes = i32x4.splat(0);
  const zero = i8x16.splat(0);
  for (let i = 0; i < FIPS_BLOCK_BYTES - 4; i += 16) {
    const v = v128.load(ptr + i), w = v128.load(ptr + i + 1), u = v128.load(ptr + i + 4);
    words = v128.or(words, i32x4.eq(u, v));
    bytes = v128.or(bytes, v128.and(i8x16.eq(v, w), i8x16.eq(v, i8x16.lt_s(v, zero))));
  }
  let result = v128.any_true(words) || load<u32>(ptr) == last32 ? FIPS_CONTINUOUS : 0;
  let long = v128.any_true(bytes);
  for (let i = FIPS_BLOCK_BYTES - 4; i < FIPS_BLOCK_BYTES - 1; i++) {
    const x = load<u8>(ptr + i), y = load<u8>(ptr + i + 1);
    long = long || (x == y && (x == 0 || x == 0xFF));
  }
  return long ? result | MAY_LONG : result;
}

/** Tests one whole block at `ptr` (readable up to 8 bytes past its end). */
function block(ptr: usize): void {
  const poker = blockHistogram(ptr);
  const ones = histOnes;
  const dsv = 2 * ones - FIPS_BLOCK_BYTES * 8;
  if (fipsBlocks == 0 || dsv < dsvBlockMin) dsvBlockMin = dsv;
  if (fipsBlocks == 0 || dsv > dsvBlockMax) dsvBlockMax = dsv;
  dsvBlockSumSq += <f64>dsv * <f64>dsv;
  if (dsv > 424 || dsv < -424) dsvBlockOutside++; // 3σ = 3·√20000 ≈ 424.3
  if (fipsOn) {
    const scan = scanBlock(ptr);
    let result = scan & FIPS_CONTINUOUS;
    last32 = load<u32>(ptr + FIPS_BLOCK_BYTES - 4);
    if (ones >= 10275 || ones <= 9725) result |= FIPS_MONOBIT;
    if (poker > 1576928 || poker < 1563176) result |= FIPS_POKER;
    result |= runsTest(ptr, fipsBlocks == 0, (scan & MAY_LONG) != 0);
    if (fipsBlocks == 0) {
      store<i32>(BLOCK0_PTR, ones, 0);
      store<i32>(BLOCK0_PTR, poker, 4);
      store<i32>(BLOCK0_PTR, result, 56);
    }
    if (result != 0) {
      logFailure(LOG_FIPS, fipsFailed, <f64>fipsBlocks);
      fipsFailed++;
      if (result & FIPS_MONOBIT) fipsMonobit++;
      if (result & FIPS_POKER) fipsPoker++;
      if (result & FIPS_RUNS) fipsRuns++;
      if (result & FIPS_LONGRUN) fipsLongRun++;
      if (result & FIPS_CONTINUOUS) fipsContinuous++;
    }
  }
  fipsBlocks++;
}

/** Feeds `len` bytes at `ptr` (readable 8 bytes past the end) to the seed, blocks and histogram. */
export function blocksUpdate(ptr: usize, len: i32): void {
  let i = 0;
  while (seedLeft > 0 && i < len) {
    const b = <u32>load<u8>(ptr + i);
    last32 |= b << (<u32>(4 - seedLeft) << 3);
    const h = HIST_PTR + (<usize>b << 3);
    store<u64>(h, load<u64>(h) + 1);
    seedLeft--;
    i++;
  }
  if (blockFill > 0 && i < len) {
    const take = min(len - i, FIPS_BLOCK_BYTES - blockFill);
    memory.copy(BLOCK_PTR + blockFill, ptr + i, take);
    blockFill += take;
    i += take;
    if (blockFill == FIPS_BLOCK_BYTES) {
      block(BLOCK_PTR);
      blockFill = 0;
    }
  }
  while (len - i >= FIPS_BLOCK_BYTES) {
    block(ptr + i);
    i += FIPS_BLOCK_BYTES;
  }
  if (i < len) {
    memory.copy(BLOCK_PTR, ptr + i, len - i);
    blockFill = len - i;
  }
}
