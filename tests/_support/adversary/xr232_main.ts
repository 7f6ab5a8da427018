/**
 * The misbehaving XR232 on a real pseudo-terminal, as a Bun child process (ptys need FFI, which
 * vitest's Node lacks). Prints the device URI (`xr232:/dev/pts/N`) as its first stdout line,
 * serves until SIGINT or SIGTERM, and appends every byte it sends to the host to the record
 * file as it sends it.
 *
 *   bun tests/_support/adversary/xr232_main.ts --kind xr232usb|xr232 --seed N --faults SCRIPT --record FILE
 */
import { closeSync, openSync, writeSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { serveXr232OnPty } from "../../../cli/emulators/xr232_pty.ts";
import { loadLibc } from "../../../cli/runtime/load_libc.ts";
import { openPty } from "../../../cli/transports/pty.ts";
import { FaultyXr232, parseXr232Faults } from "./xr232_device.ts";

const { values } = parseArgs({
  options: {
    kind: { type: "string", default: "xr232usb" },
    seed: { type: "string", default: "1" },
    faults: { type: "string", default: "" },
    record: { type: "string" },
  },
});
if (values.kind !== "xr232usb" && values.kind !== "xr232") throw new Error(`no XR232 kind '${values.kind}'`);
if (!values.record) throw new Error("give --record FILE");

const device = new FaultyXr232(values.kind, parseXr232Faults(values.faults), { seed: BigInt(values.seed) });
const pty = await openPty(await loadLibc("bun"));
const record = openSync(values.record, "w");
let stopped = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => (stopped = true));
process.stdout.write(`xr232:${pty.slavePath}\n`);
try {
  await serveXr232OnPty(pty, device, {
    now: () => performance.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    stopped: () => stopped,
    log: (line) => process.stderr.write(`adversary: ${line}\n`),
    onSend: (bytes) => void writeSync(record, bytes),
  });
} finally {
  await pty.close();
  closeSync(record);
}
