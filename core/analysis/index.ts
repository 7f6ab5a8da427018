/**
 * The analysis module: one instance analyses one stream. Callers read data straight into the
 * input buffer (`inputPtr()`, `inputBytes()`) and call `update(len)`; `snapshot()` writes
 * every counter to the stats slots (f64) and the byte histogram (f64 × 256) without changing
 * the streaming state, so results can be read at any time and chunking never matters.
 *
 * The same instance can instead serve as a fail-closed health gate (`gateConfigure`,
 * `gateWindows`): windows staged in the input buffer are tested there, and the passing ones are
 * released in place, compacted to the front of the buffer.
 *
 * Stats slots (see wasm/analysis.ts, which names them):
 *   0 bytes  1..7 FIPS blocks/failed/monobit/poker/runs/longrun/continuous
 *   8..22 block 0: ones, poker sum, runs of 0s ×6, runs of 1s ×6, failure mask
 *   23 ones (all bytes)  24 pairs bytes  25 pairs bits  26 first byte  27 last byte
 *   28 monte tries  29 monte hits  30..32 DSV sum/min/max
 *   33..37 block DSV count/min/max/sum of squares/outside ±3σ
 *   38..43 health samples(bytes)/RCT failures/APT windows/APT failures/bitcount blocks/failures
 *   44..47 gate startup complete/windows passed/windows failed/bytes released
 *   48 FIPS partial bytes
 *   50..53 repetition check bytes/far tier lookups/repeats (both tiers)/overloads
 *   54..56 repetition check near tier lookups/near repeats/far repeats
 */
import { BLOCK_PTR, HIST_PTR, INPUT_BYTES, INPUT_PTR, LOG_PTR, STATS_PTR } from "./layout.ts";
import * as fips from "./fips.ts";
import * as ent from "./ent.ts";
import * as dsv from "./dsv.ts";
import * as health from "./health.ts";
import * as gate from "./gate.ts";
import * as repeat from "./repeat.ts";

/** Sets the health-test cutoffs and resets their state (see health.ts). */
export function healthConfigure(
  bits: bool, rct: i32, apt: i32, aptWindowSamples: i32, bitcountBlockBits: i32, low: i32, high: i32,
): void {
  health.healthConfigure(bits, rct, apt, aptWindowSamples, bitcountBlockBits, low, high);
}

/** Configures the repetition check's two tiers and resets it (see repeat.ts). */
export function repeatConfigure(
  gram: i32, hashTerms: i32, candidates: u32, wideCandidates: u32,
  nearWindow: i32, nearHistory: u32, nearBits: i32,
  farWindow: i32, farHistory: u32, farBits: i32,
): void {
  repeat.repeatConfigure(gram, hashTerms, candidates, wideCandidates, nearWindow, nearHistory, nearBits, farWindow, farHistory, farBits);
}

/** Repeats found so far plus overloads: nonzero means the stream failed the check (the gate polls it). */
export function repeatFailures(): f64 { return <f64>(repeat.repeatMatches() + repeat.repeatOverloads()); }

/** Address of the near tier's repetition log: pairs of f64 offsets (earlier, later) of its first repeats. */
export function repeatNearLogPtr(): usize { return repeat.REPEAT_NEAR_LOG_PTR; }

/** Address of the far tier's repetition log, as {@link repeatNearLogPtr}. */
export function repeatFarLogPtr(): usize { return repeat.REPEAT_FAR_LOG_PTR; }

/** Sets the gate window and start-up length in bytes (see gate.ts). */
export function gateConfigure(windowBytes: i32, startupBytes: i32): void {
  gate.gateConfigure(windowBytes, startupBytes);
}

/** Tests staged windows and releases the passing ones in place (see gate.ts). */
export function gateWindows(ptr: usize, len: i32): i32 {
  return gate.gateWindows(ptr, len);
}

/** Selection bits for {@link configure}. */
const FLAG_FIPS: i32 = 1;
const FLAG_ENT: i32 = 2;
const FLAG_HEALTH: i32 = 4;
const FLAG_DSV: i32 = 8;
const FLAG_REPEAT: i32 = 16;

const HIST_OUT_PTR: usize = memory.data(256 * 8, 16);
let flags: i32 = FLAG_FIPS | FLAG_ENT | FLAG_DSV;
let bytesSeen: i64 = 0;

