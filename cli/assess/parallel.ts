/**
 * The non-IID track on two cores: the estimator runs (estimator × track) are shared between
 * this thread and one Web Worker (estimator_worker.ts), each with its own instance of the core,
 * claimed one at a time through flags in shared memory, and the estimates are put back in print
 * order.
 * Every estimate is the same whichever thread computed it, so the assessment equals the serial
 * one bit for bit.
 * Where Workers are missing (Node) or the worker cannot start, this thread runs every run.
 */
import { bakedBuildInfo } from "../build_info.ts";
import {
  type AssessOptions,
  combineEstimates,
  type Estimate,
  type EstimatorRun,
  type NonIidAssessment,
  plannedRuns,
  type PreparedSamples,
  prepareEstimators,
  runEstimators,
  type TrackData,
  withWasmMemory,
} from "../../wasm/assess.ts";
import { assessModule } from "../../wasm/_assess.ts";

/** What this thread sends the worker: the samples to prepare the same way, and the runs to share. */
export interface WorkerRequest {
  /** The core as this thread compiled it: the worker shares its code instead of compiling its own. */
  module: WebAssembly.Module;
  samples: Uint8Array;
  options: AssessOptions;
  /** Every run of the assessment. */
  runs: EstimatorRun[];
  /** The indices of `runs` in the order the worker claims them; the first is claimed for it already. */
  preference: number[];
  /** An Int32Array over a SharedArrayBuffer: element k is 1 once run k is claimed. */
  claims: Int32Array;
}

/** What the worker posts: "ready" once loaded, then its estimates or why it has none. */
export type WorkerReply =
  | { kind: "ready" }
  | { kind: "estimates"; estimates: Estimate[] }
  | { kind: "failed"; reason: string };

/**
 * CPU ms of each run per million elements (bits of a bitstring or binary data, symbols
 * otherwise), from `bun scripts/bench_assess_estimators.ts` on NIST's truerand 8- and 4-bit
 * files: the runs are handed out costliest first, so the last to finish is a short one.
 */
const RUN_MS_PER_MILLION: Record<EstimatorRun["estimator"], { bits: number; symbols: number }> = {
  mcv: { bits: 1, symbols: 1 },
  collision: { bits: 2, symbols: 2 },
  markov: { bits: 4, symbols: 4 },
  compression: { bits: 6, symbols: 6 },
  tTuple: { bits: 32, symbols: 30 },
  multiMcw: { bits: 10, symbols: 48 },
  lag: { bits: 11, symbols: 30 },
  multiMmc: { bits: 38, symbols: 170 },
  lz78y: { bits: 34, symbols: 65 },
};
/**
 * Runs whose scratch memory is large: MultiMMC's and LZ78Y's tables of multi-bit contexts (101
 * and 68 MB on 10^6 8-bit symbols) and the suffix array (8 bytes an element: 62 MB on their
 * bitstring), where the others need 1 MB or less. This thread claims them first and the worker
 * last, so one instance grows to the largest and the others reuse its memory: fresh memory
 * costs a page fault and zeroing wherever it is first touched.
 */
function needsLargeScratch({ estimator }: EstimatorRun, width: number): boolean {
  return estimator === "tTuple" || (width > 1 && (estimator === "multiMmc" || estimator === "lz78y"));
}

/** Below this much estimated work a second thread saves less than its start costs (~40 ms), ms. */
const PARALLEL_MIN_WORK_MS = 80;
/** How long the worker may still take to say it is running once this thread has run out of runs. */
const WORKER_START_TIMEOUT_MS = 10_000;

/** How many threads `qrng assess` uses by default: 2 where the runtime has Web Workers and a second core. */
export function defaultAssessThreads(): number {
  const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ??
    1;
  return workersAvailable() && cores > 1 ? 2 : 1;
}

/** Whether this runtime has Web Workers and shared memory to hand out runs (Deno, Bun; not Node). */
export function workersAvailable(): boolean {
  return typeof globalThis.Worker === "function" && typeof globalThis.SharedArrayBuffer === "function";
}

/** How {@link assessNonIidInThreads} runs. */
export interface ThreadOptions {
  /** 1: every run here; 2: share them with a worker when it pays. */
  threads: number;
  /** Share them even when the work is small, and fail rather than fall back if the worker cannot run. */
  requireWorker?: boolean;
}

/** Thrown with `requireWorker` when the worker cannot run; the message names why. */
export class WorkerUnavailableError extends Error {
  override name = "WorkerUnavailableError";
}

/**
 * Claims the runs not yet claimed in the order of `preference` (indices of `runs`), one at a
 * time through `claims`, and runs each on `prepared`; the indices claimed are appended to
 * `claimed`. Both threads do this, each in its own order over all the runs, so a thread slowed
 * by other jobs on the machine simply claims fewer runs.
 */
