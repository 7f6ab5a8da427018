/**
 * A Crypta Labs device 300 ms away, with ±100 ms of jitter: every command of the real CLI (under
 * Bun: one runtime is enough for the sweep, the driver is the same under all three) works
 * through a delaying proxy in front of `qrng emulate qcicada --tcp`. And a second client that
 * connects while another streams gets its own answers, not the other's stream.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli, RUNNERS } from "./_support/cli.ts";
import { type DelayProxy, startDelayProxy } from "./_support/delay_proxy.ts";
import { type RunningEmulator, startEmulator } from "./_support/qcicada_emulator.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const bun = RUNNERS.find((r) => r.name === "bun")!;
const json = (r: CliResult) => JSON.parse(r.stdout.toString());
const portOf = (uri: string) => Number(uri.split(":").at(-1));

/** Runs a command, showing its stderr when it fails. */
async function ok(args: string[]): Promise<CliResult> {
  const r = await runCli(bun, args, { timeoutMs: 60_000 });
  expect(r.stderr, `qrng ${args.join(" ")}`).not.toMatch(/^qrng: /m); // warnings say "qrng read:"
  expect(r.status, r.stderr).toBe(0);
  return r;
}

describe("a device 300 ± 100 ms away, under bun", () => {
  let emulator: RunningEmulator;
  let proxy: DelayProxy;
  const dir = testTempDir("qrng-latency");
  beforeAll(async () => {
    emulator = await startEmulator(["--tcp", "127.0.0.1:0", "--seed", "4", "--startup-ms", "50"]);
    proxy = await startDelayProxy({ targetPort: portOf(emulator.uri), latencyMs: 300, jitterMs: 100 });
  });
  afterAll(async () => {
    await proxy?.close();
    await emulator?.stop();
  });
  const qrng = (...args: string[]) => ok([...args, "--device", proxy.uri]);

  it("answers info, status, stats, pubkey and cert with the device's own answers", async () => {
    expect((await qrng("info")).stdout.toString()).toContain("serial: EMUQC0000000004\n");
    expect(json(await qrng("status", "--json"))).toMatchObject({ started: true, repetitionCount: false });
    expect(json(await qrng("stats", "--json"))).toHaveProperty("generatedBytes");
    expect(json(await qrng("pubkey", "--json")).publicKey).toMatch(/^[0-9a-f]{128}$/);
    expect((await qrng("cert", "--ca", emulator.ca)).stdout.toString()).toContain("valid: yes");
  }, 120_000);

  it("gets and sets the config, resets and stops", async () => {
    const before = json(await qrng("config", "--json"));
    expect(json(await qrng("config", "--json", "--set", "n_lsbits=6"))).toEqual({ ...before, nLsbits: 6 });
    expect(json(await qrng("reset", "--json"))).toMatchObject({ startupTestInProgress: true });
    expect(json(await qrng("stop", "--json"))).toHaveProperty("readyBytes");
  }, 120_000);

  it("reads one-shot, continuous and signed data", async () => {
    expect((await qrng("read", "1000")).stdout.length).toBe(1000);
    expect((await qrng("read", "150K")).stdout.length).toBe(150 * 1024);
    expect((await qrng("read", "100", "--signed")).stdout.length).toBe(100);
  }, 120_000);

  it("runs the hash test and installs an update", async () => {
    const data = Buffer.alloc(2500, "latency");
    writeFileSync(join(dir, "hash.bin"), data);
    expect(json(await qrng("hash-test", join(dir, "hash.bin"), "--json"))).toMatchObject({ match: true });
    writeFileSync(join(dir, "fw.bin"), data);
    expect(json(await qrng("update", join(dir, "fw.bin"), "--json"))).toMatchObject({
      status: "TRANSFER_COMPLETED",
    });
    expect(emulator.stderr()).toContain(`sha256 ${createHash("sha256").update(data).digest("hex")}`);
  }, 120_000);
});

describe("a second client, under bun", () => {
  it("gets its own answers while another client's stream is still in flight", async () => {
    const emulator = await startEmulator(["--tcp", "127.0.0.1:0", "--seed", "5", "--startup-ms", "0"]);
    try {
      // The first client streams and stays connected for a while: the second waits its turn.
      const first = connect(
        portOf(emulator.uri),
        "127.0.0.1",
        () => first.write(Buffer.from([0x04, 0, 0, 0])),
      );
      let streamed = 0;
      await new Promise<void>((resolve) =>
        first.on("data", (d: Buffer) => (streamed += d.length) > 100_000 && resolve())
      );
      setTimeout(() => first.destroy(), 500);
      const r = await runCli(bun, ["info", "--json", "--device", emulator.uri]);
      expect(r.status, r.stderr).toBe(0);
      expect(json(r)).toMatchObject({ serial: "EMUQC0000000005" });
    } finally {
      await emulator.stop();
    }
  }, 60_000);
});
