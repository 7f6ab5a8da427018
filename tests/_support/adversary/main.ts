/**
 * The adversarial device as a process (ptys need FFI, which Node and so vitest lack):
 *
 *   bun tests/_support/adversary/main.ts --serial|--tcp|--udp|--tcpudp [--faults JSON] [--record FILE]
 *
 * Prints the device URI on the first stdout line, as `qrng emulate` does, and serves until
 * SIGINT or SIGTERM; then writes what it sent to FILE (record.ts) and exits 0. A bad argument
 * or script is one line on stderr and exit 2; a device failure, its message and exit 1.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { loadLibc } from "../../../cli/runtime/load_libc.ts";
import { ADVERSARY_TRANSPORTS, startAdversary } from "./device.ts";
import { writeRecord } from "./record.ts";
import { parseFaultScript } from "./script.ts";

const runtime = (globalThis as { Deno?: unknown }).Deno ? "deno" : "bun";

function usage(message: string): never {
  process.stderr.write(`adversary: ${message}\n`);
  process.exit(2);
}

let values;
try {
  values = parseArgs({
    options: {
      serial: { type: "boolean" },
      tcp: { type: "boolean" },
      udp: { type: "boolean" },
      tcpudp: { type: "boolean" },
      faults: { type: "string", default: "{}" },
      record: { type: "string" },
    },
  }).values;
} catch (error) {
  usage((error as Error).message);
}
const chosen = ADVERSARY_TRANSPORTS.filter((t) => values[t]);
if (chosen.length !== 1) usage(`choose one of ${ADVERSARY_TRANSPORTS.map((t) => `--${t}`).join(", ")}`);
let script;
try {
  script = parseFaultScript(values.faults!);
} catch (error) {
  usage((error as Error).message);
}
const transport = chosen[0];
const device = await startAdversary(
  transport,
  script,
  transport === "serial" ? await loadLibc(runtime) : undefined,
);
process.stdout.write(`${device.uri}\n`);

let ending = false;
const end = async () => {
  if (ending) return;
  ending = true;
  try {
    const record = await device.stop();
    if (values.record) writeRecord(values.record, record);
    process.exit(0);
  } catch (error) {
    process.stderr.write(`adversary: ${(error as Error).message}\n`);
    process.exit(1);
  }
};
process.on("SIGINT", end);
process.on("SIGTERM", end);
