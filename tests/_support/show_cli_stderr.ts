/**
 * A vitest setup file: when a test fails, each error's message gains the command line, outcome
 * and stderr of every CLI run the test started (see cli.ts), so a failing end-to-end assertion
 * ("expected 1 to be 130") shows why the CLI did what it did. A run still going when its test
 * ends (a failed assertion skipped its wait) is killed. Tests of a `describe.concurrent` block
 * share the worker's list with each other, so they are left alone: they report their own runs.
 */
import { afterEach, beforeEach } from "vitest";
import { recordedRuns } from "./cli.ts";

/** The most of one run's stderr a failure message shows (its end, where the error is). */
const SHOWN_STDERR_CHARS = 4000;

function describeRuns(): string {
  return recordedRuns.map((run) => {
    const text = run.stderr.length > SHOWN_STDERR_CHARS ? `…${run.stderr.slice(-SHOWN_STDERR_CHARS)}` : run.stderr;
    return `\n--- ${run.command} (${run.outcome}); stderr:\n${text === "" ? "(empty)\n" : text}`;
  }).join("");
}

beforeEach(({ task, onTestFailed }) => {
  if (task.concurrent) return;
  recordedRuns.length = 0;
  onTestFailed(({ task }) => {
    if (recordedRuns.length === 0) return;
    const runs = describeRuns();
    for (const error of task.result?.errors ?? []) error.message = `${error.message}\n${runs}`;
  });
});

afterEach(({ task }) => {
  if (task.concurrent) return;
  for (const run of recordedRuns) if (run.outcome === "running") run.child.kill("SIGKILL");
});
