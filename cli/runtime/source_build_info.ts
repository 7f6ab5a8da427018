/**
 * The build facts of a qrng running from sources, found when `qrng --version` asks (a compiled
 * binary carries its own, see `build_info.ts`): the commit from git, the runtime and system,
 * and the hash of `wasm/*.wasm` (which `npm run build` checks against the embeds that run).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { BuildInfo, CoreDigest } from "../build_info.ts";
import type { Platform } from "../platform.ts";
import { VERSION } from "../version.ts";

/** The checkout these sources sit in. */
const SOURCE_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A WASM module of the core by its file name ("analysis.wasm"). */
export interface CoreModule {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Hashes the core's modules the way {@link CoreDigest} says. */
export function digestCore(modules: readonly CoreModule[]): CoreDigest {
  const sorted = [...modules].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const whole = sha256.create();
  for (const module of sorted) whole.update(module.bytes);
  return {
    sha256: bytesToHex(whole.digest()),
    modules: Object.fromEntries(sorted.map((module) => [module.name, bytesToHex(sha256(module.bytes))])),
  };
}

/** The `*.wasm` modules in `dir` (the checkout's `wasm/` unless named). */
export function readCoreModules(dir = join(SOURCE_ROOT, "wasm")): CoreModule[] {
  return readdirSync(dir).filter((name) => name.endsWith(".wasm"))
    .map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
}

/** The commit checked out in `root`, "-dirty" when tracked files differ from it; "unknown" without git. */
export function gitCommit(root = SOURCE_ROOT): string {
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  try {
    const commit = git("rev-parse", "HEAD").trim();
    return git("status", "--porcelain", "--untracked-files=no").trim() === "" ? commit : `${commit}-dirty`;
  } catch {
    return "unknown"; // no git, or not a checkout (sources copied elsewhere)
  }
}

/** The build facts of these sources run by `runtime`. */
export function sourceBuildInfo(runtime: Platform["runtime"]): BuildInfo {
  return {
    version: VERSION,
    commit: gitCommit(),
    target: `${runtime}-${process.platform}-${process.arch} (sources)`,
    core: digestCore(readCoreModules()),
  };
}
