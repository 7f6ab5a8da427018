/**
 * Starts `qrng emulate xr232usb|xr232 --serial ...` under a runner and parses the pty URI it
 * prints first, for end-to-end tests over a real pseudo-terminal.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { ROOT, type Runner } from "./cli.ts";

/** A running XR232 emulator; `stop()` sends Ctrl-C and resolves its stderr once it exited. */
export interface Xr232Emulator {
  uri: string;
  stop(): Promise<{ status: number | null; stderr: string }>;
}

/** Starts `qrng emulate ...args` (e.g. ["xr232usb", "--serial"]) under `runner`; resolves once it printed its URI. */
export function startXr232Emulator(runner: Runner, args: string[]): Promise<Xr232Emulator> {
  const child: ChildProcess = spawn(runner.command, [...runner.prefix, "emulate", ...args], {
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
      () => (child.kill("SIGKILL"), reject(new Error(`emulator did not start: ${stderr}`))),
      20_000,
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
          const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
          const status = await exited;
          clearTimeout(kill);
          return { status, stderr };
        },
      });
    });
    child.on("error", reject);
    void exited.then((
      status,
    ) => (clearTimeout(timer), reject(new Error(`emulator exited (${status}): ${stderr}`))));
  });
}
