/**
 * A test file's own temporary directory, removed with everything in it after the file's last
 * test, whether the tests passed or failed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** Creates `$TMPDIR/PREFIX-XXXXXX` now and removes it in this file's afterAll. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
