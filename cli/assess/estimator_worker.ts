/**
 * The second thread of `qrng assess` (see parallel.ts): on its own instance of the core, runs
 * the first run of its order of preference and then claims the rest in that order, skipping
 * those the other thread claimed, and posts their estimates back. A compiled binary holds this
 * file as an extra entry point of `bun build --compile` (scripts/build_binary.ts).
 */
import { prepareEstimators, runEstimators } from "../../wasm/assess.ts";
import { adoptAssessModule } from "../../wasm/_assess.ts";
import { runClaimed, type WorkerReply, type WorkerRequest } from "./parallel.ts";

/** The worker's global scope, as much of it as this file uses (the DOM lib types `self` as a Window). */
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(reply: WorkerReply): void;
};

scope.onmessage = ({ data }) => {
  try {
    adoptAssessModule(data.module);
    const prepared = prepareEstimators(data.samples, data.options);
    const estimates = runEstimators(prepared, [data.runs[data.preference[0]]]);
    estimates.push(...runClaimed(prepared, data.runs, data.preference, data.claims));
    scope.postMessage({ kind: "estimates", estimates });
  } catch (error) {
    scope.postMessage({ kind: "failed", reason: error instanceof Error ? error.message : String(error) });
  }
};
scope.postMessage({ kind: "ready" });
