/**
 * SP 800-90B §4.4 continuous health tests, streaming over chunks of any size.
 *
 * Theory. A noise source that claims H bits of min-entropy per sample emits no value with
 * probability above p = 2^-H. The Repetition Count Test (RCT) catches a source that got stuck:
 * C identical samples in a row happen with probability at most p^(C-1) = α, so
 * C = 1 + ceil(-log2 α / H). The Adaptive Proportion Test (APT) catches a source that lost
 * entropy more gently: in a window of W samples the first sample should not recur C or more
 * times, where C is the binomial upper-tail quantile at α. Both cutoffs are computed outside
 * (wasm/cutoffs.ts, exact in log space) and passed in. The bit-count test (Crypta Labs'
 * device test) fails a block of n bits whose ones count leaves the two-sided binomial
 * acceptance interval [lo, hi] at its own α.
 *
 * Samples are bits (MSB first) or bytes. RCT state runs across chunks; after a failure it
 * restarts with the next sample as A (B = 1). APT windows and bit-count blocks are
 * non-overlapping and aligned to the start of the stream (the gate aligns them to its windows).
 *
 * Speed: bytes are compared 64 at a time (SIMD equality masks); bits 64 at a time as
 * MSB-first words. A mask word takes the scalar path only when a failure is possible in it
 * (a run of C-1 equalities inside, or the carried count plus the leading run reaching C).
 */
import { logFailure, LOG_APT, LOG_BITCOUNT, LOG_RCT } from "./layout.ts";

// Configuration.
let bitsMode = false;
let rctCutoff: i32 = 2;
let aptCutoff: i32 = 1;
let aptWindowBytes: i32 = 512;
let bcBlockBytes: i32 = 0; // 0 = bit-count test off
let bcLow: i32 = 0;
let bcHigh: i32 = 0;

// RCT state: A (-1 = the next sample starts a new run) and B.
let rctA: i32 = -1;
let rctB: i32 = 0;
// APT state.
let aptPos: i32 = 0;
let aptRef: i32 = 0;
let aptCount: i32 = 0;
// Bit-count state.
let bcPos: i32 = 0;
let bcOnes: i32 = 0;

/** Bytes tested so far (the binding multiplies by 8 for bit samples). */
export let healthSamples: i64 = 0;
export let rctFailures: i64 = 0;
export let aptWindows: i64 = 0;
export let aptFailures: i64 = 0;
export let bcBlocks: i64 = 0;
export let bcFailures: i64 = 0;

/** Sets the cutoffs and resets all health state. */
export function healthConfigure(
  bits: bool, rct: i32, apt: i32, aptWindowSamples: i32, bitcountBlockBits: i32, low: i32, high: i32,
): void {
  bitsMode = bits;
  rctCutoff = rct;
  aptCutoff = apt;
  aptWindowBytes = bits ? aptWindowSamples >> 3 : aptWindowSamples;
  bcBlockBytes = bitcountBlockBits >> 3;
  bcLow = low;
  bcHigh = high;
  rctA = -1;
  rctB = 0;
  aptPos = 0;
  aptCount = 0;
  bcPos = 0;
  bcOnes = 0;
  healthSamples = 0;
  rctFailures = aptFailures = aptWindows = bcBlocks = bcFailures = 0;
}

/** Total failures of every health test so far (the gate compares it before and after a window). */
export function healthFailureTotal(): i64 {
  return rctFailures + aptFailures + bcFailures;
}

// The state and counters as of the last healthSave (the failure log needs no copy: a rewound
// pass rewrites the same offsets into the same slots).
let savedRctA: i32 = -1;
let savedRctB: i32 = 0;
let savedAptPos: i32 = 0;
let savedAptRef: i32 = 0;
let savedAptCount: i32 = 0;
let savedBcPos: i32 = 0;
let savedBcOnes: i32 = 0;
let savedSamples: i64 = 0;
let savedRctFailures: i64 = 0;
let savedAptWindows: i64 = 0;
let savedAptFailures: i64 = 0;
let savedBcBlocks: i64 = 0;
let savedBcFailures: i64 = 0;

