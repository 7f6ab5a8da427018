/**
 * Every status a Cmd&Ctrl device reports during a read is judged before anything is committed,
 * and every wait ends on Ctrl-C: the source driven in-process against a scripted misbehaving
 * device on loopback TCP, and the real CLI (Deno, Bun, the binary) for the final STOP's flags,
 * a device with nothing ready, and Ctrl-C.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSource } from "../cli/sources/registry.ts";
import type { RandomSource } from "../cli/devices/device.ts";
import { DRAIN_LIMIT_MS } from "../cli/devices/cmdctrl/driver.ts";
import { READY_WAIT_MS } from "../cli/devices/cmdctrl/source.ts";
import type { QrngError } from "../cli/errors.ts";
import type { Platform } from "../cli/platform.ts";
import { nodePlatform } from "../cli/runtime/node_platform.ts";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";
import { CMD } from "../wasm/cmdctrl.ts";
import { testTempDir } from "./_support/temp_dir.ts";
import {
  FLAG,
  type Misbehaviour,
  type ScriptedDevice,
  startScriptedQcicada,
} from "./_support/scripted_qcicada.ts";

const devices: ScriptedDevice[] = [];
const sources: RandomSource[] = [];
afterEach(async () => {
  for (const source of sources.splice(0)) await source.close();
  for (const device of devices.splice(0)) await device.close();
});

async function device(misbehaviour: Misbehaviour, startupMs = 0): Promise<string> {
  const started = await startScriptedQcicada(misbehaviour, { startupMs });
  devices.push(started);
  return started.uri;
}

/** Opens `uri` in-process; `clockSpeed` > 1 makes the driver's and source's clock run faster. */
async function open(
  uri: string,
  sizeHint: number,
  options: { signal?: AbortSignal; clockSpeed?: number } = {},
) {
  const base = nodePlatform("node", []);
  const platform: Platform = { ...base, now: () => performance.now() * (options.clockSpeed ?? 1) };
  const source = await openSource(uri, { platform, sizeHint, log: () => {}, signal: options.signal });
  sources.push(source);
  return source;
}

/** Reads at least `bytes` from `source`. */
async function take(source: RandomSource, bytes: number): Promise<void> {
  for (let got = 0; got < bytes;) got += (await source.next()).length;
}

/** Reads `bytes` and ends the read: what fails is a status check on the way or the end. */
async function readAll(source: RandomSource, bytes: number): Promise<void> {
  await take(source, bytes);
  await source.finish();
}

async function rejection(promise: Promise<unknown>): Promise<QrngError> {
  return await promise.then(() => expect.unreachable("it resolved"), (error: QrngError) => error);
}

describe("a Cmd&Ctrl read judges every status", () => {
  it("fails when the final STOP of a stream reports a health flag", async () => {
    const source = await open(await device({ stopFlags: FLAG.repetitionCount }), 1 << 20);
    const error = await rejection(readAll(source, 200_000));
    expect(error.kind).toBe("device");
    expect(error.message).toMatch(/reports a failing health test or supply: repetitionCount/);
  });

  it("checks a stream's status within its first seconds, not only at the end", async () => {
    // 1.2 MB at 300 kB/s streams for 4 s: a status check stops it with the flag before it ends.
    const started = await startScriptedQcicada({ stopFlags: FLAG.repetitionCount }, {
      rateBytesPerS: 300_000,
    });
    devices.push(started);
    const source = await open(started.uri, 1 << 21);
    const error = await rejection(take(source, 1_200_000));
    expect(error.message).toMatch(/failing health test or supply: repetitionCount/);
  });

  it("fails when STOP is never acknowledged", async () => {
    const source = await open(await device({ silentStop: true }), 1 << 20);
    const error = await rejection(readAll(source, 100_000));
    expect(error.kind).toBe("device");
    expect(error.message).toMatch(/STOP was not acknowledged/);
  });

  it("fails when the device keeps streaming after STOP", async () => {
    // A clock 20 times as fast: the drain limit passes in half a second.
    const source = await open(await device({ ignoreStop: true }), 1 << 20, { clockSpeed: 20 });
    const error = await rejection(readAll(source, 100_000));
    expect(error.kind).toBe("device");
    expect(error.message).toMatch(/keeps sending data/);
    expect(DRAIN_LIMIT_MS).toBeGreaterThan(1000);
  });

  it("fails on a flag raised after the last one-shot (the ACK's status predates its data)", async () => {
    const source = await open(await device({ laterStatusFlags: FLAG.voltageLow }), 1000);
    expect((await rejection(readAll(source, 1000))).message).toMatch(
      /failing health test or supply: voltageLow/,
    );
  });

  it("fails on a flag raised together with startup_test_in_progress", async () => {
    const uri = await device({ startupFlags: FLAG.voltageLow }, 300);
    const error = await rejection(open(uri, 1000));
    expect(error.kind).toBe("device");
    expect(error.message).toMatch(/failing health test or supply: voltageLow/);
  });

  it("fails on a status with started = 0", async () => {
    const error = await rejection(open(await device({ notStarted: true }), 1000));
    expect(error.kind).toBe("device");
    expect(error.message).toMatch(/started = 0/);
  });
});

