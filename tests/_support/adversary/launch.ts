/**
 * Starts the adversarial device for a test: socket transports inside the test's own process,
 * the serial pty (which needs FFI) as a Bun child process running main.ts.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../cli.ts";
import { startUriChild } from "../uri_child.ts";
import { type AdversaryTransport, type RunningAdversary, startAdversary } from "./device.ts";
import { readRecord } from "./record.ts";
import type { FaultScript } from "./script.ts";

/** Starts the device; `scratch` is a path prefix for the child's record file. */
export function launchAdversary(
  transport: AdversaryTransport,
  script: FaultScript,
  scratch: string,
): Promise<RunningAdversary> {
  return transport === "serial" ? startChild(transport, script, scratch) : startAdversary(transport, script);
}

async function startChild(
  transport: AdversaryTransport,
  script: FaultScript,
  scratch: string,
): Promise<RunningAdversary> {
  const recordPath = `${scratch}.record.json`;
  const child = await startUriChild(join(ROOT, "node_modules", ".bin", "bun"), [
    join(ROOT, "tests/_support/adversary/main.ts"),
    `--${transport}`,
    "--faults",
    JSON.stringify(script),
    "--record",
    recordPath,
  ]);
  return {
    uri: child.uri,
    async stop() {
      const { status, stderr } = await child.stop();
      try {
        if (status !== 0) throw new Error(`adversary exited with ${status}: ${stderr}`);
        return readRecord(recordPath);
      } finally {
        rmSync(recordPath, { force: true });
      }
    },
  };
}
