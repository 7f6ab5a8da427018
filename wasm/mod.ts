/** The public binding API of qrng's WASM core, for embedders. */
export { HealthGate, healthCutoffs, isPersistentFailure, STARTUP_SAMPLES, VERDICT_SIGNIFICANCE } from "./health.ts";
export type { HealthCutoffs, HealthGateStats, HealthTestOptions } from "./health.ts";
export { binomialCutoff, binomialThreshold, bitcountBounds, rctCutoff } from "./cutoffs.ts";
