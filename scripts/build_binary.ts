/**
 * Compiles the CLI into one executable with `bun build --compile`, the build facts `qrng
 * --version` prints baked in (`--define QRNG_BUILD=...`, see cli/build_info.ts): the git commit,
 * the target and the hash of wasm/*.wasm.
 *
 *   bun scripts/build_binary.ts                       dist/qrng for this machine
 *   bun scripts/build_binary.ts TARGET OUTFILE        e.g. bun-linux-arm64 dist/release/qrng-linux-arm64
 *
 * A cross target's Bun runtime comes from the npm registry on first use (cached in ~/.bun).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { digestCore, gitCommit, readCoreModules } from "../cli/runtime/source_build_info.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUN = join(ROOT, "node_modules", ".bin", "bun");

/** The `bun build --target` of the machine building. */
export const NATIVE_TARGET = `bun-${process.platform}-${process.arch}`;

/**
 * The `bun build` flags of every qrng executable (tests compile their helpers with them too).
 * `--bytecode --splitting` keep start-up near 10 ms: each command is its own chunk, parsed only
 * when it runs.
 */
export const COMPILE_FLAGS: readonly string[] = [
  "--compile",
  "--minify",
  "--bytecode",
  "--format=esm",
  "--splitting",
];

/** Compiles cli/main.ts for `target` into `outfile`. */
export async function buildBinary(target: string, outfile: string): Promise<void> {
  const facts = { commit: gitCommit(ROOT), target, core: digestCore(readCoreModules(join(ROOT, "wasm"))) };
  const args = [
    ...["build", ...COMPILE_FLAGS],
    ...["--target", target, "--define", `QRNG_BUILD=${JSON.stringify(JSON.stringify(facts))}`],
    // A Worker's module is an entry point of its own, or the binary cannot start it (see
    // cli/assess/parallel.ts for how it is named at run time).
    ...[
      join(ROOT, "cli", "main.ts"),
      join(ROOT, "cli", "assess", "estimator_worker.ts"),
      "--outfile",
      outfile,
    ],
  ];
  try {
    await promisify(execFile)(BUN, args, { cwd: ROOT, encoding: "utf8" });
  } catch (error) {
    const { stdout = "", stderr = "", message } = error as {
      stdout?: string;
      stderr?: string;
      message: string;
    };
    throw new Error(`Cannot compile qrng for ${target}:\n${stdout}${stderr || message}`);
  }
}

if (import.meta.main) {
  const [target = NATIVE_TARGET, outfile = join(ROOT, "dist", "qrng")] = process.argv.slice(2);
  await buildBinary(target, outfile);
}
