import { describe, expect, it } from "vitest";
import { classify, repeatingCycle, Xr232Reader } from "../cli/devices/xr232_reader.ts";
import { EMULATED_IDENTIFICATION } from "../cli/emulators/xr232_device.ts";
import { Xr232SimPort } from "../cli/sources/xr232_sim_port.ts";
import { runTimeline } from "../cli/emulators/xr232_timeline.ts";
import { type Disturbance, Xr232Model } from "../wasm/xr232.ts";

const clock = {
  now: () => performance.now(),
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
};

/** The bytes `qrng model` writes for a host that keeps asking: the oracle for the emulator. */
async function modelBytes(
  seed: bigint,
  baud: number,
  n: number,
  schedule: Disturbance[] = [],
): Promise<Buffer> {
  const model = new Xr232Model(seed, {}, schedule);
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < n) {
    const t = await runTimeline(
      model,
      0.05,
      baud,
      (b) => void (chunks.push(Buffer.from(b)), (total += b.length)),
    );
    expect(t.final.eventsLost).toBe(0);
  }
  return Buffer.concat(chunks).subarray(0, n);
}

/** A sim port that also records every byte the device answered. */
function recordingPort(seed: bigint, baud: number, schedule: Disturbance[] = []) {
  const port = new Xr232SimPort("xr232usb", baud, clock, { seed, schedule });
  const answered: number[] = [];
  const read = port.read.bind(port);
  port.read = async (buffer, timeoutMs) => {
    const n = await read(buffer, timeoutMs);
    answered.push(...buffer.subarray(0, n));
    return n;
  };
  return { port, answered };
}

describe("XR232 driver over the in-process emulator", () => {
  it("reads exactly the bytes of the seeded model", async () => {
    const port = new Xr232SimPort("xr232usb", 230_400, clock, { seed: 21n });
    const reader = new Xr232Reader(port, { baud: 230_400, ...clock, log: () => {} });
    const out = new Uint8Array(50_000);
    await reader.readInto(out.subarray(0, 1234));
    await reader.readInto(out.subarray(1234));
    expect(Buffer.from(out)).toEqual(await modelBytes(21n, 230_400, 50_000));
  });

  it("waits out a long disturbance with a generous timeout and loses nothing", async () => {
    const schedule = [{ startS: 0.15, durationS: 0.06 }];
    const lines: string[] = [];
    const port = new Xr232SimPort("xr232usb", 230_400, clock, { seed: 5n, schedule });
    const reader = new Xr232Reader(port, { baud: 230_400, ...clock, log: (l) => lines.push(l) });
    const out = new Uint8Array(4000);
    await reader.readInto(out);
    expect(port.device.model.stats().ctsDrops).toBe(1);
    expect(reader.reopens).toBe(0);
    expect(Buffer.from(out)).toEqual(await modelBytes(5n, 230_400, 4000, schedule));
  });

  it("recovers from a long disturbance with a strict timeout by reopening, with no byte filled or repeated", async () => {
    const schedule = [{ startS: 0.15, durationS: 0.2 }];
    const lines: string[] = [];
    const { port, answered } = recordingPort(6n, 230_400, schedule);
    const reader = new Xr232Reader(port, {
      baud: 230_400,
      ctsTimeout: 30,
      startupMs: 1000,
      ...clock,
      log: (l) => lines.push(l),
    });
    const out = new Uint8Array(5000);
    await reader.readInto(out);
    expect(reader.reopens).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => /no data for \d+ ms .*closing, waiting, reopening \(1 of 5\)/.test(l))).toBe(
      true,
    );
    expect(Buffer.from(out)).toEqual(Buffer.from(answered));
    // the part before the disturbance is the model's stream; nothing of it comes again after
    const before = await modelBytes(6n, 230_400, 1100, schedule);
    expect(Buffer.from(out.subarray(0, 1100))).toEqual(before);
    const tail = Buffer.from(out.subarray(1200));
    for (let i = 0; i + 16 <= 1100; i += 50) expect(tail.indexOf(before.subarray(i, i + 16))).toBe(-1);
  });

  it("gives up after the last reopen when the device never answers, and says why", async () => {
    const { port } = recordingPort(7n, 230_400, [{ startS: 0, durationS: 100 }]);
    const reader = new Xr232Reader(port, {
      baud: 230_400,
      ctsTimeout: 20,
      startupMs: 200,
      maxReopens: 2,
      ...clock,
      log: () => {},
    });
    await expect(reader.readInto(new Uint8Array(100))).rejects.toThrow(/no data for \d+ ms after 2 reopens/);
  });
});

describe("identification", () => {
  it("finds the repeating cycle of an identification answer", () => {
    const text = new TextEncoder().encode(EMULATED_IDENTIFICATION.repeat(3).slice(0, 130));
    expect(repeatingCycle(text)).toBe(EMULATED_IDENTIFICATION);
    expect(classify(text)).toMatchObject({
      kind: "xr232usb",
      identification: EMULATED_IDENTIFICATION,
      recommendedBaud: 230_400,
    });
  });

  it("calls random bytes a classic XR232 and an answer of one cycle only not an identification", () => {
    const model = new Xr232Model(1n);
    model.advance(1, true);
    expect(classify(model.serve(160, 1200)).kind).toBe("xr232");
    expect(repeatingCycle(new TextEncoder().encode("XR232USB V1.1"))).toBeUndefined();
    expect(classify(new Uint8Array(0)).kind).toBe("unknown");
  });

  it("calls a constant, a repeating pattern, few values or few bytes no XR232 and says what it saw", () => {
    expect(classify(new Uint8Array(160).fill(0x12))).toMatchObject({
      kind: "other",
      seen: "0x12, 160 times",
    });
    const pattern = Uint8Array.from({ length: 160 }, (_, i) => [0xde, 0xad, 0x01][i % 3]);
    expect(classify(pattern)).toMatchObject({
      kind: "other",
      seen: "a repeating 3-byte pattern (de ad 01) in 160 bytes",
    });
    const model = new Xr232Model(2n);
    model.advance(1, true);
    const twoValues = model.serve(160, 1200).map((b) => (b & 1 ? 0xff : 0)); // random, but only 2 values
    expect(classify(twoValues).seen).toBe(
      "only 2 distinct byte values in 160 bytes (random bytes give about 119)",
    );
    expect(classify(new Uint8Array([0x12, 0x99]))).toMatchObject({ kind: "other" });
    expect(classify(new Uint8Array([0x12, 0x99])).seen).toMatch(/^only 2 byte\(s\) \(12 99\), too few/);
  });
});
