/**
 * Runs the real qrng CLI as a child process under each way it ships: Deno and Bun running the
 * sources, and the compiled binary built by `npm run build`. End-to-end tests loop over
 * {@link RUNNERS} so every behaviour is checked in all three.
 */
import { spawn, type SpawnOptions } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");

/** How a runner starts the CLI: the program and the arguments before qrng's own. */
export interface Runner {
  readonly name: "deno" | "bun" | "binary";
  readonly command: string;
  readonly prefix: readonly string[];
}

export const RUNNERS: readonly Runner[] = [
  {
    name: "deno",
    command: join(BIN, "deno"),
    prefix: ["run", "--allow-all", "--quiet", join(ROOT, "cli/main.ts")],
  },
  { name: "bun", command: join(BIN, "bun"), prefix: [join(ROOT, "cli/main.ts")] },
  { name: "binary", command: join(ROOT, "dist", "qrng"), prefix: [] },
];

/**
 * `runner` under a file size limit of `blocks` 512-byte blocks (`ulimit -f`): writes past it
 * fail with EFBIG, as on a full disk. Deno dies of SIGXFSZ there instead of failing the write.
 */
export function withFileSizeLimit(runner: Runner, blocks: number): Runner {
  return {
    ...runner,
    command: "/bin/sh",
    prefix: ["-c", `ulimit -f ${blocks} && exec "$0" "$@"`, runner.command, ...runner.prefix],
  };
}

/** The compiled binary exists only after `npm run build`; tests of it say so when it is missing. */
export const binaryBuilt = existsSync(join(ROOT, "dist", "qrng"));

/** What a finished CLI run produced. */
export interface CliResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Options for {@link runCli}. */
export interface RunCliOptions {
  /** Bytes fed to standard input, then closed. @default nothing (stdin closed at once) */
  stdin?: Uint8Array | string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Kill the process after this many milliseconds. @default 50_000 */
  timeoutMs?: number;
  cwd?: string;
}

/** Runs `qrng ...args` under `runner` to completion. */
export function runCli(
  runner: Runner,
  args: readonly string[],
  options: RunCliOptions = {},
): Promise<CliResult> {
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
    timeout: options.timeoutMs ?? 50_000,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(runner.command, [...runner.prefix, ...args], spawnOptions);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", reject);
    child.on(
      "close",
      (status) =>
        resolve({ status, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString() }),
    );
    child.stdin!.on("error", () => {}); // the CLI may exit before reading all of stdin
    child.stdin!.end(options.stdin ?? "");
  });
}
