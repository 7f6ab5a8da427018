/**
 * Benchmark of `qrng read` against the plainest possible reader of the same stream:
 *
 *   bun scripts/bench-read.ts [SIZE]        (default 1G)
 *
 * Starts `qrng emulate qcicada --tcp 127.0.0.1:0 --rate max`, then in the same run
 *  1. a plain socket reader: START continuous, count SIZE bytes, STOP (no decoding, no tests);
 *  2. `qrng read SIZE --device tcp://... --json` (health tests on, as always) with stdout to
 *     /dev/null, its peak resident memory measured by /usr/bin/time where available (else
 *     sampled);
 * alternately, ROUNDS times, and prints the median throughputs and their ratio (target ≥ 0.8)
 * and qrng's largest peak memory (target < 100 MB). qrng's rate is its own (from connecting to
 * the last byte, as `--json` reports it), like the in-process plain reader's; the wall-clock
 * rate including process start is shown too. The machine's other load makes single runs
 * noisy, hence the rounds. Run under each runtime with QRNG_BENCH_RUNNER=deno|bun|binary.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSize } from "../cli/units.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const size = parseSize(process.argv[2] ?? "1G");
const runner = process.env.QRNG_BENCH_RUNNER ?? "bun";
const qrng: string[] = runner === "deno"
  ? [join(BIN, "deno"), "run", "--allow-all", "--quiet", join(ROOT, "cli/main.ts")]
  : runner === "binary"
  ? [join(ROOT, "dist", "qrng")]
  : [join(BIN, "bun"), join(ROOT, "cli/main.ts")];

const emulator = spawn(join(BIN, "bun"), [join(ROOT, "cli/main.ts"), "emulate", "qcicada", "--tcp", "127.0.0.1:0", "--rate", "max"], {
  stdio: ["ignore", "pipe", "inherit"],
});
const uri = await new Promise<string>((resolve) => {
  let out = "";
  emulator.stdout!.on("data", (d: Buffer) => {
    out += d;
    if (out.includes("\n")) resolve(out.split("\n")[0]);
  });
});
const port = Number(uri.split(":").at(-1));

/** Reads `size` bytes of continuous data over a bare socket; resolves bytes/s. */
function plainReader(): Promise<number> {
  return new Promise((resolve) => {
    let got = -6; // the ACK and status before the data
    let started = 0;
    const socket = connect(port, "127.0.0.1", () => {
      started = performance.now();
      socket.write(Buffer.from([0x04, 0, 0, 0]));
    });
    socket.on("data", (d: Buffer) => {
      if (got === -6 && d[0] === 0x12) return void setTimeout(() => socket.write(Buffer.from([0x04, 0, 0, 0])), 50);
      got += d.length;
      if (got >= size) {
        const rate = size / ((performance.now() - started) / 1000);
        socket.write(Buffer.from([0x05]));
        setTimeout(() => {
          socket.destroy();
          resolve(rate);
        }, 200);
        socket.removeAllListeners("data");
      }
    });
  });
}

/** Alternations of the two readers. */
const ROUNDS = Number(process.env.QRNG_BENCH_ROUNDS ?? 3);

/** Runs qrng read; resolves its own and the wall-clock bytes/s and peak RSS in bytes. */
function qrngReader(): Promise<{ rate: number; wall: number; peak: number }> {
  const timed = existsSync("/usr/bin/time");
  const args = [...qrng, "read", String(size), "--device", uri, "--json"];
  const [command, ...rest] = timed ? ["/usr/bin/time", "-f", "MAXRSS_KB %M", ...args] : args;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, rest, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    let sampled = 0;
    const sampler = setInterval(() => {
      try {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0);
        sampled = Math.max(sampled, kb * 1024);
      } catch { /* exited */ }
    }, 100);
    child.stderr!.on("data", (d: Buffer) => (err += d));
    child.on("exit", (code) => {
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`qrng read failed (${code}): ${err}`));
      const kb = /MAXRSS_KB (\d+)/.exec(err);
      const own = /"bytesPerSecond":(\d+)/.exec(err);
      resolve({ rate: own ? Number(own[1]) : size / seconds, wall: size / seconds, peak: kb ? Number(kb[1]) * 1024 : sampled });
    });
  });
}

const mb = (n: number) => (n / 1048576).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const plain: number[] = [];
  const ours: Array<{ rate: number; wall: number; peak: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(await plainReader());
    ours.push(await qrngReader());
  }
  const p = median(plain);
  const q = median(ours.map((o) => o.rate));
  const peak = Math.max(...ours.map((o) => o.peak));
  const ratio = q / p;
  console.log(`size:          ${mb(size)} MiB over ${uri} (emulator --rate max), runner ${runner}, ${ROUNDS} rounds`);
  console.log(`plain socket:  ${mb(p)} MiB/s (median; runs ${plain.map(mb).join(", ")})`);
  console.log(`qrng read:     ${mb(q)} MiB/s (median, health tests on; runs ${ours.map((o) => mb(o.rate)).join(", ")})`);
  console.log(`  wall clock:  ${mb(median(ours.map((o) => o.wall)))} MiB/s including process start`);
  console.log(`ratio:         ${ratio.toFixed(2)} (target >= 0.80) ${ratio >= 0.8 ? "OK" : "BELOW TARGET"}`);
  console.log(`peak memory:   ${mb(peak)} MiB (largest of the runs; target < 100 MiB) ${peak < 100 * 1048576 ? "OK" : "ABOVE TARGET"}`);
} finally {
  emulator.kill("SIGINT");
}
