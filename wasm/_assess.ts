/**
 * The hand-typed boundary of assess.wasm (core/assess/index.ts): pointers, lengths and result
 * slots only. Each call of {@link newAssessInstance} gets its own instance and memory.
 */
import { adoptCompiledWasm, compiledWasm, instantiateWasm } from "./_instantiate.ts";
import { assessWasmBase64 } from "./_generated/assess_wasm.ts";

/** The raw exports of assess.wasm. */
export interface AssessExports {
  readonly memory: WebAssembly.Memory;
  resultsPtr(): number;
  reserve(bytes: number): number;
  prepareSymbols(ptr: number, len: number, width: number): number;
  translateSymbols(ptr: number, len: number): void;
  expandBits(ptr: number, len: number, width: number, out: number): void;
  mostCommonValue(ptr: number, len: number): void;
  collision(ptr: number, len: number): void;
  markov(ptr: number, len: number): void;
  compression(ptr: number, len: number): void;
  tupleAndLrs(ptr: number, len: number, width: number): void;
  multiMcw(ptr: number, len: number, width: number): void;
  lag(ptr: number, len: number, width: number): void;
  multiMmc(ptr: number, len: number, width: number): void;
  lz78y(ptr: number, len: number, width: number): void;
  chiSquareTests(ptr: number, len: number, binary: boolean): void;
  longestRepeatTest(ptr: number, len: number, width: number): void;
  permutationPtr(): number;
  permutationStart(ptr: number, len: number, binary: boolean, seedLo: number, seedHi: number): void;
  permutationRun(count: number): number;
  restartModeCounts(ptr: number, rows: number, cols: number): void;
  transposeInto(ptr: number, rows: number, cols: number, out: number): void;
}

/** Number of f64 result slots (core/assess/heap.ts). */
export const RESULT_SLOTS = 32;

/** A fresh instance of assess.wasm with its own memory. */
export function newAssessInstance(): AssessExports {
  return instantiateWasm(assessWasmBase64).exports as unknown as AssessExports;
}

/** The compiled assess.wasm, to post to another thread ({@link adoptAssessModule}). */
export function assessModule(): WebAssembly.Module {
  return compiledWasm(assessWasmBase64);
}

/** Makes this thread's instances come from `module`, another thread's {@link assessModule}. */
export function adoptAssessModule(module: WebAssembly.Module): void {
  adoptCompiledWasm(assessWasmBase64, module);
}
