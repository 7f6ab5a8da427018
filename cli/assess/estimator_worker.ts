/**
 * The second thread of `qrng assess` (see parallel.ts): runs the estimator runs it is sent on
 * its own instance of the core and posts their estimates back. A compiled binary holds this
 * file as an extra entry point of `bun build --compile` (scripts/build_binary.ts).
 */
import { prepareEstimators, runEstimators } from "../../wasm/assess.ts";
import type { WorkerReply, WorkerRequest } from "./parallel.ts";

/** The worker's global scope, as much of it as this file uses (the DOM lib types `self` as a Window). */
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(reply: WorkerReply): void;
};

scope.onmessage = ({ data }) => {
  try {
    const estimates = runEstimators(prepareEstimators(data.samples, data.options), data.runs);
    scope.postMessage({ kind: "estimates", estimates });
  } catch (error) {
    scope.postMessage({ kind: "failed", reason: error instanceof Error ? error.message : String(error) });
  }
};
scope.postMessage({ kind: "ready" });
