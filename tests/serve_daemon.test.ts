/**
 * `qrng serve` end to end, as a child process under Deno, Bun and the binary, reading a seeded
 * emulator over TCP: its listeners and their access rules, the caps, the empty-pool deadline,
 * a full pool pausing the device, SIGHUP and SIGTERM.
 */
import { Buffer } from "node:buffer";
import { existsSync, statSync } from "node:fs";
import { type AddressInfo, connect, createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";
import { type RunningEmulator, startEmulator } from "./_support/qcicada_emulator.ts";
import { encodeRead, FRAME, FrameDecoder } from "../cli/protocol/serve_wire.ts";
import {
  connectionOptions,
  emulatorStream,
  httpGet,
  locate,
  placeFragments,
  type RunningDaemon,
  startDaemon,
  streamRead,
} from "./_support/serve_daemon.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const SEED = 51;
const dir = testTempDir("qrng-serve-daemon");
const bun = RUNNERS.find((r) => r.name === "bun")!;
let emulator: RunningEmulator;
const daemons: RunningDaemon[] = [];

beforeAll(async () => {
  emulator = await startEmulator(["--tcp", "127.0.0.1:0", "--rate", "max", "--seed", String(SEED)]);
});

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop("SIGKILL")));
  await emulator?.stop();
});

async function daemon(args: string[], runner = bun, env?: Record<string, string>): Promise<RunningDaemon> {
  const started = await startDaemon(runner, args, env);
  daemons.push(started);
  return started;
}

