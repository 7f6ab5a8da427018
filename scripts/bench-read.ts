/**
 * Benchmark of `qrng read` against the plainest possible reader of the same stream, both in
 * the runtime under test:
 *
 *   bun scripts/bench-read.ts [SIZE]        (default 1G)
 *
 * Starts `qrng emulate qcicada --tcp 127.0.0.1:0 --rate max`, then in the same run
 *  1. the plain reader (scripts/bench-read-plain.ts, same runtime: Deno for deno, Bun for bun
 *     and the compiled binary, over the runtime's node:net): START continuous, count SIZE
 *     bytes, STOP (no decoding, no tests, no output);
 *  2. `qrng read SIZE --device tcp://... --json` (health tests on, as always) with stdout to
 *     /dev/null;
 * alternately, ROUNDS times, each under /usr/bin/time where available (peak resident memory,
 * CPU seconds; else memory is sampled). Prints the median throughputs (each reader's own, from
 * connecting to the last byte), their ratio (target ≥ 0.8), qrng's largest peak memory
 * (target < 100 MB) beside the plain reader's (what the runtime itself takes), and the CPU
 * seconds per GiB of each: CPU time barely moves with the machine's other load, the rates do
 * (hence the rounds). Run under each runtime with QRNG_BENCH_RUNNER=deno|bun|binary.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSize } from "../cli/units.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const size = parseSize(process.argv[2] ?? "1G");
const runner = process.env.QRNG_BENCH_RUNNER ?? "bun";
/** The runtime of the runner (the binary is Bun's). */
const runtime: string[] = runner === "deno" ? [join(BIN, "deno"), "run", "--allow-all", "--quiet"] : [join(BIN, "bun")];
const qrng: string[] = runner === "binary" ? [join(ROOT, "dist", "qrng")] : [...runtime, join(ROOT, "cli/main.ts")];

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

/** What one timed run measured. */
interface Run {
  /** bytes/s as the reader itself timed it (connect to last byte). */
  rate: number;
  /** bytes/s by the wall clock, process start included. */
  wall: number;
  /** Peak resident memory in bytes. */
  peak: number;
  /** User + system CPU seconds (0 when /usr/bin/time is missing). */
  cpu: number;
}

const TIMED = existsSync("/usr/bin/time");

/**
 * Runs `args` reading `bytes` (under /usr/bin/time when present); readers print their bytes/s
 * as JSON (qrng on stderr: its stdout, the data, goes to /dev/null when `stdout` is "ignore").
 */
function timed(args: string[], what: string, bytes: number, stdout: "pipe" | "ignore"): Promise<Run> {
  const [command, ...rest] = TIMED ? ["/usr/bin/time", "-f", "MAXRSS_KB %M CPU %U %S", ...args] : args;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, rest, { stdio: ["ignore", stdout, "pipe"] });
    let out = "";
    let sampled = 0;
    const sampler = setInterval(() => {
      try {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0);
        sampled = Math.max(sampled, kb * 1024);
      } catch { /* exited */ }
    }, 100);
    child.stdout?.on("data", (d: Buffer) => (out += d));
    child.stderr!.on("data", (d: Buffer) => (out += d));
    child.on("exit", (code) => {
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`${what} failed (${code}): ${out}`));
      const kb = /MAXRSS_KB (\d+) CPU ([\d.]+) ([\d.]+)/.exec(out);
      const own = /"bytesPerSecond":(\d+)/.exec(out);
      resolve({
        rate: own ? Number(own[1]) : bytes / seconds,
        wall: bytes / seconds,
        peak: kb ? Number(kb[1]) * 1024 : sampled,
        cpu: kb ? Number(kb[2]) + Number(kb[3]) : 0,
      });
    });
  });
}

/** Alternations of the two readers. */
const ROUNDS = Number(process.env.QRNG_BENCH_ROUNDS ?? 3);

/** Bytes of the untimed first run of each reader (fills the runtimes' transpile caches). */
const WARM_UP_BYTES = 16 << 20;

/** The plain reader (scripts/bench-read-plain.ts) in the runtime under test. */
const plainReader = (bytes = size) =>
  timed([...runtime, join(ROOT, "scripts/bench-read-plain.ts"), String(port), String(bytes)], "plain reader", bytes, "pipe");
/** qrng read, health tests on, output to /dev/null. */
const qrngReader = (bytes = size) => timed([...qrng, "read", String(bytes), "--device", uri, "--json"], "qrng read", bytes, "ignore");

const mb = (n: number) => (n / 1048576).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gib = size / 1073741824;
try {
  const plain: Run[] = [];
  const ours: Run[] = [];
  await plainReader(WARM_UP_BYTES);
  await qrngReader(WARM_UP_BYTES);
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(await plainReader());
    ours.push(await qrngReader());
  }
  const p = median(plain.map((o) => o.rate));
  const q = median(ours.map((o) => o.rate));
  const peak = Math.max(...ours.map((o) => o.peak));
  const ratio = q / p;
  const runs = (xs: Run[]) => xs.map((o) => mb(o.rate)).join(", ");
  const cpu = (xs: Run[]) => TIMED ? `, ${(median(xs.map((o) => o.cpu)) / gib).toFixed(2)} CPU s/GiB` : "";
  console.log(`size:          ${mb(size)} MiB over ${uri} (emulator --rate max), runner ${runner}, ${ROUNDS} rounds`);
  console.log(`plain socket:  ${mb(p)} MiB/s (median; runs ${runs(plain)}) in ${runner === "deno" ? "Deno" : "Bun"}${cpu(plain)}`);
  console.log(`  its memory:  ${mb(Math.max(...plain.map((o) => o.peak)))} MiB peak (the runtime's own floor)`);
  console.log(`qrng read:     ${mb(q)} MiB/s (median, health tests on; runs ${runs(ours)})${cpu(ours)}`);
  console.log(`  wall clock:  ${mb(median(ours.map((o) => o.wall)))} MiB/s including process start`);
  console.log(`ratio:         ${ratio.toFixed(2)} (target >= 0.80) ${ratio >= 0.8 ? "OK" : "BELOW TARGET"}`);
  console.log(`peak memory:   ${mb(peak)} MiB (largest of the runs; target < 100 MiB) ${peak < 100 * 1048576 ? "OK" : "ABOVE TARGET"}`);
} finally {
  emulator.kill("SIGINT");
}
