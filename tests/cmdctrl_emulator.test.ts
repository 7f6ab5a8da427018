import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import {
  CmdCtrlDevice,
  DATA_TIMEOUT_MS,
  IDLE_STOP_QUIET_MS,
  RESPONSE_TIMEOUT_MS,
  STOP_QUIET_MS,
} from "../cli/devices/cmdctrl/driver.ts";
import { QcicadaMachine } from "../cli/emulators/qcicada/machine.ts";
import { runSession } from "../cli/emulators/qcicada/session.ts";
import { SeededBytes } from "../cli/emulators/seeded_bytes.ts";
import { memoryPipe } from "../cli/transports/memory_pipe.ts";
import type { Transport } from "../cli/transports/transport.ts";
import { certificateBlob, checksum8, parseStatus, parseUpdate } from "../wasm/cmdctrl.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A machine on a manual clock, spoken to in raw bytes. */
function rawMachine(options: Partial<ConstructorParameters<typeof QcicadaMachine>[0]> = {}) {
  const clock = { t: 0 };
  const machine = new QcicadaMachine({
    seed: 9,
    rateBytesPerS: 100_000,
    startupMs: 200,
    now: () => clock.t,
    ...options,
  });
  const send = (...bytes: number[]) => machine.receive(new Uint8Array(bytes)).map((r) => r.bytes);
  return { machine, clock, send };
}

/** The real driver talking to a machine through an in-process pipe. */
async function connected(options: Partial<ConstructorParameters<typeof QcicadaMachine>[0]> = {}) {
  const machine = new QcicadaMachine({
    seed: 9,
    rateBytesPerS: Infinity,
    startupMs: 0,
    now: () => performance.now(),
    ...options,
  });
  const [host, device] = memoryPipe("test");
  const session = runSession(machine, device, { sleep });
  const driver = new CmdCtrlDevice(host, { now: () => performance.now() });
  await driver.drain();
  return { machine, driver, done: async () => (await driver.close(), await session) };
}

