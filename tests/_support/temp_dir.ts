/**
 * A test file's own temporary directory, removed with everything in it after the file's last
 * test, whether the tests passed or failed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/** Creates `$TMPDIR/PREFIX-XXXXXX` now and removes it in this file's afterAll. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Like {@link testTempDir}, but made in beforeAll: a run whose filter skips every test of the
 * file runs neither hook, and so leaves nothing behind. Read `path` inside tests.
 */
export function suiteTempDir(prefix: string): { readonly path: string } {
  const dir = { path: "" };
  beforeAll(() => void (dir.path = mkdtempSync(join(tmpdir(), `${prefix}-`))));
  afterAll(() => dir.path && rmSync(dir.path, { recursive: true, force: true }));
  return dir;
}
