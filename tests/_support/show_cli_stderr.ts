/**
 * A vitest setup file: when a test fails, each error's message gains the command line, outcome
 * and stderr of every CLI run started while the test ran (see cli.ts; in a concurrent suite
 * that includes its neighbours' runs), so a failing end-to-end assertion ("expected 1 to be
 * 130") shows why the CLI did what it did. A run still going when its test ends (a failed
 * assertion skipped a wait) is killed; in a concurrent suite, where neighbours' runs would be
 * among them, only when the file's tests are all done.
 */
import { afterAll, afterEach, beforeEach } from "vitest";
import { type RecordedRun, recordedRuns } from "./cli.ts";

/** The most of one run's stderr a failure message shows (its end, where the error is). */
const SHOWN_STDERR_CHARS = 4000;

function describeRuns(runs: readonly RecordedRun[]): string {
  return runs.map((run) => {
    const text = run.stderr.length > SHOWN_STDERR_CHARS
      ? `…${run.stderr.slice(-SHOWN_STDERR_CHARS)}`
      : run.stderr;
    return `\n--- ${run.command} (${run.outcome}); stderr:\n${text === "" ? "(empty)\n" : text}`;
  }).join("");
}

/** When the test now running (outside concurrent suites) started. */
let testStartedAt = 0;

const killRunning = (runs: readonly RecordedRun[]) => {
  for (const run of runs) if (run.outcome === "running") run.child.kill("SIGKILL");
};

beforeEach(({ onTestFailed }) => {
  const startedAt = Date.now();
  testStartedAt = startedAt;
  onTestFailed(({ task }) => {
    const runs = recordedRuns.filter((run) => run.startedAt >= startedAt);
    if (runs.length === 0) return;
    const text = describeRuns(runs);
    for (const error of task.result?.errors ?? []) error.message = `${error.message}\n${text}`;
  });
});

afterEach(({ task }) => {
  if (!task.concurrent) killRunning(recordedRuns.filter((run) => run.startedAt >= testStartedAt));
});

afterAll(() => killRunning(recordedRuns));
