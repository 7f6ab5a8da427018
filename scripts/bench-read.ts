/**
 * Benchmark of `qrng read -o FILE` against a minimal reader of the same stream writing to the
 * same kind of file:
 *
 *   bun scripts/bench-read.ts [SIZE]        (default 1G)
 *
 * Starts `qrng emulate qcicada --tcp 127.0.0.1:0 --rate max --startup-ms 0`, then in the same run
 *  1. the minimal reader (scripts/bench-read-minimal.py, Python 3: START continuous, recv_into
 *     one buffer, write each piece to FILE, STOP; no decoding, no tests, no temporary file);
 *  2. `qrng read SIZE --device tcp://... -o FILE --json` (health tests on, as always: a
 *     temporary file beside FILE, renamed over it at the end);
 * alternately, ROUNDS times, each under /usr/bin/time where available (peak resident memory,
 * CPU seconds; else memory is sampled), FILE in one folder (QRNG_BENCH_DIR, default the system
 * temporary folder) and removed after each run. Prints the median throughputs by the wall clock
 * (process start to exit: what a user waits for) and as each reader timed itself (connecting to
 * the last byte), the wall ratio (target >= 0.9), qrng's largest peak memory (target < 100 MB)
 * and the median CPU seconds per GiB of each, user and system: CPU time barely moves with the
 * machine's other load, the rates do (hence the rounds). Run under each runtime with
 * QRNG_BENCH_RUNNER=deno|bun|binary.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSize } from "../cli/units.ts";
import { emulatorCommand } from "./bench_emulator.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const size = parseSize(process.argv[2] ?? "1G");
const runner = process.env.QRNG_BENCH_RUNNER ?? "bun";
const qrng: string[] = runner === "binary"
  ? [join(ROOT, "dist", "qrng")]
  : runner === "deno"
  ? [join(BIN, "deno"), "run", "--allow-all", "--quiet", join(ROOT, "cli/main.ts")]
  : [join(BIN, "bun"), join(ROOT, "cli/main.ts")];
/** Where both readers write their FILE (removed after each run). */
const folder = mkdtempSync(join(process.env.QRNG_BENCH_DIR ?? tmpdir(), "qrng-bench-read-"));
const file = join(folder, "out.bin");

const [emulatorProgram, ...emulatorArgs] = emulatorCommand("max");
const emulator = spawn(emulatorProgram, emulatorArgs, { stdio: ["ignore", "pipe", "inherit"] });
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
  /** User and system CPU seconds (0 when /usr/bin/time is missing). */
  user: number;
  system: number;
}

const TIMED = existsSync("/usr/bin/time");

/**
 * Runs `args` reading `bytes` into {@link file} (under /usr/bin/time when present), then removes
 * the file; readers print their bytes/s as JSON.
 */
function timed(args: string[], what: string, bytes: number): Promise<Run> {
  const [command, ...rest] = TIMED ? ["/usr/bin/time", "-f", "MAXRSS_KB %M CPU %U %S", ...args] : args;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, rest, { stdio: ["ignore", "pipe", "pipe"] });
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
      rmSync(file, { force: true });
      if (code !== 0) return reject(new Error(`${what} failed (${code}): ${out}`));
      const kb = /MAXRSS_KB (\d+) CPU ([\d.]+) ([\d.]+)/.exec(out);
      const own = /"bytesPerSecond":(\d+)/.exec(out);
      resolve({
        rate: own ? Number(own[1]) : bytes / seconds,
        wall: bytes / seconds,
        peak: kb ? Number(kb[1]) * 1024 : sampled,
        user: kb ? Number(kb[2]) : 0,
        system: kb ? Number(kb[3]) : 0,
      });
    });
  });
}

/** Alternations of the two readers. */
const ROUNDS = Number(process.env.QRNG_BENCH_ROUNDS ?? 3);

/** Bytes of the untimed first run of each reader (fills the runtimes' transpile caches). */
const WARM_UP_BYTES = 16 << 20;

/** The minimal reader (scripts/bench-read-minimal.py). */
const minimalReader = (bytes = size) =>
  timed(
    ["python3", join(ROOT, "scripts/bench-read-minimal.py"), String(port), String(bytes), file],
    "minimal reader",
    bytes,
  );
/** qrng read, health tests on, to FILE. */
const qrngReader = (bytes = size) =>
  timed([...qrng, "read", String(bytes), "--device", uri, "-o", file, "--json"], "qrng read", bytes);

const mb = (n: number) => (n / 1048576).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gib = size / 1073741824;
try {
  const minimal: Run[] = [];
  const ours: Run[] = [];
  await minimalReader(WARM_UP_BYTES);
  await qrngReader(WARM_UP_BYTES);
  for (let round = 0; round < ROUNDS; round++) {
    minimal.push(await minimalReader());
    ours.push(await qrngReader());
  }
  const wall = (xs: Run[]) => median(xs.map((o) => o.wall));
  const ratio = wall(ours) / wall(minimal);
  const peak = Math.max(...ours.map((o) => o.peak));
  const rates = (xs: Run[]) =>
    `${mb(wall(xs))} MiB/s wall (runs ${xs.map((o) => mb(o.wall)).join(", ")}), ${
      mb(median(xs.map((o) => o.rate)))
    } MiB/s own`;
  const cpu = (xs: Run[]) =>
    TIMED
      ? `; CPU s/GiB ${(median(xs.map((o) => o.user + o.system)) / gib).toFixed(2)} ` +
        `(user ${(median(xs.map((o) => o.user)) / gib).toFixed(2)}, system ${
          (median(xs.map((o) => o.system)) / gib).toFixed(2)
        })`
      : "";
  console.log(
    `size:            ${
      mb(size)
    } MiB over ${uri} (emulator --rate max) to ${file}, runner ${runner}, ${ROUNDS} rounds`,
  );
  console.log(`minimal reader:  ${rates(minimal)}${cpu(minimal)}`);
  console.log(`qrng read -o:    ${rates(ours)}${cpu(ours)} (health tests on)`);
  console.log(
    `ratio:           ${ratio.toFixed(2)} of the minimal reader's wall rate (target >= 0.90) ${
      ratio >= 0.9 ? "OK" : "BELOW TARGET"
    }`,
  );
  console.log(
    `peak memory:     ${mb(peak)} MiB (largest of the runs; target < 100 MiB) ${
      peak < 100 * 1048576 ? "OK" : "ABOVE TARGET"
    }`,
  );
} finally {
  emulator.kill("SIGINT");
  rmSync(folder, { recursive: true, force: true });
}
