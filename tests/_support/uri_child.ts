/**
 * A device process for end-to-end tests (an emulator, a misbehaving device): started as a child,
 * it prints the URI hosts use as its first stdout line and serves until SIGINT.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { ROOT, type Runner } from "./cli.ts";

/** Longest wait for the URI line, and for the exit after SIGINT before SIGKILL. */
const CHILD_WAIT_MS = 20_000;

/** A running device process. */
export interface UriChild {
  /** The first line it printed. */
  uri: string;
  /** Sends SIGINT and resolves its exit status and stderr once it exited. */
  stop(): Promise<{ status: number | null; stderr: string }>;
}

/** Starts `command args` in the repository and resolves once it printed its URI line. */
export function startUriChild(command: string, args: readonly string[]): Promise<UriChild> {
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => (child.kill("SIGKILL"), reject(new Error(`device did not start: ${stderr}`))),
      CHILD_WAIT_MS,
    );
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      resolve({
        uri: stdout.slice(0, newline),
        async stop() {
          child.kill("SIGINT");
          const kill = setTimeout(() => child.kill("SIGKILL"), CHILD_WAIT_MS / 4);
          const status = await exited;
          clearTimeout(kill);
          return { status, stderr };
        },
      });
    });
    child.on("error", reject);
    void exited.then((
      status,
    ) => (clearTimeout(timer), reject(new Error(`device exited (${status}): ${stderr}`))));
  });
}

/** Starts `qrng emulate ...args` (e.g. ["xr232usb", "--serial"]) under `runner`. */
export function startEmulateChild(runner: Runner, args: readonly string[]): Promise<UriChild> {
  return startUriChild(runner.command, [...runner.prefix, "emulate", ...args]);
}
