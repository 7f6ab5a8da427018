/**
 * Starts the adversarial device for a test: socket transports inside the test's own process,
 * the serial pty (which needs FFI) as a Bun child process running main.ts.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../cli.ts";
import { type AdversaryTransport, type RunningAdversary, startAdversary } from "./device.ts";
import { readRecord } from "./record.ts";
import type { FaultScript } from "./script.ts";

/** Longest wait for the child device to print its URI, and to exit after SIGINT. */
const CHILD_WAIT_MS = 20_000;

/** Starts the device; `scratch` is a path prefix for the child's record file. */
export function launchAdversary(transport: AdversaryTransport, script: FaultScript, scratch: string): Promise<RunningAdversary> {
  return transport === "serial" ? startChild(transport, script, scratch) : startAdversary(transport, script);
}

function startChild(transport: AdversaryTransport, script: FaultScript, scratch: string): Promise<RunningAdversary> {
  const recordPath = `${scratch}.record.json`;
  const child = spawn(
    join(ROOT, "node_modules", ".bin", "bun"),
    [join(ROOT, "tests/_support/adversary/main.ts"), `--${transport}`, "--faults", JSON.stringify(script), "--record", recordPath],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`adversary did not start: ${stderr}`))), CHILD_WAIT_MS);
    void exited.then((status) => reject(new Error(`adversary exited with ${status}: ${stderr}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      resolve({
        uri: stdout.slice(0, newline),
        async stop() {
          child.kill("SIGINT");
          const kill = setTimeout(() => child.kill("SIGKILL"), CHILD_WAIT_MS);
          const status = await exited;
          clearTimeout(kill);
          try {
            if (status !== 0) throw new Error(`adversary exited with ${status}: ${stderr}`);
            return readRecord(recordPath);
          } finally {
            rmSync(recordPath, { force: true });
          }
        },
      });
    });
  });
}