/** Remembers the state of every test, so that {@link healthRestore} can undo the next updates. */
export function healthSave(): void {
  savedRctA = rctA; savedRctB = rctB;
  savedAptPos = aptPos; savedAptRef = aptRef; savedAptCount = aptCount;
  savedBcPos = bcPos; savedBcOnes = bcOnes;
  savedSamples = healthSamples;
  savedRctFailures = rctFailures; savedAptWindows = aptWindows; savedAptFailures = aptFailures;
  savedBcBlocks = bcBlocks; savedBcFailures = bcFailures;
}

/** Returns every test to the state of the last {@link healthSave}. */
export function healthRestore(): void {
  rctA = savedRctA; rctB = savedRctB;
  aptPos = savedAptPos; aptRef = savedAptRef; aptCount = savedAptCount;
  bcPos = savedBcPos; bcOnes = savedBcOnes;
  healthSamples = savedSamples;
  rctFailures = savedRctFailures; aptWindows = savedAptWindows; aptFailures = savedAptFailures;
  bcBlocks = savedBcBlocks; bcFailures = savedBcFailures;
}

// ---- RCT -------------------------------------------------------------------------------

/** Whether `m` has `k` consecutive one bits (k >= 1). */
// @ts-ignore: decorator
@inline function hasRun(m: u64, k: i32): bool {
  if (k > 64) return false;
  let r = m;
  let have = 1;
  while (have * 2 <= k) {
    r &= r >> <u64>have;
    have <<= 1;
  }
  if (have < k) r &= r >> <u64>(k - have);
  return r != 0;
}

/** One sample through the RCT; `index` is its sample offset. */
// @ts-ignore: decorator
@inline function rctStep(x: i32, index: i64): void {
  if (x == rctA) {
    if (++rctB >= rctCutoff) {
      logFailure(LOG_RCT, rctFailures, <f64>index);
      rctFailures++;
      rctA = -1;
      rctB = 0;
    }
  } else {
    rctA = x;
    rctB = 1;
  }
}

function rctBytes(ptr: usize, len: i32): void {
  let i = 0;
  const base = healthSamples;
  const need = rctCutoff - 1; // equalities in a row that make a failure
  while (i < len) {
    if (rctA < 0 || i < 2 || len - i < 64) {
      rctStep(<i32>load<u8>(ptr + i), base + i);
      i++;
      continue;
    }
    const p = ptr + <usize>i;
    // With a cutoff of 3 or more, a failure ends in three equal bytes in a row, which 99.9 % of
    // groups of random bytes lack: then the run at the group's end is 1 or 2 bytes long. (This
    // screen replaced the one below as the first test: 22 % of groups hold an equal pair and
    // took the bitmask path.)
    if (need >= 2) {
      const t0 = v128.and(i8x16.eq(v128.load(p), v128.load(p - 1)), i8x16.eq(v128.load(p), v128.load(p - 2)));
      const t1 = v128.and(i8x16.eq(v128.load(p, 16), v128.load(p, 15)), i8x16.eq(v128.load(p, 16), v128.load(p, 14)));
      const t2 = v128.and(i8x16.eq(v128.load(p, 32), v128.load(p, 31)), i8x16.eq(v128.load(p, 32), v128.load(p, 30)));
      const t3 = v128.and(i8x16.eq(v128.load(p, 48), v128.load(p, 47)), i8x16.eq(v128.load(p, 48), v128.load(p, 46)));
      if (!v128.any_true(v128.or(v128.or(t0, t1), v128.or(t2, t3)))) {
        const last = <i32>load<u8>(p + 63);
        rctA = last;
        rctB = last == <i32>load<u8>(p + 62) ? 2 : 1;
        i += 64;
        continue;
      }
    }
    // Lane j of e_k: byte i+16k+j equals the byte before it. Most groups of random bytes hold
    // no such pair (78 %), so the equality vectors are ORed and tested before any bitmask.
    const e0 = i8x16.eq(v128.load(p), v128.load(p - 1));
    const e1 = i8x16.eq(v128.load(p, 16), v128.load(p, 15));
    const e2 = i8x16.eq(v128.load(p, 32), v128.load(p, 31));
    const e3 = i8x16.eq(v128.load(p, 48), v128.load(p, 47));
    if (!v128.any_true(v128.or(v128.or(e0, e1), v128.or(e2, e3)))) {
      rctA = <i32>load<u8>(p + 63);
      rctB = 1;
      i += 64;
      continue;
    }
    // Bit j of m: byte i+j equals byte i+j-1.
    const m = <u64>i8x16.bitmask(e0) | (<u64>i8x16.bitmask(e1) << 16) | (<u64>i8x16.bitmask(e2) << 32) |
      (<u64>i8x16.bitmask(e3) << 48);
    const lead = <i32>ctz(~m);
    if (m != ~(<u64>0) && rctB + lead < rctCutoff && !hasRun(m, need)) {
      rctA = <i32>load<u8>(p + 63);
      rctB = <i32>clz(~m) + 1;
      i += 64;
      continue;
    }
    if (m == ~(<u64>0) && rctB + 64 < rctCutoff) {
      rctB += 64;
      i += 64;
      continue;
    }
    for (let j = 0; j < 64; j++) rctStep(<i32>load<u8>(p + j), base + i + j);
    i += 64;
  }
}