describe("a Cmd&Ctrl read never hangs", () => {
  it("times out naming the device when it reports 0 ready bytes forever", async () => {
    const source = await open(await device({ zeroReady: true }), 1000);
    const error = await rejection(source.next());
    expect(error.kind).toBe("timeout");
    expect(error.message).toMatch(
      new RegExp(`QCicada-compatible EMUQC0000000007 .* reported 0 ready bytes for ${READY_WAIT_MS} ms`),
    );
  });

  it("ends a wait for ready bytes, or for a slow stream's data, on Ctrl-C", async () => {
    for (
      const [uri, sizeHint] of [[await device({ zeroReady: true }), 1000], [
        await slowDevice(),
        1 << 20,
      ]] as const
    ) {
      const interruption = new AbortController();
      const source = await open(uri, sizeHint, { signal: interruption.signal });
      setTimeout(() => interruption.abort(), 300);
      const readOn = async () => {
        for (;;) await source.next();
      };
      expect((await rejection(readOn())).kind).toBe("interrupted");
      await source.close(); // stops the device: the next client finds it idle
    }
  });
});

/** A well-behaved device at 1 byte/s: a stream's reads wait for data. */
async function slowDevice(): Promise<string> {
  const started = await startScriptedQcicada({ stopFlags: 0 }, { rateBytesPerS: 1 });
  devices.push(started);
  return started.uri;
}

const dir = testTempDir("qrng-status");

describe.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "qrng read under $name",
  (runner) => {
    it("exits 1 and commits nothing when the final STOP reports a health flag", async () => {
      const uri = await device({ stopFlags: FLAG.repetitionCount });
      const file = join(dir, `final-stop-${runner.name}.bin`);
      const r = await runCli(runner, ["read", "100K", "--device", uri, "-o", file]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^qrng: .* reports a failing health test or supply: repetitionCount\n/m);
      expect(existsSync(file)).toBe(false);
      expect(readdirSync(dir).filter((n) => n.includes("partial"))).toEqual([]);
      const stdout = await runCli(runner, ["read", "100K", "--device", uri]);
      expect(stdout.status).toBe(1);
      expect(stdout.stderr).toMatch(/repetitionCount/);
    });

    it("stops on Ctrl-C with status 130 while the device has nothing ready", async () => {
      const scripted = await startScriptedQcicada({ zeroReady: true });
      devices.push(scripted);
      const child = spawn(runner.command, [...runner.prefix, "read", "1K", "--device", scripted.uri], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d));
      // Once the read polls for ready bytes (the status at open, then the polls), well inside READY_WAIT_MS.
      await scripted.received(CMD.GET_STATUS, 3);
      child.kill("SIGINT");
      const status = await new Promise((resolve) => child.on("exit", (code) => resolve(code)));
      expect(status, err).toBe(130);
      expect(err).toMatch(/interrupted after 0 bytes/);
    });
  },
);
