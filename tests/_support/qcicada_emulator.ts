/**
 * Starts `qrng emulate qcicada` as a child process (under Bun, the quickest to start) and
 * parses the device URI and CA key it prints, for end-to-end tests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./cli.ts";

/** A running emulator. */
export interface RunningEmulator {
  uri: string;
  ca: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Ctrl-C, then waits for it to exit; resolves its exit status. */
  stop(): Promise<number | null>;
  child: ChildProcess;
}

/** Starts the emulator with `args` (e.g. ["--tcp", "127.0.0.1:0", "--seed", "5"]). */
export function startEmulator(args: string[]): Promise<RunningEmulator> {
  const child = spawn(join(ROOT, "node_modules", ".bin", "bun"), [
    join(ROOT, "cli/main.ts"),
    "emulate",
    "qcicada",
    ...args,
  ], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => (child.kill("SIGKILL"), reject(new Error(`emulator did not start: ${err}`))),
      20_000,
    );
    child.on("exit", () => reject(new Error(`emulator exited: ${err}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split("\n");
      if (lines.length < 3) return;
      clearTimeout(timer);
      resolve({
        uri: lines[0],
        ca: lines[1].replace(/^ca /, ""),
        stderr: () => err,
        child,
        stop: () => {
          child.kill("SIGINT");
          return exited;
        },
      });
    });
  });
}