function rctBits(ptr: usize, len: i32): void {
  let i = 0;
  const base = healthSamples << 3; // in bits
  const need = rctCutoff - 1;
  while (i < len) {
    if (rctA < 0 || len - i < 8) {
      const x = <i32>load<u8>(ptr + i);
      for (let j = 7; j >= 0; j--) rctStep((x >> j) & 1, base + (<i64>i << 3) + (7 - j));
      i++;
      continue;
    }
    const x = bswap<u64>(load<u64>(ptr + i)); // MSB first: sample 0 is bit 63
    const prev = rctA != 0 ? ~(<u64>0) : 0;
    // Bit 63-j of m: sample j equals sample j-1.
    const m = ~(x ^ ((x >> 1) | (prev << 63)));
    const lead = <i32>clz(~m);
    if (m == ~(<u64>0)) {
      if (rctB + 64 < rctCutoff) {
        rctB += 64;
        i += 8;
        continue;
      }
    } else if (rctB + lead < rctCutoff && !hasRun(m, need)) {
      rctA = <i32>(x & 1);
      rctB = <i32>ctz(~m) + 1;
      i += 8;
      continue;
    }
    for (let j = 63; j >= 0; j--) rctStep(<i32>((x >> <u64>j) & 1), base + (<i64>i << 3) + (63 - j));
    i += 8;
  }
}

// ---- APT -------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function aptClose(windowStart: i64): void {
  if (aptCount >= aptCutoff) {
    logFailure(LOG_APT, aptFailures, <f64>windowStart);
    aptFailures++;
  }
  aptWindows++;
  aptPos = 0;
}

/** How many of the `n` bytes at `ptr` (n a multiple of 16) equal `value`. */
function countEqual(ptr: usize, n: i32, value: i32): i32 {
  const splat = i8x16.splat(<i8>value);
  let total = 0;
  let i = 0;
  while (i < n) {
    let acc = i8x16.splat(0);
    const end = min(n, i + 16 * 252); // u8 lanes count at most 252 vectors
    for (; i + 64 <= end; i += 64) {
      const p = ptr + <usize>i;
      acc = i8x16.sub(acc, i8x16.add(i8x16.eq(v128.load(p), splat), i8x16.eq(v128.load(p, 16), splat)));
      acc = i8x16.sub(acc, i8x16.add(i8x16.eq(v128.load(p, 32), splat), i8x16.eq(v128.load(p, 48), splat)));
    }
    for (; i < end; i += 16) acc = i8x16.sub(acc, i8x16.eq(v128.load(ptr + i), splat));
    const sums = i32x4.dot_i16x8_s(i16x8.extadd_pairwise_i8x16_u(acc), i16x8.splat(1));
    total += i32x4.extract_lane(sums, 0) + i32x4.extract_lane(sums, 1) + i32x4.extract_lane(sums, 2) +
      i32x4.extract_lane(sums, 3);
  }
  return total;
}

