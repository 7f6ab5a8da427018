/**
 * Benchmark of `qrng serve`:
 *
 *   bun scripts/bench-serve.ts [SIZE]        (default 256M per run)
 *
 * Starts `qrng emulate qcicada --tcp 127.0.0.1:0 --rate max --startup-ms 0`, then in the same run
 *  1. `qrng read SIZE --device tcp://... -o /dev/null --json` (the health-gated reader alone);
 *  2. `qrng serve` on that emulator (a Unix socket and HTTP, no per-client rate cap), and 16
 *     consumers in this process reading SIZE between them over the Unix socket (protocol
 *     clients with two reads in flight each; no gate of their own), by the wall clock from the
 *     first request to the last byte;
 * alternately, ROUNDS times; the ratio of the medians (target >= 0.8). Then, with the pool
 * full, 100 concurrent HTTP clients each make sequential `GET /random?bytes=32` requests on
 * kept-alive connections: the p50/p99 latency (target p99 < 5 ms), and the same against the
 * least HTTP server can do (scripts/bench_http_reference.ts, under Bun), which shows what the
 * machine's load allows. Last, the daemon's peak resident memory (VmHWM; target < 100 MB).
 * QRNG_BENCH_RUNNER=deno|bun|binary picks the runtime of both qrng processes (default bun);
 * QRNG_BENCH_RATE the emulator's --rate (default max; a real device's few MB/s shows the other end).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeRead, FRAME, FrameDecoder } from "../cli/protocol/serve_wire.ts";
import { parseSize } from "../cli/units.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const size = parseSize(process.argv[2] ?? "256M");
const runner = process.env.QRNG_BENCH_RUNNER ?? "bun";
const ROUNDS = Number(process.env.QRNG_BENCH_ROUNDS ?? 3);
const RATE = process.env.QRNG_BENCH_RATE ?? "max";
const CONSUMERS = 16;
/** Each consumer's read size (the daemon's default largest request). */
const READ_BYTES = 1 << 20;
const HTTP_CLIENTS = 100;
const HTTP_REQUESTS_EACH = 50;
const qrng: string[] = runner === "binary"
  ? [join(ROOT, "dist", "qrng")]
  : runner === "deno"
  ? [join(BIN, "deno"), "run", "--allow-all", "--quiet", join(ROOT, "cli/main.ts")]
  : [join(BIN, "bun"), join(ROOT, "cli/main.ts")];
const folder = mkdtempSync(join(tmpdir(), "qrng-bench-serve-"));

