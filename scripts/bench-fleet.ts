/**
 * Benchmark of a fleet on loopback: one `qrng publish` and four `qrng read` takers against the
 * same NATS client library publishing and taking the same number of blocks without qrng
 * (scripts/bench_fleet_plain.ts: no device, no health gate):
 *
 *   bun scripts/bench-fleet.ts [SIZE]        (default 256M; QRNG_BENCH_ROUNDS, default 3)
 *
 * Starts one `nats-server -js` (temporary store, free port); each round runs, alternately,
 *  1. qrng: `qrng publish --device sim:qcicada --bytes SIZE` with four `qrng read SIZE/4-margin
 *     --device nats://.../STREAM -o /dev/null` at once;
 *  2. plain: the library publishing SIZE in 4 KiB blocks with four takers of as much, each delivery
 *     acknowledged (`ack`, its ordinary at-least-once use) and, as a second reference, first
 *     claimed by erasing it and recording the claim as qrng's takers do (`claim`, the same at-most-once
 *     protocol);
 * each process under /usr/bin/time (peak memory). The throughput of a round is the bytes the
 * takers took over the wall time from the first start to the last exit. Prints the medians,
 * the ratios qrng / plain (target >= 0.8) and the largest peak memory of a qrng publisher and
 * taker (target < 100 MB), beside the plain library's: the peak resident set (what the target
 * counts) and the peak private memory (RssAnon, sampled every 50 ms): the resident set also
 * holds ~40 MB of the Bun executable's own code pages, file-backed and shared by every Bun
 * process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSize } from "../cli/units.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const size = parseSize(process.argv[2] ?? "256M");
const ROUNDS = Number(process.env.QRNG_BENCH_ROUNDS ?? 3);
const TAKERS = 4;
const BLOCK_BYTES = 4096;
/** Each qrng taker reads a little less than its share: its gate keeps back its first and last bytes. */
const TAKER_BYTES = Math.floor((size / TAKERS - 64 * 1024) / BLOCK_BYTES) * BLOCK_BYTES;
const TIMED = existsSync("/usr/bin/time");
const SAMPLE_MS = 50;

const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as { port: number };
    probe.close(() => resolve(port));
  });
});
const store = mkdtempSync(join(tmpdir(), "qrng-bench-fleet-"));
const server = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store], {
  stdio: ["ignore", "ignore", "pipe"],
});
await new Promise<void>((resolve) => {
  let log = "";
  server.stderr!.on("data", (d: Buffer) => {
    log += d;
    if (log.includes("Server is ready")) resolve();
  });
});
const url = `nats://127.0.0.1:${port}`;

