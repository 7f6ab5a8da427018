/**
 * `qrng feed` from a running `qrng serve` (the pair docs/qrng-serve.service and
 * docs/qrng-feed.service set up), under Deno, Bun and the binary, as root under strace: the
 * bits credited over the Unix socket and over TCP are H x bytes, the bytes are the daemon's
 * device's own stream, and a feeder running until stopped notices the daemon's end within
 * seconds and stops with one line. Skipped, saying why, when not root or strace is missing.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryBuilt, runCli, RUNNERS, spawnCli } from "./_support/cli.ts";
import {
  addEntropyCalls,
  kernelTraceUnavailable,
  killTracees,
  total,
  traced,
} from "./_support/kernel_trace.ts";
import { type RunningEmulator, startEmulator } from "./_support/qcicada_emulator.ts";
import { emulatorStream, locate, type RunningDaemon, startDaemon } from "./_support/serve_daemon.ts";
import { suiteTempDir } from "./_support/temp_dir.ts";

const SEED = 43;
const skipped = kernelTraceUnavailable();
if (skipped) {
  console.warn(`tests/feed_serve.test.ts: skipping feeding the kernel from qrng serve: ${skipped}`);
}

const dir = suiteTempDir("qrng-feed-serve");
let emulator: RunningEmulator | undefined;
let daemon: RunningDaemon | undefined;

beforeAll(async () => {
  if (skipped) return;
  emulator = await startEmulator(["--tcp", "127.0.0.1:0", "--rate", "max", "--seed", String(SEED)]);
  const bun = RUNNERS.find((r) => r.name === "bun")!;
  daemon = await startDaemon(bun, [
    "--device",
    emulator.uri,
    "--pool",
    "1M",
    "--unix",
    join(dir.path, "qrng.sock"),
    "--tcp",
    "127.0.0.1:0",
  ]);
});

afterAll(async () => {
  killTracees(dir.path);
  await daemon?.stop();
  await emulator?.stop();
});

describe.skipIf(skipped !== undefined).each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "qrng feed from qrng serve under $name",
  (runner) => {
    it("credits 8 bits per byte for 1M over the Unix socket, all of it the daemon's device's stream", async () => {
      const log = join(dir.path, `unix-${runner.name}.strace`);
      const r = await runCli(traced(runner, log), [
        "feed",
        "--device",
        daemon!.unix!,
        "--bytes",
        "1M",
        "--json",
      ]);
      expect(r.status).toBe(0);
      const calls = addEntropyCalls(log);
      expect(calls.every((c) => c.result === "0")).toBe(true);
      expect(total(calls, "bufSize")).toBe(1 << 20);
      expect(total(calls, "entropyCount")).toBe(8 << 20);
      expect(JSON.parse(r.stdout.toString())).toMatchObject({ bytes: 1 << 20, bits: 8 << 20 });
      const fed = Buffer.concat(calls.map((c) => c.bytes));
      expect(locate(fed, [emulatorStream(SEED, 48 << 20)]).fragments).toEqual([]);
    });

    it("credits H x bytes at --h 3 over qrng+tcp", async () => {
      const log = join(dir.path, `tcp-${runner.name}.strace`);
      const r = await runCli(traced(runner, log), [
        "feed",
        "--device",
        daemon!.tcp!,
        "--bytes",
        "64K",
        "--h",
        "3",
      ]);
      expect(r.status).toBe(0);
      expect(total(addEntropyCalls(log), "entropyCount")).toBe(3 * 65536);
    });
  },
);

describe.skipIf(skipped !== undefined)("qrng feed until stopped, from a daemon that stops", () => {
  it("stops within seconds of the daemon's end, in one line after its credit, not hours later", async () => {
    const bun = RUNNERS.find((r) => r.name === "bun")!;
    const own = await startDaemon(bun, [
      "--device",
      emulator!.uri,
      "--pool",
      "1M",
      "--unix",
      join(dir.path, "ending.sock"),
    ]);
    const log = join(dir.path, "ending.strace");
    const feed = spawnCli(traced(bun, log), ["feed", "--device", own.unix!, "--min-rate", "4K"], {
      timeoutMs: 100_000,
    });
    const bytesFed = () => total(addEntropyCalls(log), "bufSize");
    while (bytesFed() < 4096) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await own.stop()).toBe(0);
    const stoppedAt = performance.now();
    // At 4 KiB/s it holds what 10 s need plus one 16 KiB request: about 14 s. Asking for an
    // endless stream it held 1 MiB or more: over four minutes.
    expect(await feed.exited).toBe(1);
    expect(performance.now() - stoppedAt).toBeLessThan(60_000);
    const bytes = bytesFed();
    expect(feed.stderr()).toContain(
      `qrng feed: stopped: credited ${8 * bytes} bits for ${bytes} bytes (8 bits/byte) before the failure\n`,
    );
    expect(feed.stderr()).toMatch(/failure\n[^\n]*ending\.sock[^\n]*\n$/);
  }, 120_000);
});
