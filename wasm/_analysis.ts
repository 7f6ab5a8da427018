/**
 * The hand-typed boundary of analysis.wasm (core/analysis/index.ts): pointers, lengths and
 * counters only. Each call of {@link newAnalysisInstance} gets its own instance and memory.
 */
import { instantiateWasm } from "./_instantiate.ts";
import { analysisWasmBase64 } from "./_generated/analysis_wasm.ts";

/** The raw exports of analysis.wasm. */
export interface AnalysisExports {
  readonly memory: WebAssembly.Memory;
  inputPtr(): number;
  inputBytes(): number;
  statsPtr(): number;
  histPtr(): number;
  logPtr(): number;
  configure(selection: number): void;
  updateAt(ptr: number, len: number): void;
  update(len: number): void;
  snapshot(): void;
  healthConfigure(
    bits: number,
    rct: number,
    apt: number,
    aptWindowSamples: number,
    bitcountBlockBits: number,
    low: number,
    high: number,
  ): void;
  gateConfigure(windowBytes: number, startupBytes: number): void;
  repeatConfigure(
    gram: number,
    hashTerms: number,
    candidates: number,
    wideCandidates: number,
    nearWindow: number,
    nearHistory: number,
    nearBits: number,
    farWindow: number,
    farHistory: number,
    farBits: number,
  ): void;
  repeatNearLogPtr(): number;
  repeatFarLogPtr(): number;
  repeatFailures(): number;
  gateWindows(ptr: number, len: number): number;
}

/** Selection bits of `configure` (core/analysis/index.ts). */
export const PASS_FIPS = 1;
export const PASS_ENT = 2;
export const PASS_HEALTH = 4;
export const PASS_DSV = 8;
export const PASS_REPEAT = 16;

/** Stats slot numbers of `snapshot` (core/analysis/index.ts documents them). */
export const SLOT = {
  bytes: 0,
  fipsBlocks: 1,
  fipsFailed: 2,
  fipsMonobit: 3,
  fipsPoker: 4,
  fipsRuns: 5,
  fipsLongRun: 6,
  fipsContinuous: 7,
  block0: 8,
  ones: 23,
  pairsBytes: 24,
  pairsBits: 25,
  firstByte: 26,
  lastByte: 27,
  monteTries: 28,
  monteHits: 29,
  dsvSum: 30,
  dsvMin: 31,
  dsvMax: 32,
  dsvBlocks: 33,
  dsvBlockMin: 34,
  dsvBlockMax: 35,
  dsvBlockSumSq: 36,
  dsvBlockOutside: 37,
  healthBytes: 38,
  rctFailures: 39,
  aptWindows: 40,
  aptFailures: 41,
  bitcountBlocks: 42,
  bitcountFailures: 43,
  gateStartupComplete: 44,
  gateWindowsPassed: 45,
  gateWindowsFailed: 46,
  gateBytesReleased: 47,
  fipsPartialBytes: 48,
  repeatBytes: 50,
  repeatFarSelected: 51,
  repeatMatches: 52,
  repeatOverloads: 53,
  repeatNearSelected: 54,
  repeatNearMatches: 55,
  repeatFarMatches: 56,
} as const;

/** Failure logs: 4 tests × LOG_SLOTS offsets (f64), in this order. */
export const LOG_SLOTS = 32;
export const LOG_RCT = 0, LOG_APT = 1, LOG_BITCOUNT = 2, LOG_FIPS = 3;

/** A fresh instance of analysis.wasm with its own memory. */
export function newAnalysisInstance(): AnalysisExports {
  return instantiateWasm(analysisWasmBase64).exports as unknown as AnalysisExports;
}
