/**
 * `qrng feed` against the real kernel, as root, under Deno, Bun and the compiled binary: strace
 * records every ioctl(RNDADDENTROPY) it makes, and the bits and bytes in those calls are
 * checked against the claim (H x bytes), against the command's own summary, and against the
 * bytes `qrng read` outputs from the same source. Skipped, saying why, when not root or strace
 * is missing (the ioctl needs CAP_SYS_ADMIN).
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { binaryBuilt, runCli, RUNNERS, spawnCli } from "./_support/cli.ts";
import {
  type AddEntropyCall,
  addEntropyCalls,
  kernelTraceUnavailable,
  killTracees,
  total,
  traced,
} from "./_support/kernel_trace.ts";
import { suiteTempDir } from "./_support/temp_dir.ts";
import { startAdversary } from "./_support/adversary/device.ts";

const MIB = 1 << 20;

const skipped = kernelTraceUnavailable();
if (skipped) console.warn(`tests/feed_kernel.test.ts: skipping the kernel feeding tests: ${skipped}`);

const dir = suiteTempDir("qrng-feed");
afterAll(() => killTracees(dir.path));

/** The RNDADDENTROPY calls `log` recorded, each checked to have succeeded. */
function succeededCalls(log: string): AddEntropyCall[] {
  const calls = addEntropyCalls(log);
  for (const call of calls) expect(call.result).toBe("0");
  return calls;
}

describe.skipIf(skipped !== undefined).each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "qrng feed into the kernel under $name",
  (runner) => {
    it("credits 8 bits per byte for 1M at H = 8, in every ioctl and in its summary", async () => {
      const log = join(dir.path, `h8-${runner.name}.strace`);
      const r = await runCli(traced(runner, log), [
        "feed",
        "--device",
        "sim:qcicada",
        "--bytes",
        "1M",
        "--json",
      ]);
      expect(r.status).toBe(0);
      const calls = succeededCalls(log);
      expect(total(calls, "bufSize")).toBe(MIB);
      expect(total(calls, "entropyCount")).toBe(8 * MIB);
      expect(calls.every((c) => c.bytes.length === c.bufSize && c.bufSize <= 4096)).toBe(true);
      expect(JSON.parse(r.stdout.toString())).toMatchObject({
        bytes: MIB,
        bits: 8 * MIB,
        bitsPerByte: 8,
        emulated: true,
      });
      expect(r.stderr).toMatch(/WARNING: sim:qcicada is an emulator/);
    });

    it("credits H x bytes at --h 3, and says so in one line", async () => {
      const log = join(dir.path, `h3-${runner.name}.strace`);
      const r = await runCli(traced(runner, log), [
        "feed",
        "--device",
        "sim:qcicada",
        "--bytes",
        "1M",
        "--h",
        "3",
      ]);
      expect(r.status).toBe(0);
      const calls = succeededCalls(log);
      expect(total(calls, "bufSize")).toBe(MIB);
      expect(total(calls, "entropyCount")).toBe(3 * MIB);
      expect(r.stdout.toString()).toMatch(
        /^qrng feed: credited 3145728 bits for 1048576 bytes \(3 bits\/byte\) from .*sim:qcicada/,
      );
    });

    it("adds exactly the bytes qrng read outputs from the same source, H per byte after a fold", async () => {
      const log = join(dir.path, `fold-${runner.name}.strace`);
      const args = ["--device", "sim:qcicada?seed=9", "--xor-fold", "2", "--h", "5"];
      const fed = await runCli(traced(runner, log), ["feed", ...args, "--bytes", "64K"]);
      expect(fed.status).toBe(0);
      const read = await runCli(runner, ["read", "64K", ...args]);
      expect(read.status).toBe(0);
      const calls = succeededCalls(log);
      expect(Buffer.concat(calls.map((c) => c.bytes)).equals(read.stdout)).toBe(true);
      expect(total(calls, "entropyCount")).toBe(5 * 65536);
    });

    it("stops at a stuck source's health failure and credits nothing of the batch it is in", async () => {
      const log = join(dir.path, `stuck-${runner.name}.strace`);
      // Judged in 1 MiB batches: the third holds the stuck point (2.5 MB into the stream).
      const r = await runCli(traced(runner, log), [
        "feed",
        "--device",
        "sim:qcicada?stuck=2500000",
        "--bytes",
        "4M",
      ]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^qrng: Repetition check: .*stopped/m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const calls = succeededCalls(log);
      const bytes = total(calls, "bufSize");
      expect(bytes).toBe(2 * MIB);
      expect(total(calls, "entropyCount")).toBe(8 * bytes);
      expect(r.stderr).toContain(
        `stopped: credited ${8 * bytes} bits for ${bytes} bytes (8 bits/byte) before the failure`,
      );
      expect(r.stdout.length).toBe(0);
    });

    it("credits nothing a device status flag condemns: the status is judged before the credit", async () => {
      const device = await startAdversary("tcp", {
        rate: 1 << 20,
        flags: [{ in: "stop", raise: ["repetitionCount"] }],
      });
      try {
        const log = join(dir.path, `flag-${runner.name}.strace`);
        const r = await runCli(traced(runner, log), ["feed", "--device", device.uri, "--bytes", "100K"]);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/repetition.?count/i);
        expect(total(succeededCalls(log), "bufSize")).toBe(0);
      } finally {
        await device.stop();
      }
    });

    it("paces itself at --min-rate when the kernel does not ask", async () => {
      const started = performance.now();
      const r = await runCli(runner, [
        "feed",
        "--device",
        "sim:qcicada",
        "--bytes",
        "4K",
        "--min-rate",
        "2K",
        "--json",
      ]);
      const elapsedMs = performance.now() - started;
      expect(r.status).toBe(0);
      // 8 chunks of 512 bytes at 2 KiB/s: the last is due 1.75 s after the first.
      expect(elapsedMs).toBeGreaterThan(1_700);
      expect(elapsedMs).toBeLessThan(30_000);
      expect(JSON.parse(r.stdout.toString())).toMatchObject({
        bytes: 4096,
        bits: 32768,
        bytesAskedByKernel: 0,
      });
    });

    /** Runs `qrng feed ...args` for a second of feeding, then sends it SIGTERM: its exit status and summary. */
    async function stoppedBySigterm(args: string[]) {
      const run = spawnCli(runner, [
        "feed",
        "--device",
        "sim:qcicada",
        "--min-rate",
        "8K",
        "--json",
        ...args,
      ]);
      const stdout: Buffer[] = [];
      run.child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
      // The warning comes once the source is open: feeding starts at once after it.
      while (!run.stderr().includes("WARNING")) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      run.child.kill("SIGTERM");
      const status = await run.exited;
      return { status, summary: JSON.parse(Buffer.concat(stdout).toString()) };
    }

    it("ends with its summary and exit status 0 on SIGTERM when running until stopped", async () => {
      const { status, summary } = await stoppedBySigterm([]);
      expect(status).toBe(0);
      expect(summary).toMatchObject({ stoppedBy: "SIGTERM", bitsPerByte: 8 });
      expect(summary.bytes).toBeGreaterThanOrEqual(512);
      expect(summary.bits).toBe(8 * summary.bytes);
    });

    it("exits 143 with its summary when SIGTERM stops it short of --bytes N", async () => {
      const { status, summary } = await stoppedBySigterm(["--bytes", "1G"]);
      expect(status).toBe(143);
      expect(summary).toMatchObject({ stoppedBy: "SIGTERM" });
      expect(summary.bits).toBe(8 * summary.bytes);
    });
  },
);
