/**
 * The library's promises (cli/mod.ts, docs/library.md), against the in-process emulators: reads
 * are the device's health-gated stream in order however they are asked for; commands and
 * abandoned reads end the read session and later reads start a fresh gate; signals end waits
 * with kind "interrupted"; faulty devices fail closed with typed errors; the Cmd&Ctrl and XR232
 * device methods do what the CLI's commands do.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type CmdCtrlQrng, open, type Qrng, QrngError, type Xr232Qrng } from "../cli/mod.ts";
import { nodePlatform } from "../cli/runtime/node_platform.ts";
import { GatedReader } from "../cli/sources/gated.ts";

/** Generous: the machine is shared. */
const TIMEOUT_MS = 60_000;

const opened: Qrng[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((q) => q.close()));
});

async function openQrng(uri: string, options: Parameters<typeof open>[1] = {}): Promise<Qrng> {
  const qrng = await open(uri, options);
  opened.push(qrng);
  return qrng;
}

async function openCmdCtrl(uri: string, options: Parameters<typeof open>[1] = {}): Promise<CmdCtrlQrng> {
  const qrng = await openQrng(uri, options);
  if (qrng.family !== "cmdctrl") throw new Error(`${uri} opened as ${qrng.family}`);
  return qrng;
}

/** The rejection of `promise` (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<QrngError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(QrngError);
  return error as QrngError;
}

/** `n` validated bytes of `uri` read straight through the gate, as `qrng read` reads them. */
async function gatedBytes(uri: string, n: number): Promise<Uint8Array> {
  const platform = nodePlatform("node", []);
  const reader = await GatedReader.open(uri, { platform, bytesWanted: Infinity, log: () => {} });
  try {
    return await reader.read(n);
  } finally {
    await reader.close();
  }
}