/** Polls the daemon's /metrics until `sample` satisfies `ok` (or the test times out). */
async function metricUntil(http: string, sample: string, ok: (value: number) => boolean): Promise<number> {
  for (;;) {
    const text = (await httpGet(`${http}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
    const value = Number(line?.split(" ")[1]);
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function expectFromEmulator(bytes: Buffer): void {
  expect(locate(bytes, [emulatorStream(SEED, 64 << 20)]).fragments).toEqual([]);
}

describe.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "qrng serve under $name",
  (runner) => {
    it("serves the device's validated bytes on a 0600 Unix socket, TCP and HTTP; SIGHUP reopens; SIGTERM exits 0", async () => {
      const socket = join(dir, `${runner.name}.sock`);
      const d = await daemon(
        [
          "--device",
          emulator.uri,
          "--pool",
          "1M",
          "--unix",
          socket,
          "--tcp",
          "127.0.0.1:0",
          "--http",
          "127.0.0.1:0",
        ],
        runner,
      );
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      const viaUnix = await streamRead(d.unix!, 100_000);
      expect(viaUnix.error).toBeUndefined();
      expect(viaUnix.hello).toMatchObject({ protocol: 1, emulated: true, tokenRequired: false });
      const viaTcp = await streamRead(d.tcp!, 50_000);
      expect(viaTcp.data.length).toBe(50_000);
      const hex = (await httpGet(`${d.http}/random?bytes=64&format=hex`)).json();
      expect(hex).toMatchObject({ bytes: 64, format: "hex" });
      const raw = (await httpGet(`${d.http}/random?bytes=4096`)).body;
      expect(raw.length).toBe(4096);
      for (const bytes of [viaUnix.data, viaTcp.data, Buffer.from(hex.data, "hex"), raw]) {
        expectFromEmulator(
          bytes,
        );
      }
      const health = (await httpGet(`${d.http}/health`)).json();
      expect(health).toMatchObject({ status: "ok", emulated: true, poolCapacityBytes: 1 << 20 });

      d.run.child.kill("SIGHUP");
      await expect.poll(() => d.run.stderr(), { timeout: 20_000 }).toMatch(/SIGHUP: reopening the device/);
      const bursts = await metricUntil(d.http!, "qrng_serve_bursts_total", (n) => n > 0);
      await streamRead(d.unix!, 1 << 20); // empties the pool: the device is read again
      await metricUntil(d.http!, "qrng_serve_bursts_total", (n) => n > bursts);

      expect(await d.stop("SIGTERM")).toBe(0);
      expect(existsSync(socket)).toBe(false);
      expect(d.run.stderr()).toMatch(/stopped; \d+ bytes served/);
    });

    it("refuses to start, in one line naming the address, when its HTTP port is taken", async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      try {
        const where = `127.0.0.1:${(taken.address() as AddressInfo).port}`;
        const result = await runCli(runner, ["serve", "--device", emulator.uri, "--http", where]);
        expect(result.status).toBe(1);
        expect(result.stdout.length).toBe(0);
        expect(result.stderr.trim().split("\n")).toEqual([
          expect.stringContaining(`Cannot listen on ${where}`),
        ]);
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    });
  },
);

describe("qrng serve's access rules", () => {
  it("refuses to listen beyond loopback without a token, and takes no token on the command line", async () => {
    const open = await runCli(bun, ["serve", "--device", emulator.uri, "--http", "0.0.0.0:0"], {
      env: { QRNG_TOKEN: "" },
    });
    expect(open.status).toBe(2);
    expect(open.stderr.trim().split("\n")).toHaveLength(1);
    expect(open.stderr).toMatch(/beyond loopback: set a token/);
    const inline = await runCli(bun, [
      "serve",
      "--device",
      emulator.uri,
      "--tcp",
      "0.0.0.0:0",
      "--token",
      "x",
    ]);
    expect(inline.status).toBe(2);
    expect(inline.stderr).toMatch(/no --token on the command line/);
  });

  it("refuses an unknown device scheme and sim: before it listens", async () => {
    for (const device of ["foo://x", "sim:qcicada"]) {
      const result = await runCli(bun, ["serve", "--device", device, "--http", "127.0.0.1:0"]);
      expect(result.status).toBe(2);
      expect(result.stdout.length).toBe(0);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("with a token, TCP and HTTP consumers without it are refused and those with it served", async () => {
    const d = await daemon(["--device", emulator.uri, "--tcp", "0.0.0.0:0", "--http", "0.0.0.0:0"], bun, {
      QRNG_TOKEN: "tok-123",
    });
    const tcp = d.tcp!.replace("0.0.0.0", "127.0.0.1");
    const http = d.http!.replace("0.0.0.0", "127.0.0.1");
    const refused = await streamRead(tcp, 100);
    expect(refused.data.length).toBe(0);
    expect(refused.error?.message).toMatch(/needs a token/);
    expect((await streamRead(tcp, 100, "wrong")).error?.message).toMatch(/wrong token/);
    expect((await streamRead(tcp, 100, "tok-123")).data.length).toBe(100);
    expect((await httpGet(`${http}/random?bytes=8`)).status).toBe(401);
    expect((await httpGet(`${http}/metrics`)).status).toBe(401);
    const served = await httpGet(`${http}/random?bytes=8`, { authorization: "Bearer tok-123" });
    expect(served.status).toBe(200);
    expect(served.body.length).toBe(8);
  });

  it("gives the socket to a group with --group: mode 0660", async () => {
    const socket = join(dir, "group.sock");
    await daemon(["--device", emulator.uri, "--unix", socket, "--group", "daemon"]);
    const stat = statSync(socket);
    expect(stat.mode & 0o777).toBe(0o660);
    expect(stat.gid).toBe(1);
  });
});

describe("qrng serve's caps and deadlines", () => {
  it("refuses requests over --max-request and answers HTTP clients over their rate with 429", async () => {
    const d = await daemon([
      "--device",
      emulator.uri,
      "--unix",
      join(dir, "caps.sock"),
      "--http",
      "127.0.0.1:0",
      "--max-request",
      "8K",
      "--client-rate",
      "8K",
    ]);
    const tooBig = await streamRead(d.unix!, 8193);
    expect(tooBig.error).toMatchObject({ kind: "usage" });
    expect(tooBig.error!.message).toMatch(/1 to 8192 bytes/);
    expect((await httpGet(`${d.http}/random?bytes=8193`)).status).toBe(413);
    expect((await httpGet(`${d.http}/random?bytes=8192`)).status).toBe(200);
    const limited = await httpGet(`${d.http}/random?bytes=8192`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });

  it("holds a stream consumer to its rate cap", async () => {
    const d = await daemon([
      "--device",
      emulator.uri,
      "--unix",
      join(dir, "rate.sock"),
      "--max-request",
      "8K",
      "--client-rate",
      "8K",
    ]);
    const began = Date.now();
    // Five reads on one connection: 8K at once (the bucket's burst), then 8K a second.
    const total = await new Promise<number>((resolve, reject) => {
      const socket = connect(connectionOptions(d.unix!));
      const decoder = new FrameDecoder();
      let got = 0;
      socket.on("error", reject);
      socket.on("connect", () => {
        for (let i = 0; i < 5; i++) socket.write(encodeRead(8192));
      });
      socket.on("data", (chunk: Buffer) => {
        for (const frame of decoder.push(chunk)) if (frame.type === FRAME.data) got += frame.payload.length;
        if (got >= 5 * 8192) (socket.destroy(), resolve(got));
      });
    });
    expect(total).toBe(5 * 8192);
    expect(Date.now() - began).toBeGreaterThanOrEqual(3500);
  });

  for (const runner of RUNNERS.filter((r) => r.name !== "binary")) {
    it(
      `under ${runner.name}, a consumer that stops reading holds back nobody, and gets every byte intact when it reads again`,
      async () => {
        const d = await daemon(
          [
            "--device",
            emulator.uri,
            "--unix",
            join(dir, `stalled-${runner.name}.sock`),
            "--client-rate",
            "max",
          ],
          runner,
        );
        const STALLED_BYTES = 8 << 20;
        // Asks for 8 MiB and reads nothing: the daemon's writes fill the socket and wait for room.
        const stalled = connect(connectionOptions(d.unix!));
        stalled.pause();
        stalled.on("connect", () => {
          for (let i = 0; i < STALLED_BYTES / (1 << 20); i++) stalled.write(encodeRead(1 << 20));
        });
        const received: Buffer[] = [];
        stalled.on("data", (chunk: Buffer) => received.push(chunk));
        await new Promise((r) => setTimeout(r, 500));
        const other = await streamRead(d.unix!, 1 << 20);
        expect(other.error).toBeUndefined();
        expect(other.data.length).toBe(1 << 20);
        const resumed = new Promise<void>((resolve, reject) => {
          let got = 0;
          const decoder = new FrameDecoder();
          stalled.on("error", reject);
          stalled.on("data", (chunk: Buffer) => {
            for (const frame of decoder.push(chunk)) {
              if (frame.type === FRAME.data) got += frame.payload.length;
            }
            if (got >= STALLED_BYTES) resolve();
          });
        });
        stalled.resume();
        await resumed;
        stalled.destroy();
        const data: Buffer[] = [];
        const decoder = new FrameDecoder();
        for (const frame of decoder.push(Buffer.concat(received))) {
          if (frame.type === FRAME.data) data.push(Buffer.from(frame.payload));
        }
        const stalledData = Buffer.concat(data);
        expect(stalledData.length).toBe(STALLED_BYTES);
        // Every byte is the emulator's, and no stretch of its stream went to both consumers.
        const stream = [emulatorStream(SEED, 256 << 20)];
        const hint = { stream: 0, at: 0 };
        const found = [locate(stalledData, stream, hint), locate(other.data, stream, hint)];
        const pieces = found.flatMap((f) => f.pieces);
        const { placed, unplaced } = placeFragments(found.flatMap((f) => f.fragments), stream, pieces);
        expect(unplaced).toEqual([]);
        const spans = [...pieces, ...placed].map((p) => [p.start, p.start + p.length]).sort((a, b) =>
          a[0] - b[0]
        );
        // A located piece may run on by a byte or two where the next stream byte matches by
        // chance (1 in 256 a boundary); a stretch served twice would overlap by a whole take.
        for (let i = 1; i < spans.length; i++) expect(spans[i - 1][1] - spans[i][0]).toBeLessThan(4);
      },
      60_000,
    );
  }

  it("gives consumers waiting on an empty pool a clear error at the deadline while the device is unreachable", async () => {
    // Nothing listens on the emulator's port once it is gone: take a port and let it go.
    const closed = await startEmulator(["--tcp", "127.0.0.1:0"]);
    await closed.stop();
    const d = await daemon([
      "--device",
      closed.uri,
      "--unix",
      join(dir, "empty.sock"),
      "--http",
      "127.0.0.1:0",
      "--wait-ms",
      "700",
    ]);
    const waited = await streamRead(d.unix!, 32);
    expect(waited.data.length).toBe(0);
    expect(waited.error).toMatchObject({ kind: "timeout" });
    expect(waited.error!.message).toMatch(
      /within 700 ms: the device .* is being reopened after: Cannot connect/,
    );
    const answer = await httpGet(`${d.http}/random?bytes=32`);
    expect(answer.status).toBe(503);
    expect(answer.json().error).toMatch(/No validated bytes within 700 ms/);
    expect((await httpGet(`${d.http}/health`)).json().status).toBe("degraded");
    const failures = await metricUntil(d.http!, "qrng_serve_device_failures_total", (n) => n >= 1);
    expect(failures).toBeGreaterThanOrEqual(1);
    // SIGTERM while the device is unreachable still drains and exits 0 at once.
    expect(await d.stop("SIGTERM")).toBe(0);
  });

  it("pauses the device when the pool is full instead of reading it to throw away", async () => {
    const d = await daemon([
      "--device",
      emulator.uri,
      "--http",
      "127.0.0.1:0",
      "--pool",
      "256K",
      "--max-request",
      "64K",
    ]);
    await metricUntil(d.http!, 'qrng_serve_device_state{state="paused"}', (n) => n === 1);
    const committed = await metricUntil(d.http!, "qrng_serve_bytes_committed_total", (n) => n > 0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await metricUntil(d.http!, "qrng_serve_bytes_committed_total", () => true)).toBe(committed);
    expect(await metricUntil(d.http!, "qrng_serve_pool_bytes", () => true)).toBe(committed);
    expect(committed).toBeLessThanOrEqual(256 * 1024);
  });
});

describe("qrng serve's failures and shutdown", () => {
  it("fails closed when the device replays its stream after a reconnect, and serves nothing more", async () => {
    const seed = 61;
    let replaying = await startEmulator(["--tcp", "127.0.0.1:0", "--rate", "1M", "--seed", String(seed)]);
    const port = new URL(replaying.uri.replace("tcp:", "http:")).port;
    try {
      const d = await daemon([
        "--device",
        replaying.uri,
        "--unix",
        join(dir, "replay.sock"),
        "--http",
        "127.0.0.1:0",
        "--pool",
        "256K",
        "--max-request",
        "64K",
      ]);
      const before = await streamRead(d.unix!, 65536);
      expect(before.data.length).toBe(65536);
      // The same emulator again, on the same port: its stream starts over.
      replaying.child.kill("SIGKILL");
      replaying = await startEmulator(["--tcp", `127.0.0.1:${port}`, "--rate", "1M", "--seed", String(seed)]);
      // Empty the pool (the old device's bytes, good to serve) so that the device is read again.
      const drained = [before.data];
      for (let i = 0; i < 4; i++) drained.push((await streamRead(d.unix!, 65536)).data);
      await expect.poll(async () => (await httpGet(`${d.http}/health`)).status, {
        timeout: 30_000,
        interval: 200,
      }).toBe(503);
      const health = (await httpGet(`${d.http}/health`)).json();
      expect(health).toMatchObject({ status: "failed", deviceState: "failed" });
      expect(health.problem).toMatch(/Repetition check/);
      const after = await streamRead(d.unix!, 100);
      expect(after.data.length).toBe(0);
      expect(after.error).toMatchObject({ kind: "health" });
      expect((await httpGet(`${d.http}/random?bytes=8`)).status).toBe(503);
      expect(await metricUntil(d.http!, "qrng_serve_health_failed", () => true)).toBe(1);
      expect(await metricUntil(d.http!, "qrng_serve_pool_bytes", () => true)).toBe(0);
      expect(d.run.stderr()).toMatch(/FAILED CLOSED: Repetition check/);
      // What was served before is the stream once: nothing of the replay went out.
      const served = locate(Buffer.concat(drained), [emulatorStream(seed, 8 << 20)]);
      expect(served.fragments).toEqual([]);
      const starts = served.pieces.map((p) => [p.start, p.start + p.length]).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < starts.length; i++) expect(starts[i][0]).toBeGreaterThanOrEqual(starts[i - 1][1]);
    } finally {
      await replaying.stop();
    }
  });

  it("on SIGTERM finishes a read in progress from the pool, then ends it with a clear error, and exits 0", async () => {
    const slow = await startEmulator(["--tcp", "127.0.0.1:0", "--rate", "20000", "--seed", "62"]);
    try {
      const d = await daemon([
        "--device",
        slow.uri,
        "--unix",
        join(dir, "drain.sock"),
        "--pool",
        "64K",
        "--max-request",
        "64K",
        "--wait-ms",
        "60000",
      ]);
      // A read larger than the device gives in the time: it is in progress at the SIGTERM.
      const reading = streamRead(d.unix!, 65536);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await d.stop("SIGTERM")).toBe(0);
      const result = await reading;
      expect(result.data.length).toBeGreaterThan(0);
      expect(result.error).toEqual({ kind: "disconnected", message: "the daemon is stopping" });
    } finally {
      await slow.stop();
    }
  });
});
