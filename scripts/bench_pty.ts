/**
 * Throughput of the FFI serial port over a pseudo-terminal, under Deno and Bun: how fast the
 * cooperative, non-blocking transports move bytes when nothing else limits them. Both ends run
 * in one process (as an emulator and a driver do in tests), so the number includes the event
 * loop sharing. Prints MB/s and the ratio to the fastest real line it will carry (a QCicada
 * behind FTDI at 1,000,000 baud delivers at most 100,000 bytes/s).
 *
 *     bun scripts/bench_pty.ts            # runs itself under deno and bun, prints a table
 *     bun scripts/bench_pty.ts --measure  # one measurement in this runtime, as JSON
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadLibc } from "../cli/runtime/load_libc.ts";
import { openPty } from "../cli/transports/pty.ts";
import { openSerial } from "../cli/transports/serial.ts";
import type { Transport } from "../cli/transports/transport.ts";

/** Bytes moved per direction. */
const TRANSFER_BYTES = 16 << 20;
/** Bytes per round trip in the echo test (a command-sized exchange). */
const ECHO_BYTES = 64;
const ECHO_ROUNDS = 2000;
/** QCicada's FTDI line at 1,000,000 baud 8N1: 100,000 bytes/s at most. */
const QCICADA_BYTES_PER_S = 100_000;

async function drain(transport: Transport, length: number, chunk = 65536): Promise<void> {
  const buffer = new Uint8Array(chunk);
  for (let got = 0; got < length;) {
    const count = await transport.read(buffer.subarray(0, Math.min(chunk, length - got)), 5000);
    if (count === 0) throw new Error(`stalled after ${got} bytes`);
    got += count;
  }
}

async function measure() {
  const runtime = (globalThis as { Deno?: unknown }).Deno ? "deno" : "bun";
  const library = await loadLibc(runtime);
  const master = await openPty(library);
  const port = await openSerial(library, master.slavePath, { baud: 1_000_000 });
  const data = new Uint8Array(TRANSFER_BYTES).map((_, i) => (i * 131) & 0xff);
  const oneWay = async (from: Transport, to: Transport) => {
    const start = performance.now();
    await Promise.all([from.write(data), drain(to, data.length)]);
    return data.length / ((performance.now() - start) / 1000);
  };
  const toHost = await oneWay(master, port);
  const toDevice = await oneWay(port, master);
  // Command-sized round trips: host writes 64 bytes, the "device" echoes them back.
  const request = data.subarray(0, ECHO_BYTES);
  const echo = new Uint8Array(ECHO_BYTES);
  const start = performance.now();
  for (let i = 0; i < ECHO_ROUNDS; i++) {
    await port.write(request);
    let got = 0;
    while (got < ECHO_BYTES) got += await master.read(echo.subarray(got), 1000);
    await master.write(echo);
    await drain(port, ECHO_BYTES);
  }
  const roundTripUs = ((performance.now() - start) * 1000) / ECHO_ROUNDS;
  await port.close();
  await master.close();
  return { runtime, toHost, toDevice, roundTripUs };
}

if (process.argv.includes("--measure")) {
  console.log(JSON.stringify(await measure()));
} else {
  const self = fileURLToPath(import.meta.url);
  const bin = fileURLToPath(new URL("../node_modules/.bin/", import.meta.url));
  console.log(
    `pty throughput, ${TRANSFER_BYTES >> 20} MiB each way; ${ECHO_ROUNDS} round trips of ${ECHO_BYTES} bytes`,
  );
  console.log("runtime  device->host MB/s (x QCicada)  host->device MB/s (x QCicada)  round trip us");
  for (
    const [name, args] of [["deno", ["run", "-A", self, "--measure"]], ["bun", [self, "--measure"]]] as const
  ) {
    const result = spawnSync(`${bin}${name}`, [...args], { encoding: "utf8" });
    if (result.status !== 0) {
      console.log(`${name.padEnd(7)}  failed: ${result.stderr.trim().split("\n")[0]}`);
      continue;
    }
    const r = JSON.parse(result.stdout);
    const cell = (bps: number) =>
      `${(bps / 1e6).toFixed(1).padStart(6)} (x${Math.round(bps / QCICADA_BYTES_PER_S)})`.padEnd(29);
    console.log(
      `${name.padEnd(7)}  ${cell(r.toHost)}  ${cell(r.toDevice)}  ${r.roundTripUs.toFixed(0).padStart(13)}`,
    );
  }
}
