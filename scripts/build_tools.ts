/** What the build scripts share: running the project's own tools and the declaration settings. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** node_modules/.bin: the pinned bun, deno and tsc. */
export const BIN = join(ROOT, "node_modules", ".bin");

/** tsc flags for declarations only, with the settings deno.json gives the sources (strict, .ts imports, DOM). */
export const DECLARATION_FLAGS: readonly string[] = [
  ...["--declaration", "--emitDeclarationOnly", "--strict", "--allowImportingTsExtensions"],
  ...["--target", "esnext", "--module", "esnext", "--moduleResolution", "bundler", "--lib", "esnext,dom"],
];

/** Runs a tool from node_modules/.bin; throws with its output when it fails. */
export function runBin(tool: string, args: readonly string[], what: string): void {
  const result = spawnSync(join(BIN, tool), args, { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`Cannot ${what}:\n${result.stdout}${result.stderr}${result.error ?? ""}`);
  }
}

/**
 * Emits the declarations of `entry` (and every module it imports) into a temporary directory,
 * hands it to `use`, and removes it afterwards. `extraFlags` add to {@link DECLARATION_FLAGS}.
 */
export function withDeclarations(
  entry: string,
  extraFlags: readonly string[],
  use: (dir: string) => void,
): void {
  const emitted = mkdtempSync(join(tmpdir(), "qrng-types-"));
  try {
    runBin("tsc", [entry, ...DECLARATION_FLAGS, ...extraFlags, "--outDir", emitted], "emit declarations");
    use(emitted);
  } finally {
    rmSync(emitted, { recursive: true, force: true });
  }
}

/** Empties `dir` (creating it when missing), for a build's fresh output. */
export function freshDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
