/**
 * What `qrng feed` told the kernel, seen from outside: the CLI runs under strace, which logs
 * every ioctl it makes with the argument decoded (`RNDADDENTROPY, {entropy_count=N,
 * buf_size=M, buf="..."}`); this reads the calls back. Needs root (the ioctl checks
 * CAP_SYS_ADMIN) and strace: {@link kernelTraceUnavailable} says why not. strace leaves its
 * tracee running when it is killed (a run's timeout kills strace): {@link killTracees} ends them.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Runner } from "./cli.ts";

/** Why `qrng feed` cannot be traced feeding the kernel here, or undefined. */
export function kernelTraceUnavailable(): string | undefined {
  if (process.platform !== "linux") return "RNDADDENTROPY is Linux's";
  if (process.getuid?.() !== 0) return "not root (RNDADDENTROPY needs CAP_SYS_ADMIN)";
  if (spawnSync("strace", ["-V"]).status !== 0) return "strace is not installed";
  return undefined;
}

/** One RNDADDENTROPY call as strace saw it. */
export interface AddEntropyCall {
  entropyCount: number;
  bufSize: number;
  /** The bytes added. */
  bytes: Buffer;
  /** The call's return value: 0, or -1 with errno. */
  result: string;
}

/**
 * `runner` under strace, which writes every ioctl (buffers in full, as hex) to `log.PID`, a file
 * per thread: in one shared file a call another thread interrupts is split over two lines.
 */
export function traced(runner: Runner, log: string): Runner {
  const strace = ["-ff", "-qq", "-e", "trace=ioctl", "-e", "signal=none", "-xx", "-s", "4096", "-o", log];
  return { ...runner, command: "strace", prefix: [...strace, runner.command, ...runner.prefix] };
}

/** The RNDADDENTROPY calls in the strace logs {@link traced} wrote; throws on a line it cannot read. */
export function addEntropyCalls(log: string): AddEntropyCall[] {
  const threadLogs = readdirSync(dirname(log)).filter((name) => name.startsWith(`${basename(log)}.`));
  const lines = threadLogs.flatMap((name) => readFileSync(join(dirname(log), name), "utf8").split("\n"))
    .filter((line) => line.includes("RNDADDENTROPY"));
  return lines.map((line) => {
    const match =
      /RNDADDENTROPY, \{entropy_count=(\d+), buf_size=(\d+), buf="((?:\\x[0-9a-f]{2})*)"\}\) = (-?\d+)/
        .exec(line);
    if (!match) throw new Error(`unexpected strace line: ${line}`);
    const bytes = Buffer.from(match[3].replaceAll("\\x", ""), "hex");
    return { entropyCount: Number(match[1]), bufSize: Number(match[2]), bytes, result: match[4] };
  });
}

/** The sum of `key` over `calls`: bits credited or bytes added. */
export function total(calls: readonly AddEntropyCall[], key: "entropyCount" | "bufSize"): number {
  return calls.reduce((sum, call) => sum + call[key], 0);
}

/**
 * Kills every process still running that strace traced into a log in `dir` (their ids name the
 * per-thread logs), so a run that timed out leaves nothing behind. For a file's afterAll.
 */
export function killTracees(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const pid = Number(/\.strace\.(\d+)$/.exec(name)?.[1]);
    // Only a qrng feed still under that id: ids are reused once a process is gone.
    const cmdline = `/proc/${pid}/cmdline`;
    if (!pid || !existsSync(cmdline) || !readFileSync(cmdline, "utf8").includes("feed")) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // It ended meanwhile.
    }
  }
}
