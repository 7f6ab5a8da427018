/**
 * The acceptance test of `qrng serve` (issue 9): 16 concurrent consumers, Unix socket, TCP and
 * HTTP mixed, some of them `qrng read` processes SIGKILLed mid-read, over a thousand connect /
 * disconnect cycles, against a daemon reading a seeded emulator over TCP that is killed and
 * restarted (with another seed) mid-run. Across all consumers' outputs: no 32-byte chunk twice,
 * no stretch of the device's stream served twice, every byte from the emulators' streams
 * (regenerated here), and the daemon's own counters reconcile.
 */
import { Buffer } from "node:buffer";
import * as net from "node:net";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { encodeRead, FRAME, FrameDecoder } from "../cli/protocol/serve_wire.ts";
import { binaryBuilt, type CliChild, RUNNERS, spawnCli } from "./_support/cli.ts";
import { type RunningEmulator, startEmulator } from "./_support/qcicada_emulator.ts";
import {
  connectionOptions,
  emulatorStream,
  httpGet,
  locate,
  LOCATE_SLACK_BYTES,
  type Piece,
  placeFragments,
  type RunningDaemon,
  startDaemon,
} from "./_support/serve_daemon.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const SEEDS = [71, 72];
/** The emulator's rate in bytes/s: bounds how much of its stream the test regenerates. */
const EMULATOR_RATE_BYTES_PER_S = 4 << 20;
/** Connect/disconnect cycles the in-process consumers make at least, in all. */
const CYCLES = 1000;
/** How long each half of the run (before and after the emulator's restart) lasts at least. */
const PHASE_MS = 3000;

const dir = testTempDir("qrng-serve-acceptance");
const runner = RUNNERS.find((r) => r.name === (binaryBuilt ? "binary" : "bun"))!;
const bun = RUNNERS.find((r) => r.name === "bun")!;
let emulator: RunningEmulator | undefined;
let daemon: RunningDaemon | undefined;
const killed: CliChild[] = [];

afterAll(async () => {
  for (const run of killed) run.child.kill("SIGKILL");
  await daemon?.stop("SIGKILL");
  await emulator?.stop();
});

/** One consumer's bytes, by the listener they came through. */
interface Output {
  readonly listener: "unix" | "tcp" | "http";
  readonly bytes: Buffer;
}

/** One protocol connection: asks for `bytes`, collects what comes, hangs up. */
function streamCycle(uri: string, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(connectionOptions(uri));
    const decoder = new FrameDecoder();
    const parts: Buffer[] = [];
    let got = 0;
    const done = () => (socket.destroy(), resolve(Buffer.concat(parts)));
    socket.on("error", reject);
    socket.on("close", done);
    socket.on("connect", () => socket.write(encodeRead(bytes)));
    socket.on("data", (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type === FRAME.error) return reject(new Error(Buffer.from(frame.payload).toString()));
        if (frame.type !== FRAME.data) continue;
        parts.push(Buffer.from(frame.payload));
        got += frame.payload.length;
        // Half the time hang up early, mid-read: what was taken for us and not yet sent is lost.
        if (got >= bytes || (bytes > 4096 && got >= bytes / 2 && Math.random() < 0.5)) return done();
      }
    });
  });
}