describe("open()", () => {
  it("reads the device's gated stream in order across read, readInto and readable", async () => {
    const uri = "sim:qcicada?seed=21";
    const expected = await gatedBytes(uri, 400_000);
    const qrng = await openQrng(uri);
    const first = await qrng.read(1000);
    const second = new Uint8Array(199_000);
    await qrng.readInto(second);
    const parts = [first, second];
    const reader = qrng.readable.getReader();
    for (let got = 200_000; got < 400_000;) {
      const { value } = await reader.read();
      parts.push(value!.subarray(0, 400_000 - got));
      got += value!.length;
    }
    const all = new Uint8Array(400_000);
    parts.reduce((at, part) => (all.set(part, at), at + part.length), 0);
    expect(all).toEqual(expected);
    expect(qrng.health?.windowsFailed).toBe(0);
    expect(qrng.emulated).toBe(true);
  }, TIMEOUT_MS);

  it(
    "starts a fresh read session after a device command: its gate tests the start-up samples again",
    async () => {
      const qrng = await openCmdCtrl("sim:qcicada?seed=22");
      await qrng.read(100_000);
      const before = qrng.health!;
      expect(before.bytesReleased).toBeGreaterThanOrEqual(100_000);
      expect((await qrng.status()).started).toBe(true);
      expect(qrng.health).toBeUndefined();
      expect(await qrng.read(100)).toHaveLength(100);
      expect(qrng.health!.bytesReleased).toBeLessThan(before.bytesReleased);
      expect(qrng.health!.startupComplete).toBe(true);
    },
    TIMEOUT_MS,
  );

  it(
    "rejects a read whose own signal aborts with kind interrupted at once, and reads on afterwards",
    async () => {
      const qrng = await openQrng("sim:qcicada?seed=23&rate=20000");
      const started = performance.now();
      const error = await rejection(qrng.read(1_000_000, { signal: AbortSignal.timeout(300) }));
      expect(error.kind).toBe("interrupted");
      // 1 MB at 20 kB/s would take 50 s.
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(await qrng.read(10)).toHaveLength(10);
    },
    TIMEOUT_MS,
  );

  it("ends a pending read with kind interrupted when the signal given to open aborts", async () => {
    const controller = new AbortController();
    const qrng = await openQrng("sim:qcicada?seed=24&rate=20000", { signal: controller.signal });
    const read = qrng.read(1_000_000);
    setTimeout(() => controller.abort(), 300);
    expect((await rejection(read)).kind).toBe("interrupted");
  }, TIMEOUT_MS);

  it("refuses to open with a signal that has aborted already, for every device family", async () => {
    for (const uri of ["sim:qcicada", "sim:xr232usb"]) {
      expect((await rejection(open(uri, { signal: AbortSignal.abort() }))).kind).toBe("interrupted");
    }
  }, TIMEOUT_MS);

  it("fails a read from a stuck device closed, with kind device or health", async () => {
    const qrng = await openQrng("sim:qcicada?seed=25&stuck=100000");
    expect((await rejection(qrng.read(1_000_000))).kind).toMatch(/^(device|health)$/);
  }, TIMEOUT_MS);

  it("refuses every call after close with kind disconnected", async () => {
    const qrng = await openCmdCtrl("sim:qcicada?seed=26");
    await qrng.read(10);
    await qrng.close();
    expect((await rejection(qrng.read(10))).kind).toBe("disconnected");
    expect((await rejection(qrng.status())).kind).toBe("disconnected");
    await qrng.close(); // a second close is harmless
  }, TIMEOUT_MS);

  it("ends a read waiting on a silent device when the source is closed", async () => {
    // The stick's noise source is disturbed (CTS off) for ten minutes after 0.2 s; the default
    // policy waits for it.
    const qrng = await openQrng("sim:xr232usb?seed=6&disturb=0.2s:600s");
    const read = qrng.read(1_000_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const started = performance.now();
    await qrng.close();
    expect((await rejection(read)).kind).toBe("interrupted");
    expect(performance.now() - started).toBeLessThan(20_000);
  }, TIMEOUT_MS);

  it("closes the source when its stream is cancelled", async () => {
    const qrng = await openQrng("sim:qcicada?seed=27");
    const reader = qrng.readable.getReader();
    expect((await reader.read()).value!.length).toBeGreaterThan(0);
    await reader.cancel();
    expect((await rejection(qrng.read(10))).kind).toBe("disconnected");
  }, TIMEOUT_MS);

  it("rejects URIs it cannot open with kind usage, naming the problem", async () => {
    const unknown = await rejection(open("bogus:x"));
    expect(unknown.kind).toBe("usage");
    expect(unknown.message).toMatch(/unknown device scheme 'bogus:'/);
    const noEmulator = await rejection(open("sim:nothing"));
    expect(noEmulator.kind).toBe("usage");
    expect(noEmulator.message).toMatch(/no emulator 'nothing'/);
    expect((await rejection(open("sim:qcicada?colour=blue"))).message).toMatch(/unknown parameter 'colour'/);
  }, TIMEOUT_MS);
});

describe("a Cmd&Ctrl device", () => {
  /** The CA key of qrng's emulator with seed 1, as `qrng emulate qcicada` prints it. */
  const EMULATOR_CA = "14111261afb616ea44109bcca275acd01dc974713019a433ff783cbd38e2d81b" +
    "4a69224e90d9ba208923328b36822d53fc7ff5be9770df8a9700fe503d4f8a3c";

  it("changes only the config fields it is given", async () => {
    const qrng = await openCmdCtrl("sim:qcicada");
    const before = await qrng.config();
    await qrng.setConfig({ blockSize: before.blockSize === 448 ? 256 : 448 });
    const after = await qrng.config();
    expect(after).toEqual({ ...before, blockSize: after.blockSize });
    expect(after.blockSize).not.toBe(before.blockSize);
  }, TIMEOUT_MS);

  it("verifies its certificate against the emulator's CA key and refuses another key", async () => {
    const qrng = await openCmdCtrl("sim:qcicada");
    const check = await qrng.checkCertificate(EMULATOR_CA);
    expect(check).toMatchObject({ serial: "EMUQC0000000001", valid: true });
    const other = await openCmdCtrl("sim:qcicada?seed=2");
    expect((await other.checkCertificate(EMULATOR_CA)).valid).toBe(false);
    expect((await rejection(qrng.checkCertificate("not a key"))).kind).toBe("input");
  }, TIMEOUT_MS);

  it("reads raw bytes in one-shots, from a stream it starts and stops, and signed", async () => {
    const qrng = await openCmdCtrl("sim:qcicada?seed=28");
    expect(await qrng.oneShot(20_000)).toHaveLength(20_000);
    await qrng.startContinuous();
    expect(await qrng.readContinuous(50_000)).toHaveLength(50_000);
    expect((await qrng.stop()).started).toBe(true);
    expect(await qrng.signedRead(1000)).toHaveLength(1000);
    // A gated read after a raw stream left running starts cleanly.
    await qrng.startContinuous();
    expect(await qrng.read(1000)).toHaveLength(1000);
  }, TIMEOUT_MS);

  it("refuses a signed read whose signature does not verify, with kind device", async () => {
    const qrng = await openCmdCtrl("sim:qcicada?seed=29&tamper=1");
    expect((await rejection(qrng.signedRead(100))).kind).toBe("device");
  }, TIMEOUT_MS);

  it("installs a firmware image, reporting progress after every chunk, and runs the hash test", async () => {
    const qrng = await openCmdCtrl("sim:qcicada");
    const progress: number[] = [];
    const result = await qrng.update(new Uint8Array(2500).fill(7), {
      onProgress: (sent) => progress.push(sent),
    });
    expect(result).toEqual({ bytes: 2500, chunks: 3, retries: 0, status: "TRANSFER_COMPLETED" });
    expect(progress).toEqual([1024, 2048, 2500]);
    const hash = await qrng.hashTest(new TextEncoder().encode("abc"));
    expect(hash.match).toBe(true);
    expect(Array.from(hash.hostDigest.subarray(0, 4))).toEqual([0xba, 0x78, 0x16, 0xbf]); // SHA-256("abc")
  }, TIMEOUT_MS);
});

describe("an XR232", () => {
  it("identifies a classic XR232 and reads on after it", async () => {
    const qrng = await openQrng("sim:xr232?seed=5");
    expect(qrng.family).toBe("xr232");
    const identity = await (qrng as Xr232Qrng).ident();
    expect(identity).toMatchObject({ kind: "xr232", recommendedBaud: 38_400, identifiedAt: 1200 });
    expect(await qrng.read(50)).toHaveLength(50);
  }, TIMEOUT_MS);
});
