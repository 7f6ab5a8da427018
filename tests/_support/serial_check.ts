/**
 * Exercises the FFI serial port and pty for real, under whichever runtime runs this file
 * (Deno or Bun; Node has no FFI): tests/serial_ffi.test.ts runs it under both as a child
 * process and checks the observations it prints as one JSON object on stdout. It records what
 * happened, not verdicts: the expectations live in the test.
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { QrngError } from "../../cli/errors.ts";
import { loadLibc } from "../../cli/runtime/load_libc.ts";
import { openPty, type PtyMaster } from "../../cli/transports/pty.ts";
import { openSerial, type SerialPort } from "../../cli/transports/serial.ts";
import type { Transport } from "../../cli/transports/transport.ts";

const runtime = (globalThis as { Deno?: unknown }).Deno ? "deno" : "bun";
const library = await loadLibc(runtime);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A deterministic byte pattern (xorshift32), so a transfer can be checked byte for byte. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Reads exactly `length` bytes (or what came before `idleMs` of silence). */
async function readAll(transport: Transport, length: number, idleMs = 2000): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const count = await transport.read(out.subarray(filled, Math.min(length, filled + 65536)), idleMs);
    if (count === 0) break;
    filled += count;
  }
  return out.subarray(0, filled);
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

async function failure(action: () => Promise<unknown>) {
  try {
    await action();
    return { threw: false };
  } catch (error) {
    return {
      threw: true,
      isQrngError: error instanceof QrngError,
      kind: (error as QrngError).kind,
      message: (error as Error).message,
    };
  }
}

const observed: Record<string, unknown> = { runtime, os: library.os };
const master: PtyMaster = await openPty(library);
observed.slavePath = master.slavePath;
observed.openBeforeHost = master.slaveOpen();

// Line settings as the master sees them: standard rates and one that needs BOTHER.
const SPEED_CASES = [[230400, "rtscts"], [1200, "none"], [1000000, "none"], [250000, "none"]] as const;
const speeds = [];
for (
  const [baud, flowControl] of SPEED_CASES
) {
  const port = await openSerial(library, master.slavePath, { baud, flowControl });
  const seen = master.settings();
  // stty, a reference tool, reads the same slave independently (root bypasses TIOCEXCL).
  const stty = spawnSync("stty", ["-F", master.slavePath, "-a"], { encoding: "utf8" });
  speeds.push({
    baud,
    flowControl,
    seen,
    portBaud: port.baud,
    description: port.description,
    stty: stty.stdout,
    sttyError: stty.stderr.trim(),
  });
  await port.close();
}
observed.speeds = speeds;

let port: SerialPort = await openSerial(library, master.slavePath, { baud: 1000000 });
observed.openWithHost = master.slaveOpen();
// The port is exclusive (TIOCEXCL): a second open fails, except for root, whom Linux lets in.
observed.root = process.getuid?.() === 0;
observed.secondOpen = await failure(async () =>
  (await openSerial(library, master.slavePath, { baud: 9600 })).close()
);
observed.cts = port.cts() ?? "undefined";
await port.setBaud(57600);
observed.afterSetBaud = { port: port.baud, seen: master.settings().baud };

// Small round trips both ways.
await port.write(new TextEncoder().encode("hello master"));
observed.hostToMaster = text(await readAll(master, 12));
await master.write(new TextEncoder().encode("hello host"));
observed.masterToHost = text(await readAll(port, 10));

// Timeouts with nothing to read resolve 0.
const buffer = new Uint8Array(64);
observed.hostTimeoutRead = await port.read(buffer, 30);
observed.masterTimeoutRead = await master.read(buffer, 30);

// 1 MiB each way, both ends in this process, checked byte for byte.
const MIB = 1 << 20;
const down = pattern(MIB, 1);
const [, received] = await Promise.all([master.write(down), readAll(port, MIB)]);
observed.mibToHost = { length: received.length, equal: equal(received, down) };
const up = pattern(MIB, 2);
const [, got] = await Promise.all([port.write(up), readAll(master, MIB)]);
observed.mibToMaster = { length: got.length, equal: equal(got, up) };

// discardInput drops what arrived before it, keeps what comes after.
await master.write(new TextEncoder().encode("stale"));
await sleep(20);
await port.discardInput();
await master.write(new TextEncoder().encode("fresh"));
observed.afterDiscard = text(await readAll(port, 5, 200));
await port.write(new TextEncoder().encode("old"));
await sleep(20);
await master.discardInput();
await port.write(new TextEncoder().encode("new"));
observed.masterAfterDiscard = text(await readAll(master, 3, 200));

// A pending read resolves 0 when the port is closed under it; a write stuck because nobody
// reads the other end rejects.
const pending = port.read(buffer, 5000);
const stuck = failure(() => port.write(new Uint8Array(4 << 20)));
await sleep(20);
await port.close();
observed.pendingReadAfterClose = await pending;
observed.stuckWriteAfterClose = await stuck;
await master.discardInput();
observed.readAfterClose = await port.read(buffer, 10);
await port.close(); // twice is harmless
observed.openAfterHostClosed = master.slaveOpen();
observed.opensBefore = master.opens;

// Bytes the emulator sends while nobody has the port open are lost; then reopen works.
await master.write(new TextEncoder().encode("lost"));
port = await openSerial(library, master.slavePath, { baud: 115200, flowControl: "rtscts" });
observed.reopened = { open: master.slaveOpen(), opens: master.opens, seen: master.settings() };
observed.readAfterReopen = await port.read(buffer, 50);
await master.write(new TextEncoder().encode("again"));
observed.roundTripAfterReopen = text(await readAll(port, 5));

// SerialPort.reopen closes and opens the same path again; an emulator reading meanwhile sees it.
const watching = master.read(new Uint8Array(16), 150);
await port.reopen();
observed.watchingRead = await watching;
observed.afterPortReopen = { open: master.slaveOpen(), opens: master.opens };
await port.write(new TextEncoder().encode("after reset"));
observed.roundTripAfterPortReopen = text(await readAll(master, 11));

// Errors: one-line QrngErrors.
observed.missingPath = await failure(() => openSerial(library, "/dev/qrng-no-such-port", { baud: 9600 }));
observed.notATty = await failure(() => openSerial(library, "/dev/null", { baud: 9600 }));
observed.badBaud = await failure(() => openSerial(library, master.slavePath, { baud: -5 }));

// The master going away disconnects the host.
await master.close();
observed.readAfterMasterClosed = await failure(() => port.read(buffer, 200));
observed.writeAfterMasterClosed = await failure(() => port.write(new Uint8Array(4096 * 64)));
await port.close();

console.log(JSON.stringify(observed));