/** Starts `args`; resolves the child and its first `lines` stdout lines. */
function started(args: string[], lines: number): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(args[0], args.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}`)));
    child.stdout!.on("data", (d: Buffer) => {
      out += d;
      const got = out.split("\n").slice(0, -1);
      if (got.length >= lines) resolve({ child, lines: got });
    });
  });
}

const emulator = await started(
  [
    join(BIN, "bun"),
    join(ROOT, "cli/main.ts"),
    "emulate",
    "qcicada",
    "--tcp",
    "127.0.0.1:0",
    "--rate",
    RATE,
    "--startup-ms",
    "0",
  ],
  2,
);
const device = emulator.lines[0];

/** qrng read's own rate (bytes/s), health tests on. */
function qrngRead(bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(qrng[0], [
      ...qrng.slice(1),
      "read",
      String(bytes),
      "--device",
      device,
      "-o",
      "/dev/null",
      "--json",
    ], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d));
    child.on("exit", (code) => {
      const rate = /"bytesPerSecond":(\d+)/.exec(out);
      if (code !== 0 || !rate) return reject(new Error(`qrng read failed (${code}): ${out}`));
      resolve(Number(rate[1]));
    });
  });
}

/** One consumer: reads `bytes` over the socket at `path`, two reads in flight. */
function consume(path: string, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path });
    const decoder = new FrameDecoder();
    let asked = 0;
    let got = 0;
    const ask = () => {
      const n = Math.min(READ_BYTES, bytes - asked);
      if (n <= 0) return;
      asked += n;
      socket.write(encodeRead(n));
    };
    socket.on("error", reject);
    socket.on("connect", () => (ask(), ask()));
    socket.on("data", (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type === FRAME.error) return reject(new Error(Buffer.from(frame.payload).toString()));
        if (frame.type !== FRAME.data) continue;
        const before = got;
        got += frame.payload.length;
        if (Math.floor(got / READ_BYTES) > Math.floor(before / READ_BYTES)) ask();
      }
      if (got >= bytes) (socket.destroy(), resolve());
    });
  });
}

/** 16 consumers reading `bytes` between them; resolves bytes/s by the wall clock. */
async function consumers(path: string, bytes: number): Promise<number> {
  const began = performance.now();
  await Promise.all(Array.from({ length: CONSUMERS }, () => consume(path, Math.floor(bytes / CONSUMERS))));
  return (Math.floor(bytes / CONSUMERS) * CONSUMERS) / ((performance.now() - began) / 1000);
}

function get(agent: http.Agent, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("latin1");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

/** Latencies (ms) of 100 clients' sequential 32-byte requests. */
async function httpLatencies(base: string): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: HTTP_CLIENTS });
  const latencies: number[] = [];
  await Promise.all(Array.from({ length: HTTP_CLIENTS }, async () => {
    for (let i = 0; i < HTTP_REQUESTS_EACH; i++) {
      const began = performance.now();
      const answer = await get(agent, `${base}/random?bytes=32`);
      latencies.push(performance.now() - began);
      if (answer.status !== 200 || answer.body.length !== 32) {
        throw new Error(`HTTP ${answer.status}: ${answer.body}`);
      }
    }
  }));
  agent.destroy();
  return latencies;
}

const mb = (n: number) => (n / 1048576).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const socketPath = join(folder, "qrng.sock");
let daemon: ChildProcess | undefined;
try {
  const served = await started([
    ...qrng,
    "serve",
    "--device",
    device,
    "--unix",
    socketPath,
    "--http",
    "127.0.0.1:0",
    "--client-rate",
    "max",
  ], 2);
  daemon = served.child;
  const base = served.lines.find((l) => l.startsWith("http:"))!;
  const reads: number[] = [];
  const serves: number[] = [];
  await qrngRead(16 << 20); // warm-up: transpile caches
  await consumers(socketPath, 16 << 20);
  for (let round = 0; round < ROUNDS; round++) {
    reads.push(await qrngRead(size));
    serves.push(await consumers(socketPath, size));
  }
  // The pool full again before the latency run.
  for (;;) {
    const health = JSON.parse((await get(new http.Agent(), `${base}/health`)).body);
    if (health.poolBytes >= health.poolCapacityBytes - (1 << 20)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const latencies = await httpLatencies(base);
  const reference = await started([join(BIN, "bun"), join(ROOT, "scripts/bench_http_reference.ts")], 1);
  const referenceLatencies = await httpLatencies(reference.lines[0]).finally(() => reference.child.kill());
  const peak = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, "utf8"))?.[1] ?? 0) *
    1024;
  const ratio = median(serves) / median(reads);
  const p99 = quantile(latencies, 0.99);
  const runs = (xs: number[]) => xs.map(mb).join(", ");
  console.log(
    `size:            ${
      mb(size)
    } MiB per run from ${device} (emulator --rate ${RATE}), runner ${runner}, ${ROUNDS} rounds`,
  );
  console.log(`qrng read:       ${mb(median(reads))} MiB/s (runs ${runs(reads)})`);
  console.log(`16 consumers:    ${mb(median(serves))} MiB/s over the Unix socket (runs ${runs(serves)})`);
  console.log(
    `ratio:           ${ratio.toFixed(2)} of qrng read's rate (target >= 0.80) ${
      ratio >= 0.8 ? "OK" : "BELOW TARGET"
    }`,
  );
  console.log(
    `HTTP 32 bytes:   p50 ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${
      p99.toFixed(2)
    } ms over ${latencies.length} requests ` +
      `from ${HTTP_CLIENTS} concurrent clients (target p99 < 5 ms) ${p99 < 5 ? "OK" : "ABOVE TARGET"}`,
  );
  console.log(
    `HTTP reference:  p50 ${quantile(referenceLatencies, 0.5).toFixed(2)} ms, p99 ${
      quantile(referenceLatencies, 0.99).toFixed(2)
    } ms ` +
      `(a bare node:http server answering 32 random bytes, the same clients)`,
  );
  console.log(
    `daemon memory:   ${mb(peak)} MiB peak resident (target < 100 MiB) ${
      peak < 100 * 1048576 ? "OK" : "ABOVE TARGET"
    }`,
  );
} finally {
  daemon?.kill("SIGTERM");
  emulator.child.kill("SIGINT");
  rmSync(folder, { recursive: true, force: true });
}