/** Address of the input buffer. */
export function inputPtr(): usize { return INPUT_PTR; }
/** Capacity of the input buffer in bytes. */
export function inputBytes(): i32 { return INPUT_BYTES; }
/** Address of the stats slots (f64). */
export function statsPtr(): usize { return STATS_PTR; }
/** Address of the snapshot histogram (256 × f64). */
export function histPtr(): usize { return HIST_OUT_PTR; }
/** Address of the failure logs (4 tests × 32 offsets, f64). */
export function logPtr(): usize { return LOG_PTR; }

/** Resets the stream and selects the passes (FLAG_* bits; the histogram pass always runs). */
export function configure(selection: i32): void {
  flags = selection;
  bytesSeen = 0;
  fips.blocksReset((selection & FLAG_FIPS) != 0);
  ent.entReset();
  dsv.dsvReset();
}

/** Analyses `len` bytes at `ptr` (normally the input buffer). */
export function updateAt(ptr: usize, len: i32): void {
  if (len <= 0) return;
  fips.blocksUpdate(ptr, len);
  if (flags & FLAG_ENT) ent.entUpdate(ptr, len);
  if (flags & FLAG_HEALTH) health.healthUpdate(ptr, len);
  if (flags & FLAG_DSV) dsv.dsvUpdate(ptr, len);
  if (flags & FLAG_REPEAT) repeat.repeatUpdate(ptr, len);
  bytesSeen += len;
}

/** Analyses the first `len` bytes of the input buffer. */
export function update(len: i32): void {
  updateAt(INPUT_PTR, len);
}

// @ts-ignore: decorator
@inline function put(slot: i32, value: f64): void {
  store<f64>(STATS_PTR + (<usize>slot << 3), value);
}

/** Writes every counter and the byte histogram for the binding to read. */
export function snapshot(): void {
  let ones: i64 = 0;
  const partial = fips.fipsPartialBytes();
  for (let v = 0; v < 256; v++) store<f64>(HIST_OUT_PTR + (<usize>v << 3), <f64>load<i64>(HIST_PTR + (<usize>v << 3)));
  for (let i = 0; i < partial; i++) {
    const h = HIST_OUT_PTR + (<usize>load<u8>(BLOCK_PTR + i) << 3);
    store<f64>(h, load<f64>(h) + 1);
  }
  for (let v = 0; v < 256; v++) ones += <i64>load<f64>(HIST_OUT_PTR + (<usize>v << 3)) * <i64>popcnt(v);
  put(0, <f64>bytesSeen);
  put(1, <f64>fips.fipsBlocks); put(2, <f64>fips.fipsFailed); put(3, <f64>fips.fipsMonobit);
  put(4, <f64>fips.fipsPoker); put(5, <f64>fips.fipsRuns); put(6, <f64>fips.fipsLongRun);
  put(7, <f64>fips.fipsContinuous);
  for (let k = 0; k < 15; k++) put(8 + k, <f64>load<i32>(fips.BLOCK0_PTR + (<usize>k << 2)));
  put(23, <f64>ones);
  put(24, <f64>ent.entPairBytes); put(25, <f64>ent.entPairBits);
  put(26, <f64>ent.entFirst); put(27, <f64>ent.entLast);
  put(28, <f64>ent.monteTries); put(29, <f64>ent.monteHits);
  put(30, <f64>dsv.dsvSum); put(31, <f64>dsv.dsvMin); put(32, <f64>dsv.dsvMax);
  put(33, <f64>fips.fipsBlocks); put(34, <f64>fips.dsvBlockMin); put(35, <f64>fips.dsvBlockMax);
  put(36, fips.dsvBlockSumSq); put(37, <f64>fips.dsvBlockOutside);
  put(38, <f64>health.healthSamples); put(39, <f64>health.rctFailures); put(40, <f64>health.aptWindows);
  put(41, <f64>health.aptFailures); put(42, <f64>health.bcBlocks); put(43, <f64>health.bcFailures);
  put(44, gate.gateStartupComplete ? 1 : 0); put(45, <f64>gate.gateWindowsPassed);
  put(46, <f64>gate.gateWindowsFailed); put(47, <f64>gate.gateBytesReleased);
  put(48, <f64>partial);
  put(50, <f64>repeat.repeatBytes); put(51, <f64>repeat.repeatFarSelected());
  put(52, <f64>repeat.repeatMatches()); put(53, <f64>repeat.repeatOverloads());
  put(54, <f64>repeat.repeatNearSelected()); put(55, <f64>repeat.repeatNearMatches());
  put(56, <f64>repeat.repeatFarMatches());
}