/** Ones in the `n` bytes at `ptr` (64 bytes per iteration: one word per loop took twice as long). */
function popcountBytes(ptr: usize, n: i32): i32 {
  let ones: i32 = 0;
  let i = 0;
  for (; i + 64 <= n; i += 64) {
    const p = ptr + <usize>i;
    ones += <i32>(popcnt(load<u64>(p)) + popcnt(load<u64>(p, 8)) + popcnt(load<u64>(p, 16)) + popcnt(load<u64>(p, 24)) +
      popcnt(load<u64>(p, 32)) + popcnt(load<u64>(p, 40)) + popcnt(load<u64>(p, 48)) + popcnt(load<u64>(p, 56)));
  }
  for (; i + 8 <= n; i += 8) ones += <i32>popcnt(load<u64>(ptr + i));
  for (; i < n; i++) ones += <i32>popcnt(<u32>load<u8>(ptr + i));
  return ones;
}

function apt(ptr: usize, len: i32): void {
  const w = aptWindowBytes;
  const perByte: i64 = bitsMode ? 8 : 1;
  let i = 0;
  while (i < len) {
    if (aptPos == 0 && len - i >= w) {
      const first = <i32>load<u8>(ptr + i);
      if (bitsMode) {
        const ones = popcountBytes(ptr + i, w);
        aptCount = (first >> 7) != 0 ? ones : (w << 3) - ones;
      } else {
        aptCount = (w & 15) == 0 ? countEqual(ptr + i, w, first) : countEqualScalar(ptr + i, w, first);
      }
      aptClose((healthSamples + i) * perByte);
      i += w;
      continue;
    }
    const x = <i32>load<u8>(ptr + i);
    if (aptPos == 0) {
      aptRef = bitsMode ? x >> 7 : x;
      aptCount = 0;
    }
    aptCount += bitsMode ? (aptRef != 0 ? <i32>popcnt(<u32>x) : 8 - <i32>popcnt(<u32>x)) : <i32>(x == aptRef);
    aptPos++;
    i++;
    if (aptPos == w) aptClose((healthSamples + i - w) * perByte);
  }
}

function countEqualScalar(ptr: usize, n: i32, value: i32): i32 {
  let c = 0;
  for (let i = 0; i < n; i++) c += <i32>(<i32>load<u8>(ptr + i) == value);
  return c;
}

// ---- Bit count -------------------------------------------------------------------------

function bitcount(ptr: usize, len: i32): void {
  const n = bcBlockBytes;
  let i = 0;
  while (i < len) {
    const take = min(len - i, n - bcPos);
    bcOnes += popcountBytes(ptr + i, take);
    bcPos += take;
    i += take;
    if (bcPos == n) {
      if (bcOnes < bcLow || bcOnes > bcHigh) {
        logFailure(LOG_BITCOUNT, bcFailures, <f64>((healthSamples + i - n) * 8));
        bcFailures++;
      }
      bcBlocks++;
      bcPos = 0;
      bcOnes = 0;
    }
  }
}

/**
 * Runs RCT, APT and (when configured) the bit-count test over `len` bytes at `ptr`.
 * Offsets in the failure log count samples (bits in bit mode) from the start of the stream;
 * bit-count offsets always count bits. `healthSamples` counts bytes here and is scaled by
 * the binding.
 */
export function healthUpdate(ptr: usize, len: i32): void {
  if (len <= 0) return;
  if (bitsMode) rctBits(ptr, len);
  else rctBytes(ptr, len);
  apt(ptr, len);
  if (bcBlockBytes > 0) bitcount(ptr, len);
  healthSamples += len;
}