async function httpCycle(http: string, bytes: number): Promise<Buffer> {
  const answer = await httpGet(`${http}/random?bytes=${bytes}`);
  if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${answer.text()}`);
  return answer.body;
}

it(
  "16 consumers get every byte once, from the device's validated stream, across an emulator restart",
  async () => {
    const runMs = [Date.now(), 0];
    emulator = await startEmulator([
      "--tcp",
      "127.0.0.1:0",
      "--rate",
      String(EMULATOR_RATE_BYTES_PER_S),
      "--seed",
      String(SEEDS[0]),
    ]);
    const port = new URL(emulator.uri.replace("tcp:", "http:")).port;
    daemon = await startDaemon(runner, [
      "--device",
      emulator.uri,
      "--pool",
      "1M",
      "--unix",
      join(dir, "qrng.sock"),
      "--tcp",
      "127.0.0.1:0",
      "--http",
      "127.0.0.1:0",
      "--wait-ms",
      "20000",
      "--max-request",
      "64K",
    ]);
    const d = daemon;
    const outputs: Output[] = [];
    let cycles = 0;
    let restarted = false;
    const phaseOver = () => restarted && cycles >= CYCLES;

    // 12 consumers in this process, connecting and disconnecting in a loop.
    const loops = Array.from({ length: 12 }, async (_, i) => {
      const listener = (["unix", "tcp", "http"] as const)[i % 3];
      while (!phaseOver()) {
        const bytes = listener === "http" ? 32 << (i % 4) : 1 + Math.floor(Math.random() * 8192);
        const got = listener === "http"
          ? await httpCycle(d.http!, bytes)
          : await streamCycle(d[listener]!, bytes);
        outputs.push({ listener, bytes: got });
        cycles++;
      }
    });

    // 4 `qrng read` processes, each SIGKILLed mid-read and started again until the run ends.
    const readers = Array.from({ length: 4 }, async (_, i) => {
      const listener = i % 2 === 0 ? "unix" : "tcp";
      while (!phaseOver()) {
        const run = spawnCli(bun, ["read", "64M", "--device", d[listener]!]);
        killed.push(run);
        const parts: Buffer[] = [];
        let got = 0;
        await new Promise<void>((resolve) => {
          run.child.stdout!.on("data", (chunk: Buffer) => {
            parts.push(chunk);
            got += chunk.length;
            if (got >= 50_000) run.child.kill("SIGKILL");
          });
          void run.exited.then(() => resolve());
        });
        outputs.push({ listener, bytes: Buffer.concat(parts) });
      }
    });

    // Mid-run the emulator dies and comes back on the same port, with another seed.
    await new Promise((r) => setTimeout(r, PHASE_MS));
    emulator.child.kill("SIGKILL");
    runMs[0] = Date.now() - runMs[0];
    await new Promise((r) => setTimeout(r, 500));
    runMs[1] = Date.now();
    emulator = await startEmulator([
      "--tcp",
      `127.0.0.1:${port}`,
      "--rate",
      String(EMULATOR_RATE_BYTES_PER_S),
      "--seed",
      String(SEEDS[1]),
    ]);
    await new Promise((r) => setTimeout(r, PHASE_MS));
    restarted = true;
    await Promise.all([...loops, ...readers]);
    expect(cycles).toBeGreaterThanOrEqual(CYCLES);

    const metricsText = (await httpGet(`${d.http}/metrics`)).text();
    runMs[1] = Date.now() - runMs[1];
    const metric = (name: string) =>
      Number(metricsText.split("\n").find((l) => l.startsWith(`qrng_serve_${name} `))!.split(" ")[1]);
    expect(await d.stop("SIGTERM")).toBe(0);

    // No 32-byte chunk twice across all outputs.
    const chunks = new Set<string>();
    let chunkCount = 0;
    for (const { bytes } of outputs) {
      for (let at = 0; at + 32 <= bytes.length; at += 32) {
        chunks.add(bytes.subarray(at, at + 32).toString("base64"));
        chunkCount++;
      }
    }
    expect(chunks.size).toBe(chunkCount);

    // Every byte is from one of the emulators' streams, and no stretch of a stream went out twice.
    // No emulator sends more than its rate allows (a little slack for the clocks).
    const streams = SEEDS.map((seed, i) =>
      emulatorStream(seed, Math.ceil(EMULATOR_RATE_BYTES_PER_S * (runMs[i] / 1000 + 2)))
    );
    const hint = { stream: 0, at: 0 };
    const pieces: Piece[] = [];
    const fragments: Buffer[] = [];
    let total = 0;
    for (const { bytes } of outputs) {
      const located = locate(bytes, streams, hint);
      pieces.push(...located.pieces);
      fragments.push(...located.fragments);
      total += bytes.length;
    }
    const { placed, unplaced } = placeFragments(fragments, streams, pieces);
    expect(unplaced).toEqual([]);
    const covered: Array<Array<[number, number]>> = SEEDS.map(() => []);
    for (const piece of [...pieces, ...placed]) {
      covered[piece.stream].push([
        piece.start,
        piece.start + piece.length,
      ]);
    }
    for (const ranges of covered) {
      ranges.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < ranges.length; i++) {
        expect(ranges[i - 1][1] - ranges[i][0]).toBeLessThanOrEqual(LOCATE_SLACK_BYTES);
      }
    }
    expect(covered[0].length).toBeGreaterThan(0);
    expect(covered[1].length).toBeGreaterThan(0);

    // The daemon's counters reconcile with each other and with what the consumers got.
    const served = ["unix", "tcp", "http"].map((l) =>
      Number(metricsText.match(new RegExp(`bytes_served_total\\{listener="${l}"\\} (\\d+)`))![1])
    );
    expect(metric("bytes_committed_total")).toBe(
      served[0] + served[1] + served[2] + metric("bytes_undelivered_total") + metric("bytes_dropped_total") +
        metric("pool_bytes"),
    );
    expect(served[2]).toBe(
      outputs.filter((o) => o.listener === "http").reduce((n, o) => n + o.bytes.length, 0),
    );
    expect(served[0] + served[1] + served[2]).toBeGreaterThanOrEqual(total);
    expect(metric("device_failures_total")).toBeGreaterThanOrEqual(1);
    expect(metric("health_failed")).toBe(0);
  },
  120_000,
);