/** A transport that answers reads from `script` (one entry per read, then silence) and records their timeouts. */
function scripted(script: Uint8Array[]) {
  const timeouts: number[] = [];
  const transport: Transport = {
    description: "script",
    write: () => Promise.resolve(),
    read(buffer, timeoutMs) {
      timeouts.push(timeoutMs);
      const next = script.shift();
      if (next) buffer.set(next);
      return Promise.resolve(next?.length ?? 0);
    },
    discardInput: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return { transport, timeouts };
}

describe("QCicada emulator, in raw bytes", () => {
  it("runs a startup test first: no ready bytes, one-shots refused", () => {
    const { send, clock } = rawMachine();
    const [ack] = send(0x01);
    expect(ack[0]).toBe(0x11);
    expect(parseStatus(ack.subarray(1))).toMatchObject({
      started: false,
      startupTestInProgress: true,
      readyBytes: 0,
    });
    expect(send(0x04, 1, 16, 0)).toEqual([new Uint8Array([0x12])]);
    clock.t = 300;
    const status = parseStatus(send(0x01)[0].subarray(1));
    expect(status.started).toBe(true);
    expect(status.readyBytes).toBe(10_000); // 100 ms after the startup test at 100,000 bytes/s
  });
  it("refuses one-shots of 0 bytes or more than ready, and an all-zero config", () => {
    const { send, clock } = rawMachine();
    clock.t = 10_000;
    expect(send(0x04, 1, 0, 0)).toEqual([new Uint8Array([0x12])]);
    expect(send(0x04, 1, 0x81, 0x34)).toEqual([new Uint8Array([0x12])]); // 13441 > 13440
    expect(send(0x08, ...new Array(12).fill(0))).toEqual([new Uint8Array([0x12])]);
  });
  it("sends one-shot data from the seeded stream and counts it in the statistics", () => {
    const { send, clock } = rawMachine();
    clock.t = 10_000;
    const [ack, data] = send(0x04, 1, 32, 0);
    expect(ack[0]).toBe(0x11);
    expect(Buffer.from(data).equals(Buffer.from(new SeededBytes(9).take(32)))).toBe(true);
    const [stats] = send(0x09);
    expect(stats[0]).toBe(0x19);
    expect(new DataView(stats.buffer, stats.byteOffset + 1).getBigUint64(0, true)).toBe(32n);
    send(0x0a); // RESET clears them
    expect(new DataView(send(0x09)[0].buffer, 1).getBigUint64(0, true)).toBe(0n);
  });
  it("accepts a command split over several writes", () => {
    const { machine } = rawMachine();
    expect(machine.receive(new Uint8Array([0x04, 1]))).toEqual([]);
    expect(machine.receive(new Uint8Array([16, 0]))[0].bytes).toEqual(new Uint8Array([0x12])); // in startup
  });
  it("rejects an update chunk with a bad checksum, and one before UPDATE_INIT", () => {
    const { send } = rawMachine();
    const chunk = (sum: number) => [0x41, 4, 0, 1, 2, 3, 4, ...new Array(1020).fill(0), sum];
    expect(parseUpdate(send(...chunk(checksum8(new Uint8Array([1, 2, 3, 4]))))[0].subarray(1)).status).toBe(
      3,
    );
    expect(parseUpdate(send(0x40, 4, 0, 0, 0)[0].subarray(1))).toEqual({ status: 0, remaining: 4 });
    expect(parseUpdate(send(...chunk(0x00))[0].subarray(1)).status).toBe(5);
  });
  it("answers REBOOT only with the magic, and factory commands with NACK", () => {
    const { send } = rawMachine();
    expect(send(0xf8, 0xa1, 0x26)).toEqual([new Uint8Array([0x12])]);
    expect(send(0xf8, 0xa1, 0x25)).toEqual([new Uint8Array([0xf8])]);
    expect(send(0xf3)).toEqual([new Uint8Array([0x12])]);
  });
});

describe("QCicada emulator through the host driver", () => {
  it("signs reads with its device key and is certified by its CA", async () => {
    const { machine, driver, done } = await connected();
    const { data, signature } = await driver.signedRead(100);
    const key = await driver.publicKey();
    expect(p256.verify(signature, data, new Uint8Array([4, ...key]))).toBe(true);
    const blob = certificateBlob(await driver.info(), key);
    expect(p256.verify(await driver.certificate(), blob, new Uint8Array([4, ...machine.identity.caPublic])))
      .toBe(true);
    await done();
  });
  it("keeps a config across commands, changing what was set", async () => {
    const { driver, done } = await connected();
    const config = await driver.config();
    await driver.setConfig({ ...config, nLsbits: 7, bitCount: true });
    expect(await driver.config()).toEqual({ ...config, nLsbits: 7, bitCount: true });
    await done();
  });
  it("installs an update image that arrives intact and hashes like SHA-256", async () => {
    let installed: Uint8Array | undefined;
    const { driver, done } = await connected({ onImage: (image) => (installed = image.slice()) });
    const image = Uint8Array.from({ length: 2500 }, (_, i) => (i * 31) & 0xff);
    expect(await driver.updateInit(image.length)).toEqual({ status: 0, remaining: 2500 });
    const answers = [];
    for (let at = 0; at < image.length; at += 1024) {
      answers.push(await driver.updateChunk(image.subarray(at, at + 1024)));
    }
    expect(answers).toEqual([{ status: 1, remaining: 1476 }, { status: 1, remaining: 452 }, {
      status: 2,
      remaining: 0,
    }]);
    expect(installed).toEqual(image);
    expect(await driver.hashTest(image)).toEqual(sha256(image));
    await done();
  });
  it("streams at a rate above what the one-shot pool holds per burst", async () => {
    const { driver, done } = await connected({ rateBytesPerS: 20 << 20 });
    await driver.startContinuous();
    // A stall (the regression this guards) ends in nextData's "timeout" error.
    const got: Uint8Array[] = [];
    let total = 0;
    while (total < 1 << 20) {
      const data = await driver.nextData();
      got.push(data.slice());
      total += data.length;
    }
    await driver.stop();
    const all = Buffer.concat(got);
    expect(all.equals(Buffer.from(new SeededBytes(9).take(all.length)))).toBe(true);
    await done();
  });

  it("streams the seeded bytes and stops with the ACK after the data in flight", async () => {
    const { driver, done } = await connected();
    await driver.startContinuous();
    const got: Uint8Array[] = [];
    let total = 0;
    while (total < 200_000) {
      const data = await driver.nextData();
      got.push(data.slice());
      total += data.length;
    }
    const status = await driver.stop((data) => void got.push(data.slice()));
    expect(status.started).toBe(true);
    const all = Buffer.concat(got);
    expect(all.equals(Buffer.from(new SeededBytes(9).take(all.length)))).toBe(true);
    expect((await driver.status()).started).toBe(true); // answers normally again
    await done();
  });

  it("streams the seeded bytes into small buffers too, losing none around the decoder or STOP", async () => {
    const { driver, done } = await connected();
    await driver.startContinuous();
    const got: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; total < 300_000; i++) {
      // Alternate: views from the decoder, and reads into buffers of odd sizes (which split runs).
      if (i % 3 === 2) {
        const data = await driver.nextData();
        got.push(data.slice());
        total += data.length;
        continue;
      }
      const into = new Uint8Array(1 + (i * 7919) % 5000);
      const n = await driver.nextDataInto(into);
      expect(n).toBeGreaterThan(0);
      got.push(into.slice(0, n));
      total += n;
    }
    await driver.stop((data) => void got.push(data.slice()));
    const all = Buffer.concat(got);
    expect(all.equals(Buffer.from(new SeededBytes(9).take(all.length)))).toBe(true);
    await expect(driver.nextDataInto(new Uint8Array(8))).rejects.toThrow(/not streaming/);
    await done();
  });

  it("drains an idle device after a short quiet, and a streaming one after STOP_QUIET_MS", async () => {
    const idle = scripted([new Uint8Array([0x11, 0, 0, 0, 0, 0])]);
    expect(await new CmdCtrlDevice(idle.transport, { now: () => 0 }).drain()).toBe(6);
    expect(idle.timeouts).toEqual([RESPONSE_TIMEOUT_MS, IDLE_STOP_QUIET_MS]);
    // Data in flight first: the same 6 bytes at the end do not shorten the wait.
    const streaming = scripted([new Uint8Array([7, 7, 7]), new Uint8Array([0x11, 0, 0, 0, 0, 0])]);
    expect(await new CmdCtrlDevice(streaming.transport, { now: () => 0 }).drain()).toBe(9);
    expect(streaming.timeouts).toEqual([RESPONSE_TIMEOUT_MS, RESPONSE_TIMEOUT_MS, STOP_QUIET_MS]);
  });

  it("waits for the answer to STOP with the response timeout, never taking silence for it", async () => {
    // Nothing for a while (a slow network), then the answer: the wait for it is never a quiet rule.
    const slow = scripted([]);
    await expect(new CmdCtrlDevice(slow.transport, { now: () => 0 }).drain()).rejects.toThrow(
      `Cannot stop script: no answer to STOP in ${RESPONSE_TIMEOUT_MS} ms`,
    );
    expect(slow.timeouts).toEqual([RESPONSE_TIMEOUT_MS]);
  });

  it("hands out data that came with the START answer first, and keeps what is left of it at STOP", async () => {
    const ack = [0x11, 0, 0, 0, 0, 0];
    const bytes = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    // Scripted answers: the ACK with 100 data bytes in one read; after STOP 10 more and the tail.
    const script = [new Uint8Array([...ack, ...bytes(0, 100)]), new Uint8Array([...bytes(100, 110), ...ack])];
    const driver = new CmdCtrlDevice(scripted(script).transport, { now: () => performance.now() });
    await driver.startContinuous();
    const first = new Uint8Array(30);
    expect(await driver.nextDataInto(first)).toBe(30);
    expect(await driver.nextDataInto(first)).toBe(30);
    expect([...first]).toEqual(bytes(30, 60));
    const kept: number[] = [];
    await driver.stop((data) => void kept.push(...data));
    expect(kept).toEqual(bytes(60, 110));
  });

  it("names the device when a stream goes silent or STOP is not acknowledged", async () => {
    const ack = new Uint8Array([0x11, 0, 0, 0, 0, 0]);
    const silent = new CmdCtrlDevice(scripted([ack]).transport, { now: () => performance.now() });
    await silent.startContinuous();
    await expect(silent.nextDataInto(new Uint8Array(8))).rejects.toThrow(
      `Cannot read data: script sent none for ${DATA_TIMEOUT_MS} ms`,
    );
    const cut = new CmdCtrlDevice(scripted([ack, new Uint8Array([7, 7, 7])]).transport, {
      now: () => performance.now(),
    });
    await cut.startContinuous();
    await expect(cut.stop()).rejects.toThrow(
      `Cannot stop script: STOP was not acknowledged (no ACK and status in ${RESPONSE_TIMEOUT_MS} ms)`,
    );
  });
});