export function runClaimed(
  prepared: PreparedSamples,
  runs: readonly EstimatorRun[],
  preference: readonly number[],
  claims: Int32Array,
  claimed: number[] = [],
): Estimate[] {
  const estimates: Estimate[] = [];
  for (const k of preference) {
    if (Atomics.compareExchange(claims, k, 0, 1) !== 0) continue;
    claimed.push(k);
    estimates.push(...runEstimators(prepared, [runs[k]]));
  }
  return estimates;
}

/** {@link assessNonIid} of wasm/assess.ts, its estimator runs shared out over `threads` threads. */
export async function assessNonIidInThreads(
  samples: Uint8Array,
  options: AssessOptions,
  { threads, requireWorker = false }: ThreadOptions,
): Promise<NonIidAssessment> {
  const prepared = withWasmMemory(samples, () => prepareEstimators(samples, options));
  const costed = plannedRuns(prepared).map((run) => ({ run, cost: runCostMs(prepared, run) }));
  const work = costed.reduce((sum, { cost }) => sum + cost, 0);
  const runs = costed.sort((a, b) => b.cost - a.cost).map(({ run }) => run);
  const here = (share: EstimatorRun[]) => withWasmMemory(samples, () => runEstimators(prepared, share));
  if (threads < 2 || (!requireWorker && work < PARALLEL_MIN_WORK_MS)) {
    return combineEstimates(prepared, here(runs));
  }
  // Both threads take the costliest runs first: this one those with large scratch memory before
  // the rest, the worker the rest before those; its first is claimed for it while it loads.
  const large: number[] = [];
  const rest: number[] = [];
  runs.forEach((run, k) => (needsLargeScratch(run, trackData(prepared, run).width) ? large : rest).push(k));
  const claims = new Int32Array(new SharedArrayBuffer(4 * runs.length));
  const preference = [...rest, ...large];
  claims[preference[0]] = 1;
  const worker = startWorker({ module: assessModule(), samples, options, runs, preference, claims });
  try {
    const claimed: number[] = [];
    const local = withWasmMemory(
      samples,
      () => runClaimed(prepared, runs, [...large, ...rest], claims, claimed),
    );
    const remote = await worker.estimates();
    if ("reason" in remote) {
      if (requireWorker) throw new WorkerUnavailableError(`the estimator worker ${remote.reason}`);
      return combineEstimates(prepared, [...local, ...here(runs.filter((_, k) => !claimed.includes(k)))]);
    }
    return combineEstimates(prepared, [...local, ...remote]);
  } finally {
    worker.terminate();
  }
}

function trackData(prepared: PreparedSamples, { track }: EstimatorRun): TrackData {
  return track === "literal" ? prepared.literal : prepared.bitstring!;
}

function runCostMs(prepared: PreparedSamples, run: EstimatorRun): number {
  const data = trackData(prepared, run);
  const perMillion = RUN_MS_PER_MILLION[run.estimator][data.width === 1 ? "bits" : "symbols"];
  return perMillion * data.len / 1e6;
}

/** A started worker: its estimates (or why there are none) once this thread asks, and its end. */
interface StartedWorker {
  estimates(): Promise<Estimate[] | { reason: string }>;
  terminate(): void;
}

/**
 * Starts the worker on `request` at once (it computes while this thread does its share). A
 * worker that has not even said "ready" {@link WORKER_START_TIMEOUT_MS} after this thread has
 * run out of runs counts as not started: a compiled binary without the worker's entry
 * point may never load it.
 */
function startWorker(request: WorkerRequest): StartedWorker {
  let worker: Worker;
  try {
    worker = new Worker(workerUrl(), { type: "module" });
  } catch (error) {
    const reason = `could not start (${error instanceof Error ? error.message : String(error)})`;
    return { estimates: () => Promise.resolve({ reason }), terminate: () => {} };
  }
  let started = false;
  const outcome = new Promise<Estimate[] | { reason: string }>((resolve) => {
    worker.onmessage = ({ data }: MessageEvent<WorkerReply>) => {
      if (data.kind === "ready") started = true;
      else if (data.kind === "estimates") resolve(data.estimates);
      else resolve({ reason: `failed (${data.reason})` });
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault(); // Deno would otherwise end this process too
      resolve({ reason: `could not run (${event.message})` });
    };
  });
  worker.postMessage(request);
  return {
    async estimates() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const silence = new Promise<{ reason: string }>((resolve) => {
        timer = setTimeout(() => {
          if (!started) resolve({ reason: `did not start within ${WORKER_START_TIMEOUT_MS / 1000} s` });
        }, WORKER_START_TIMEOUT_MS);
      });
      try {
        return await Promise.race([outcome, silence]);
      } finally {
        clearTimeout(timer);
      }
    },
    terminate: () => worker.terminate(),
  };
}

/**
 * The worker's module: next to this one from sources; in a compiled binary, relative paths
 * resolve against the embedded root (cli/, where scripts/build_binary.ts puts the entry points).
 */
function workerUrl(): string | URL {
  return bakedBuildInfo()
    ? "./assess/estimator_worker.ts"
    : new URL("./estimator_worker.ts", import.meta.url);
}
