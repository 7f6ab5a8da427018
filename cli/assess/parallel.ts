/**
 * The non-IID track on two cores: the estimator runs (estimator × track) are shared out by
 * their measured cost between this thread and one Web Worker (estimator_worker.ts), each with
 * its own instance of the core, and the estimates put back in print order. Every estimate is
 * the same whichever thread computed it, so the assessment equals the serial one bit for bit.
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
  withWasmMemory,
} from "../../wasm/assess.ts";

/** What this thread sends the worker: the samples to prepare the same way, and its share of the runs. */
export interface WorkerRequest {
  samples: Uint8Array;
  options: AssessOptions;
  runs: EstimatorRun[];
}

/** What the worker posts: "ready" once loaded, then its estimates or why it has none. */
export type WorkerReply =
  | { kind: "ready" }
  | { kind: "estimates"; estimates: Estimate[] }
  | { kind: "failed"; reason: string };

/**
 * CPU ms of each run per million elements (bits of a bitstring or binary data, symbols
 * otherwise), from `bun scripts/bench_assess_estimators.ts` on NIST's truerand 8- and 4-bit
 * files; only their ratios matter.
 */
const RUN_MS_PER_MILLION: Record<EstimatorRun["estimator"], { bits: number; symbols: number }> = {
  mcv: { bits: 1, symbols: 1 },
  collision: { bits: 2, symbols: 2 },
  markov: { bits: 4, symbols: 4 },
  compression: { bits: 6, symbols: 6 },
  tTuple: { bits: 32, symbols: 30 },
  multiMcw: { bits: 10, symbols: 48 },
  lag: { bits: 11, symbols: 30 },
  multiMmc: { bits: 47, symbols: 380 },
  lz78y: { bits: 51, symbols: 100 },
};
/** What starting the worker costs (a runtime thread, the modules and the core compiled again), ms. */
const WORKER_START_MS = 40;
/** Below this much estimated work a second thread saves less than its start costs, ms. */
const PARALLEL_MIN_WORK_MS = 2 * WORKER_START_MS;
/** How long the worker may still take to say it is running once this thread's share is done. */
const WORKER_START_TIMEOUT_MS = 10_000;

/** How many threads `qrng assess` uses by default: 2 where the runtime has Web Workers and a second core. */
export function defaultAssessThreads(): number {
  const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ??
    1;
  return workersAvailable() && cores > 1 ? 2 : 1;
}

/** Whether this runtime has Web Workers (Deno, Bun, browsers; not Node). */
export function workersAvailable(): boolean {
  return typeof globalThis.Worker === "function";
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

/** {@link assessNonIid} of wasm/assess.ts, its estimator runs shared out over `threads` threads. */
export async function assessNonIidInThreads(
  samples: Uint8Array,
  options: AssessOptions,
  { threads, requireWorker = false }: ThreadOptions,
): Promise<NonIidAssessment> {
  const prepared = withWasmMemory(samples, () => prepareEstimators(samples, options));
  const runs = plannedRuns(prepared);
  const work = runs.reduce((sum, run) => sum + runCostMs(prepared, run), 0);
  const here = () => withWasmMemory(samples, () => runEstimators(prepared, runs));
  if (threads < 2 || (!requireWorker && work < PARALLEL_MIN_WORK_MS)) {
    return combineEstimates(prepared, here());
  }
  const [mine, theirs] = splitRuns(prepared, runs);
  const worker = startWorker({ samples, options, runs: theirs });
  try {
    const local = withWasmMemory(samples, () => runEstimators(prepared, mine));
    const remote = await worker.estimates();
    if ("reason" in remote) {
      if (requireWorker) throw new WorkerUnavailableError(`the estimator worker ${remote.reason}`);
      return combineEstimates(prepared, [
        ...local,
        ...withWasmMemory(samples, () => runEstimators(prepared, theirs)),
      ]);
    }
    return combineEstimates(prepared, [...local, ...remote]);
  } finally {
    worker.terminate();
  }
}

function runCostMs(prepared: PreparedSamples, { estimator, track }: EstimatorRun): number {
  const data = track === "literal" ? prepared.literal : prepared.bitstring!;
  const perMillion = RUN_MS_PER_MILLION[estimator][data.width === 1 ? "bits" : "symbols"];
  return perMillion * data.len / 1e6;
}

/** Longest runs first, each to the thread with less work so far (the worker starts behind by its start cost). */
function splitRuns(prepared: PreparedSamples, runs: EstimatorRun[]): [EstimatorRun[], EstimatorRun[]] {
  const costed = runs.map((run) => ({ run, cost: runCostMs(prepared, run) })).sort((a, b) => b.cost - a.cost);
  const shares: [EstimatorRun[], EstimatorRun[]] = [[], []];
  const loads = [0, WORKER_START_MS];
  for (const { run, cost } of costed) {
    const lighter = loads[0] <= loads[1] ? 0 : 1;
    shares[lighter].push(run);
    loads[lighter] += cost;
  }
  return shares;
}

/** A started worker: its estimates (or why there are none) once this thread asks, and its end. */
interface StartedWorker {
  estimates(): Promise<Estimate[] | { reason: string }>;
  terminate(): void;
}

/**
 * Starts the worker on `request` at once (it computes while this thread does its share). A
 * worker that has not even said "ready" by {@link WORKER_START_TIMEOUT_MS} after this thread
 * asks for its estimates counts as not started: a compiled binary without the worker's entry
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
