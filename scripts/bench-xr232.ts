/**
 * XR232 benchmarks: prints ratios, asserts nothing (tests do not time things).
 *
 *   bun scripts/bench-xr232.ts [--seconds S]
 *
 * 1. Model speed: the XR232USB firmware model with a host asking at 230400 baud, model seconds
 *    per wall second (target >= 100x real time), and the bare sampling loop.
 * 2. Driver throughput: `qrng emulate xr232usb --serial` in a child process (Bun), the XR232
 *    driver in this process reading from the pty at 230400 baud; bytes per second from the
 *    first byte on, against the line's 23,040 bytes/s (target >= 95 %).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runTimeline } from "../cli/emulators/xr232_timeline.ts";
import { Xr232Reader } from "../cli/devices/xr232_reader.ts";
import { openSerial } from "../cli/transports/serial.ts";
import { loadLibc } from "../cli/runtime/load_libc.ts";
import { Xr232Model } from "../wasm/xr232.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const secondsArg = process.argv.indexOf("--seconds");
const DRIVER_SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 5;
const BAUD = 230_400;

// 1. model
{
  const modelSeconds = 30;
  const model = new Xr232Model(1n, {}, [{ startS: 10, durationS: 0.04 }]);
  let bytes = 0;
  const t0 = performance.now();
  await runTimeline(model, modelSeconds, BAUD, (b) => void (bytes += b.length));
  const wall = (performance.now() - t0) / 1000;
  console.log(
    `model, host at ${BAUD} baud: ${modelSeconds} model s in ${wall.toFixed(3)} s wall = ${
      (modelSeconds / wall).toFixed(0)
    }x real time ` +
      `(${bytes} bytes served, ${model.stats().refreshes} pool refreshes)`,
  );
  const bare = new Xr232Model(2n);
  const t1 = performance.now();
  bare.advance(modelSeconds);
  const wall1 = (performance.now() - t1) / 1000;
  const s = bare.stats();
  console.log(
    `model, sampling only: ${modelSeconds} model s in ${wall1.toFixed(3)} s wall = ${
      (modelSeconds / wall1).toFixed(0)
    }x real time ` +
      `(${(s.pulses / wall1 / 1e6).toFixed(1)} M pulses/s)`,
  );
}

// 2. driver through the emulator on a pty
{
  const bun = `${ROOT}node_modules/.bin/bun`;
  const child = spawn(bun, [`${ROOT}cli/main.ts`, "emulate", "xr232usb", "--serial", "--seed", "5"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const uri = await new Promise<string>((resolve) => {
    let text = "";
    child.stdout!.on("data", (c: Buffer) => {
      text += c.toString();
      if (text.includes("\n")) resolve(text.split("\n")[0]);
    });
  });
  try {
    const libc = await loadLibc("bun");
    const port = await openSerial(libc, uri.slice("xr232:".length), { baud: BAUD, flowControl: "rtscts" });
    const reader = new Xr232Reader(port, {
      baud: BAUD,
      now: () => performance.now(),
      log: (l) => console.error(l),
    });
    const first = new Uint8Array(1);
    await reader.readInto(first); // after the reset's cold start
    const t0 = performance.now();
    const buffer = new Uint8Array(4096);
    let total = 0;
    while (performance.now() - t0 < DRIVER_SECONDS * 1000) {
      await reader.readInto(buffer);
      total += buffer.length;
    }
    const wall = (performance.now() - t0) / 1000;
    const line = BAUD / 10;
    console.log(
      `driver at ${BAUD} baud over a pty: ${total} bytes in ${wall.toFixed(2)} s = ${
        (total / wall).toFixed(0)
      } bytes/s, ` +
        `${((100 * total) / wall / line).toFixed(1)} % of the line's ${line} bytes/s`,
    );
    await port.close();
  } finally {
    child.kill("SIGINT");
  }
}