/** The process's private resident memory (RssAnon) in bytes, or 0 once it is gone. */
function privateBytes(pid: number): number {
  try {
    return Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The process /usr/bin/time started as `pid`'s child (the measured program), if any yet. */
function measuredPid(pid: number): number | undefined {
  if (!TIMED) return pid;
  try {
    const child = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ")[0];
    return child ? Number(child) : undefined;
  } catch {
    return undefined;
  }
}

/** A process's peak memories in bytes: resident set (max RSS) and private (RssAnon). */
interface Peaks {
  readonly rss: number;
  readonly private: number;
}

/** Starts `args` under /usr/bin/time; resolves its peak memories once it exits 0. */
function run(args: string[]): { child: ChildProcess; peak: Promise<Peaks> } {
  const [command, ...rest] = TIMED ? ["/usr/bin/time", "-f", "MAXRSS_KB %M", ...args] : args;
  const child = spawn(command, rest, { stdio: ["ignore", "ignore", "pipe"], cwd: ROOT });
  let err = "";
  let privatePeak = 0;
  const sampler = setInterval(() => {
    const pid = measuredPid(child.pid!);
    if (pid !== undefined) privatePeak = Math.max(privatePeak, privateBytes(pid));
  }, SAMPLE_MS);
  child.stderr!.on("data", (d: Buffer) => (err += d));
  const peak = new Promise<Peaks>((resolve, reject) => {
    child.on("close", (status) => {
      clearInterval(sampler);
      if (status !== 0) reject(new Error(`${args.join(" ")} exited ${status}:\n${err}`));
      else resolve({ rss: Number(/MAXRSS_KB (\d+)/.exec(err)?.[1] ?? 0) * 1024, private: privatePeak });
    });
  });
  return { child, peak };
}

/** Runs one publisher and four takers at once; resolves bytes/s taken and peak memories. */
async function round(publisher: string[], taker: string[], takenBytes: number) {
  const started = performance.now();
  const pub = run(publisher);
  const takers = Array.from({ length: TAKERS }, () => run(taker));
  const [pubPeak, ...takerPeaks] = await Promise.all([pub.peak, ...takers.map((t) => t.peak)]);
  const seconds = (performance.now() - started) / 1000;
  const takerPeak = {
    rss: Math.max(...takerPeaks.map((p) => p.rss)),
    private: Math.max(...takerPeaks.map((p) => p.private)),
  };
  return { rate: takenBytes / seconds, pubPeak, takerPeak };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const results: Record<"qrng" | "ack" | "claim", { rate: number; pubPeak: Peaks; takerPeak: Peaks }[]> = {
  qrng: [],
  ack: [],
  claim: [],
};
const qrng = [BUN, join(ROOT, "cli/main.ts")];
try {
  for (let i = 0; i < ROUNDS; i++) {
    const stream = `BENCH${i}`;
    results.qrng.push(
      await round(
        [
          ...qrng,
          "publish",
          "--device",
          "sim:qcicada",
          "--to",
          url,
          "--stream",
          stream,
          "--bytes",
          String(size),
        ],
        [...qrng, "read", String(TAKER_BYTES), "--device", `${url}/${stream}`, "-o", "/dev/null"],
        TAKERS * TAKER_BYTES,
      ),
    );
    for (const mode of ["ack", "claim"] as const) {
      const plain = `PLAIN${mode}${i}`;
      results[mode].push(
        await round(
          [BUN, "scripts/bench_fleet_plain.ts", "publish", url, plain, String(size), String(BLOCK_BYTES)],
          [BUN, "scripts/bench_fleet_plain.ts", "take", url, plain, String(TAKER_BYTES), mode],
          TAKERS * TAKER_BYTES,
        ),
      );
    }
    console.error(
      `round ${i + 1}: qrng ${mb(results.qrng[i].rate)} MB/s, plain ack ${
        mb(results.ack[i].rate)
      } MB/s, claim ${mb(results.claim[i].rate)} MB/s`,
    );
  }
} finally {
  server.kill("SIGKILL");
  rmSync(store, { recursive: true, force: true });
}
const rate = (k: keyof typeof results) => median(results[k].map((r) => r.rate));
/** The largest peak of `who` over the rounds of `k`, in MB. */
const peakMB = (k: keyof typeof results, who: "pubPeak" | "takerPeak", kind: keyof Peaks) =>
  Number(mb(Math.max(...results[k].map((r) => r[who][kind]))));
console.log(JSON.stringify({
  bytes: size,
  rounds: ROUNDS,
  qrngMBps: Number(mb(rate("qrng"))),
  plainAckMBps: Number(mb(rate("ack"))),
  plainClaimMBps: Number(mb(rate("claim"))),
  ratioVsAck: Number((rate("qrng") / rate("ack")).toFixed(2)),
  ratioVsClaim: Number((rate("qrng") / rate("claim")).toFixed(2)),
  publisherPeakMB: peakMB("qrng", "pubPeak", "rss"),
  takerPeakMB: peakMB("qrng", "takerPeak", "rss"),
  publisherPrivatePeakMB: peakMB("qrng", "pubPeak", "private"),
  takerPrivatePeakMB: peakMB("qrng", "takerPeak", "private"),
  plainPublisherPeakMB: peakMB("claim", "pubPeak", "rss"),
  plainTakerPeakMB: peakMB("claim", "takerPeak", "rss"),
  plainPublisherPrivatePeakMB: peakMB("claim", "pubPeak", "private"),
  plainTakerPrivatePeakMB: peakMB("claim", "takerPeak", "private"),
}));
