/**
 * The emulated QCicada the benchmarks read: `qrng emulate qcicada` on loopback TCP, no startup
 * test, at the rate asked for ("max": as fast as the reader takes).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The command (program and arguments) that starts the emulator; it prints its URI first. */
export function emulatorCommand(rate: string): string[] {
  return [
    join(ROOT, "node_modules", ".bin", "bun"),
    join(ROOT, "cli/main.ts"),
    "emulate",
    "qcicada",
    "--tcp",
    "127.0.0.1:0",
    "--rate",
    rate,
    "--startup-ms",
    "0",
  ];
}
