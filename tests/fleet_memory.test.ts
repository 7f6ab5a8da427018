/**
 * A publisher's and a taker's memory stay at their working set however much they move: the
 * garbage of each block (the block, its headers, the client's frame) is collected as it goes
 * instead of piling up (before, under Bun a publisher peaked at ~210 MB after 64 MiB and grew
 * on, a taker at ~190 MB).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUNNERS, spawnCli } from "./_support/cli.ts";
import { type NatsNode, natsServerInstalled, startNatsServer, stopAll } from "./_support/nats_server.ts";

const bun = RUNNERS.find((r) => r.name === "bun")!;
/** Loose: a Bun `qrng read` of the emulator alone peaks near 100 MB; the piled-up garbage passed 190 MB. */
const PEAK_MAX_BYTES = 150 * 1024 * 1024;
const POLL_MS = 50;

/** The process's peak resident memory so far (VmHWM), or undefined once it is gone. */
function peakResidentBytes(pid: number): number | undefined {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/** Runs qrng under Bun to its end; resolves its exit status and peak resident memory. */
async function runMeasured(args: readonly string[]): Promise<{ status: number | null; peakBytes: number }> {
  const run = spawnCli(bun, args, { timeoutMs: 110_000 });
  let peakBytes = 0;
  const poll = setInterval(
    () => (peakBytes = Math.max(peakBytes, peakResidentBytes(run.child.pid!) ?? 0)),
    POLL_MS,
  );
  try {
    return { status: await run.exited, peakBytes };
  } finally {
    clearInterval(poll);
  }
}

describe.skipIf(!natsServerInstalled)("qrng publish memory", () => {
  let server: NatsNode;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(stopAll);

  it("keeps a publisher's peak memory bounded while it publishes 64 MiB", async () => {
    const published = await runMeasured([
      "publish",
      "--device",
      "sim:qcicada?seed=11",
      "--to",
      server.url,
      "--stream",
      "MEMORY",
      "--stream-bytes",
      "128M",
      "--bytes",
      "64M",
    ]);
    expect(published.status).toBe(0);
    expect(published.peakBytes).toBeGreaterThan(0);
    expect(published.peakBytes).toBeLessThan(PEAK_MAX_BYTES);
  }, 120_000);

  // Takes what the publisher above stored.
  it("keeps a taker's peak memory bounded while it takes 60 MiB", async () => {
    const read = await runMeasured(["read", "60M", "--device", `${server.url}/MEMORY`, "-o", "/dev/null"]);
    expect(read.status).toBe(0);
    expect(read.peakBytes).toBeGreaterThan(0);
    expect(read.peakBytes).toBeLessThan(PEAK_MAX_BYTES);
  }, 120_000);
});
