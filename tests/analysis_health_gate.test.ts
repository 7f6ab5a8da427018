import { describe, expect, it } from "vitest";
import { HealthGate, type HealthTestOptions, isPersistentFailure } from "../wasm/health.ts";
import { biasedBits, idealBytes, randomChunks } from "./_support/analysis_data.ts";

const BYTES: HealthTestOptions = { h: 8, alphaLog2: -20, symbols: "bytes" };
const BITS: HealthTestOptions = { h: 1, alphaLog2: -20, symbols: "bits" };

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) (out.set(p, offset), offset += p.length);
  return out;
}

function runGate(options: HealthTestOptions, data: Uint8Array, chunks: Iterable<Uint8Array> = [data]) {
  const gate = new HealthGate(options);
  const released: Uint8Array[] = [];
  for (const chunk of chunks) released.push(gate.push(chunk).slice());
  return { gate, released: concat(released), stats: gate.stats() };
}

describe("HealthGate", () => {
  it("releases ideal bytes after a start-up of at least 1024 samples and holds the partial window", () => {
    const data = idealBytes(100_000);
    const { gate, released, stats } = runGate(BYTES, data);
    expect(gate.windowBytes).toBe(512);
    expect(stats.startupComplete).toBe(true);
    // 195 whole windows; 2 start-up windows (1024 samples) are tested, never released.
    expect(stats.windowsTested).toBe(195);
    expect(released.length).toBe((stats.windowsPassed - 2) * 512);
    expect(released.length).toBeGreaterThanOrEqual(190 * 512);
    // Released bytes are the input's own windows, in order.
    expect(Buffer.from(released.subarray(0, 512)).equals(Buffer.from(data.subarray(1024, 1536)))).toBe(true);
    expect(isPersistentFailure(stats.windowsFailed, stats.windowsTested, gate.windowFalseRate)).toBe(false);
  });

  it("releases nothing before start-up completes", () => {
    const gate = new HealthGate(BITS);
    expect(gate.windowBytes).toBe(128);
    const data = idealBytes(128 * 8 + 100);
    expect(gate.push(data.subarray(0, 127)).length).toBe(0);
    expect(gate.push(data.subarray(127, 128)).length).toBe(0); // window 1 = start-up (1024 bits)
    expect(gate.push(data.subarray(128, 255)).length).toBe(0); // incomplete window held
    expect(gate.push(data.subarray(255)).length).toBe(128 * 7);
    expect(gate.stats().samples).toBe(8 * 128 * 8);
  });

  it("gives the same released bytes whatever the chunk sizes", () => {
    const data = idealBytes(3 << 20, 3);
    const whole = runGate(BITS, data);
    const pieces = runGate(BITS, data, randomChunks(data, (1 << 20) + 5000));
    expect(pieces.released.length).toBe(whole.released.length);
    expect(Buffer.from(pieces.released).equals(Buffer.from(whole.released))).toBe(true);
    expect(pieces.stats).toEqual(whole.stats);
  });

  it("drops exactly the failing windows of a large push, as window-sized pushes do", () => {
    // After start-up a push is tested in one pass; a pass with a failure is undone and redone
    // window by window. Stuck runs of 8 bytes (RCT cutoff 6 at α = 2^-40) inside windows 10 and
    // 1000, and 4 + 4 across windows 3000 and 3001 (the 6th byte, in 3001, fails only that one).
    const options: HealthTestOptions = { ...BYTES, alphaLog2: -40 };
    const data = idealBytes(2 << 20, 5);
    for (const start of [10 * 512 + 100, 1000 * 512 + 300, 3001 * 512 - 4]) data.fill(0xa5, start, start + 8);
    const whole = runGate(options, data);
    const windowIndices = Array.from({ length: data.length / 512 }, (_, i) => i);
    const windows = runGate(options, data, windowIndices.map((i) => data.subarray(i * 512, i * 512 + 512)));
    expect(whole.stats).toEqual(windows.stats);
    expect(Buffer.from(whole.released).equals(Buffer.from(windows.released))).toBe(true);
    const failing = [10, 1000, 3001];
    expect(whole.stats.windowsFailed).toBe(failing.length);
    const expected = concat(
      windowIndices.filter((i) => i >= 2 && !failing.includes(i)).map((i) =>
        data.subarray(i * 512, i * 512 + 512)
      ),
    );
    expect(Buffer.from(whole.released).equals(Buffer.from(expected))).toBe(true);
  });

  it("releases through inputSpace and commit exactly what push releases", () => {
    const data = idealBytes(3 << 20, 4);
    data.fill(0x11, 700_000, 700_010); // one failing window, compacted over in place
    const pushed = runGate(BYTES, data, randomChunks(data, 300_000));
    const gate = new HealthGate(BYTES);
    const released: Uint8Array[] = [];
    for (const chunk of randomChunks(data, 300_000, 11)) {
      for (let offset = 0; offset < chunk.length;) {
        const space = gate.inputSpace();
        const take = Math.min(space.length, chunk.length - offset);
        space.set(chunk.subarray(offset, offset + take));
        released.push(gate.commit(take).slice());
        offset += take;
      }
    }
    expect(gate.stats()).toEqual(pushed.stats);
    expect(gate.stats().windowsFailed).toBe(1);
    expect(Buffer.from(concat(released)).equals(Buffer.from(pushed.released))).toBe(true);
    expect(() => gate.commit(1)).toThrow(RangeError); // nothing written since the last commit
  });

  it("blocks a stuck source completely", () => {
    // A byte source stuck at one value, and a bit source stuck at 0. (A repeated byte such as
    // 0x5a is a pattern, not a stuck bit: bit-level RCT/APT cannot see it, byte-level tests do.)
    const stuckByte = new Uint8Array(50_000).fill(0x5a);
    const stuckBit = new Uint8Array(50_000);
    for (
      const [options, stuck] of [[BYTES, stuckByte], [BITS, stuckBit], [
        { ...BYTES, h: 1 },
        stuckByte,
      ]] as const
    ) {
      const { released, stats, gate } = runGate(options, stuck);
      expect(released.length).toBe(0);
      expect(stats.rctFailures).toBeGreaterThan(0);
      expect(isPersistentFailure(stats.windowsFailed, stats.windowsTested, gate.windowFalseRate)).toBe(true);
    }
  });

  it("blocks a stuck bit source (all ones) with RCT failures at the cutoff", () => {
    const { released, stats } = runGate(BITS, new Uint8Array(1024).fill(0xff));
    expect(released.length).toBe(0);
    expect(stats.rctFailures).toBe(Math.floor(8192 / 21)); // C = 21: every 21st repetition fails
  });

  it("blocks a biased bit source through the APT and the bit-count test", () => {
    const biased = biasedBits(200_000, 0.2); // ~60 % ones
    const apt = runGate(BITS, biased);
    expect(apt.stats.aptFailures).toBeGreaterThan(apt.stats.windowsTested * 0.4);
    expect(isPersistentFailure(apt.stats.windowsFailed, apt.stats.windowsTested, apt.gate.windowFalseRate))
      .toBe(true);
    const withCount = runGate({ ...BYTES, h: 7, bitcount: { blockBits: 4096, alphaLog2: -20 } }, biased);
    expect(withCount.gate.windowBytes).toBe(512);
    expect(withCount.stats.bitcountFailures).toBe(withCount.stats.windowsTested);
    expect(withCount.released.length).toBe(0);
  });

  it("passes ideal data through the bit-count test", () => {
    const { stats, gate } = runGate(
      { ...BITS, bitcount: { blockBits: 4096, alphaLog2: -20 } },
      idealBytes(200_000, 9),
    );
    expect(gate.windowBytes).toBe(512);
    expect(stats.bitcountFailures).toBe(0);
  });

  it("blocks a source that repeats one byte value too often", () => {
    // Every 20th byte is zero: p(0) ≈ 0.054 > 2^-8, so zero-led windows fail the APT (C = 13).
    const data = idealBytes(400_000, 4);
    for (let i = 0; i < data.length; i += 20) data[i] = 0;
    const { stats } = runGate(BYTES, data);
    expect(stats.aptFailures).toBeGreaterThan(0);
  });

  it("rejects impossible parameters", () => {
    expect(() => new HealthGate({ ...BITS, h: 2 })).toThrow(RangeError);
    expect(() => new HealthGate({ ...BYTES, alphaLog2: 3 })).toThrow(RangeError);
    expect(() => new HealthGate({ ...BYTES, bitcount: { blockBits: 100, alphaLog2: -20 } })).toThrow(
      RangeError,
    );
  });
});
