/** The public binding API of qrng's WASM core, for embedders. */
export {
  claimedHRange,
  healthCutoffs,
  HealthGate,
  isPersistentFailure,
  MIN_H_PER_BYTE,
  STARTUP_SAMPLES,
  VERDICT_SIGNIFICANCE,
} from "./health.ts";
export type { HealthCutoffs, HealthGateStats, HealthTestOptions } from "./health.ts";
export {
  binomialCutoff,
  binomialTail,
  binomialThreshold,
  bitcountBounds,
  rctCutoff,
  rctFailureRate,
} from "./cutoffs.ts";
export { Analyzer, FIPS_TEST_NAMES } from "./analysis.ts";
export type { AnalysisOptions, AnalysisResults, FipsResults, HealthResults } from "./analysis.ts";
export { entStats, mostCommonValueEntropy, pochisq } from "./ent.ts";
export type { EntStats, EntSums } from "./ent.ts";
export { assessNonIid, FIELD_LABELS, RECORD_SAMPLES, TRUNCATED_BITSTRING_BITS } from "./assess.ts";
export type {
  AssessedSamples,
  AssessOptions,
  Estimate,
  EstimatorId,
  NonIidAssessment,
  Track,
} from "./assess.ts";
export {
  assessIid,
  IID_TEST_LEVEL,
  iidMinEntropy,
  PERMUTATION_SHUFFLES,
  PERMUTATION_STATISTICS,
} from "./assess_iid.ts";
export type {
  ChiSquareResult,
  IidAssessment,
  IidMinEntropy,
  IidOptions,
  PermutationStatistic,
} from "./assess_iid.ts";
export {
  assessRestarts,
  restartCutoff,
  RESTARTS,
  SAMPLES_PER_RESTART,
  SANITY_ALPHA,
} from "./assess_restart.ts";
export type { DatasetAssessment, RestartAssessment, RestartOptions } from "./assess_restart.ts";
