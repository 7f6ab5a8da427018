/**
 * Runs the real qrng CLI as a child process under each way it ships: Deno and Bun running the
 * sources, and the compiled binary built by `npm run build`. End-to-end tests loop over
 * {@link RUNNERS} so every behaviour is checked in all three.
 *
 * Every run started here is recorded: when a test fails, show_cli_stderr.ts (a vitest setup
 * file) appends the command line, exit status and stderr of each run started while it ran to
 * the failure's message, and kills what is still running when the file's tests are done.
 */
import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process";
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

/** One CLI run, as a failing test reports it. */
export interface RecordedRun {
  readonly command: string;
  /** Date.now() at the start, to match runs to the tests that ran then. */
  readonly startedAt: number;
  /** Exit status, the signal that ended it, or "running". */
  outcome: string;
  stderr: string;
  readonly child: ChildProcess;
}

/** The runs this test file started (tests of a concurrent suite run side by side). */
export const recordedRuns: RecordedRun[] = [];

/** A CLI child process whose stderr is collected and recorded for failure messages. */
export interface CliChild {
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves its exit status (null when a signal ended it) once it exited. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts `qrng ...args` under `runner` with stdout and stderr piped (stdin as `stdin` says);
 * for tests that signal the process or watch it while it runs.
 */
export function spawnCli(
  runner: Runner,
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; stdin?: "pipe" | "ignore"; timeoutMs?: number } = {},
): CliChild {
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
    timeout: options.timeoutMs ?? 50_000,
  };
  const child = spawn(runner.command, [...runner.prefix, ...args], spawnOptions);
  const record: RecordedRun = {
    command: `${runner.name}: qrng ${args.join(" ")}`,
    startedAt: Date.now(),
    outcome: "running",
    stderr: "",
    child,
  };
  recordedRuns.push(record);
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => (record.stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status, signal) => {
      record.outcome = status === null ? `killed by ${signal}` : `exit status ${status}`;
      resolve(status);
    });
  });
  return { child, stderr: () => record.stderr, exited };
}

/** Runs `qrng ...args` under `runner` to completion. */
export async function runCli(
  runner: Runner,
  args: readonly string[],
  options: RunCliOptions = {},
): Promise<CliResult> {
  const run = spawnCli(runner, args, { ...options, stdin: "pipe" });
  const stdout: Buffer[] = [];
  run.child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
  run.child.stdin!.on("error", () => {}); // the CLI may exit before reading all of stdin
  run.child.stdin!.end(options.stdin ?? "");
  const status = await run.exited;
  return { status, stdout: Buffer.concat(stdout), stderr: run.stderr() };
}
