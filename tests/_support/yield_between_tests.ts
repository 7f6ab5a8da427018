/**
 * A vitest setup file: before every test the worker yields one turn of its event loop. Vitest
 * chains a file's hooks and tests through promises alone, so a file of synchronous WASM work
 * (the assessments, the estimator cross-checks) blocks the worker's loop from its first test to
 * its last: the answer to the worker's progress report waits unread, and after 60 s of such
 * work (a loaded machine) vitest fails the whole run with "Timeout calling onTaskUpdate" although
 * every test passed. With a turn between tests, only one test's own synchronous stretch counts.
 */
import { beforeEach } from "vitest";

// setImmediate, not setTimeout: the loop polls its I/O (the pending answer) before running it.
beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
