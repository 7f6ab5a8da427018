/**
 * The repetition check (core/analysis/repeat.ts): every stretch of its guaranteed length that
 * recurs within 256 MiB is found, at every period and alignment tried, in any chunking; ideal
 * data never trips it; and `qrng read`'s health policy stops at a replayed block of the
 * sim:qcicada stream with nothing of the replay output.
 */
import { describe, expect, it } from "vitest";
import { Analyzer } from "../wasm/analysis.ts";
import { HealthGate } from "../wasm/health.ts";
import { repetitionParameters } from "../wasm/repetition.ts";
import { ReadHealth } from "../cli/sources/health.ts";
import { QrngError } from "../cli/errors.ts";
import { SeededBytes } from "../cli/emulators/seeded_bytes.ts";
import { idealBytes, randomChunks } from "./_support/analysis_data.ts";

const STRETCH = repetitionParameters(8).stretchBytes;

function repetition(data: Uint8Array, chunks: Iterable<Uint8Array> = [data], hPerByte = 8) {
  const analyzer = new Analyzer({ fips: false, ent: false, dsv: false, repetition: { hPerByte } });
  for (const chunk of chunks) analyzer.push(chunk);
  return analyzer.results().repetition!;
}

/** Copies `length` bytes from `from` to `from + period`, byte by byte (so a short period repeats). */
function plant(data: Uint8Array, from: number, period: number, length: number): void {
  for (let i = 0; i < length; i++) data[from + period + i] = data[from + i];
}

describe("the repetition check", () => {
  it("guarantees 2078-byte stretches at H = 8 and longer ones for lower claims", () => {
    expect(STRETCH).toBe(2078);
    expect(repetitionParameters(1).stretchBytes).toBe(2047 + 256 - 1);
    expect(repetitionParameters(1 / 16).stretchBytes).toBe(2047 + 4096 - 1);
    expect(repetitionParameters(8).tableBytes).toBe(8 << 20);
    expect(repetitionParameters(8).falseAlarmsPerTiB).toBeLessThan(1e-18);
  });

  it("finds a stretch of the guaranteed length repeated at periods from 29 bytes to 1 MiB, at many alignments", () => {
    const periods = [29, 30, 64, 100, 511, 4096, 65_537, 1 << 20];
    let trial = 0;
    for (const period of periods) {
      for (const from of [0, 1, 15, 777, 2046, 2047, 100_003, 300_017]) {
        const data = idealBytes(from + period + STRETCH + 4096, 40 + trial++);
        plant(data, from, period, STRETCH);
        const r = repetition(data);
        expect(r.repeats, `period ${period} at ${from}`).toBeGreaterThan(0);
        expect(r.first[0].later - r.first[0].earlier).toBe(period);
        expect(r.first[0].earlier).toBeGreaterThanOrEqual(from);
        expect(r.first[0].later + 32).toBeLessThanOrEqual(from + period + STRETCH);
      }
    }
  });

  it("finds a repeat 200 MiB apart, and none 256 MiB + 1000 bytes apart (beyond the history)", () => {
    const period = 200 << 20;
    const data = idealBytes((256 << 20) + (4 << 20), 77);
    plant(data, 123_457, period, STRETCH);
    plant(data, 2_000_000, (256 << 20) + 1000, STRETCH);
    const r = repetition(data);
    expect(r.repeats).toBeGreaterThan(0);
    for (const { earlier, later } of r.first) expect(later - earlier).toBe(period);
    expect(r.overloads).toBe(0);
    expect(r.selected / r.bytes).toBeCloseTo(1 / 1024, 4);
  });

  it("finds repeats where no position is a candidate (every run through the exact slow path)", () => {
    // Three byte values whose 2-byte grams all hash above the candidate threshold (core:
    // v = x·0x79b1 mod 2^16 for the little-endian gram x).
    const value = (x: number) => Math.imul(x, 0x79b1) & 0xffff;
    const threshold = Math.floor(65536 * 10 / 2047);
    let symbols: number[] = [];
    for (let a = 0; a < 256 && symbols.length < 3; a++) {
      const next = [...symbols, a];
      if (next.every((x) => next.every((y) => value(x | y << 8) >= threshold))) symbols = next;
    }
    expect(symbols.length).toBe(3);
    const noise = idealBytes(300_000, 13);
    for (const [from, period] of [[0, 29], [5000, 3000], [20_000, 200_001]]) {
      const data = Uint8Array.from(noise, (b) => symbols[b % 3]); // 50 bits per 32-byte gram
      plant(data, from, period, STRETCH);
      const r = repetition(data, randomChunks(data, 50_000, period));
      expect(r.repeats, `period ${period}`).toBeGreaterThan(0);
      expect(r.first.every(({ earlier, later }) => later - earlier === period)).toBe(true);
    }
  });

  it("finds periodic data of any period, a 0..255 counter and a 4 KiB block repeated forever", () => {
    for (const period of [1, 2, 28, 29, 31, 97, 256, 4096]) {
      const data = idealBytes(64 << 10, period);
      plant(data, 0, period, data.length - period); // the first `period` bytes, forever
      expect(repetition(data).repeats, `period ${period}`).toBeGreaterThan(0);
    }
    const counter = Uint8Array.from({ length: 64 << 10 }, (_, i) => i & 255);
    const r = repetition(counter);
    expect(r.repeats).toBeGreaterThan(0);
    expect((r.first[0].later - r.first[0].earlier) % 256).toBe(0);
  });

  it("gives the same findings whatever the chunking", () => {
    const data = idealBytes(3 << 20, 9);
    for (const [from, period] of [[5000, 29], [1_000_000, 70_001], [2_000_000, 1 << 20]]) plant(data, from, period, STRETCH);
    const whole = repetition(data);
    expect(whole.repeats).toBeGreaterThanOrEqual(3);
    expect(repetition(data, randomChunks(data, 200_000, 3))).toEqual(whole);
    expect(repetition(data.subarray(0, 400_000), randomChunks(data.subarray(0, 400_000), 40, 5)))
      .toEqual(repetition(data.subarray(0, 400_000)));
    const low = idealBytes(2 << 20, 10);
    plant(low, 10_000, 500_000, repetitionParameters(0.5).stretchBytes);
    const lowWhole = repetition(low, [low], 0.5);
    expect(lowWhole.repeats).toBeGreaterThan(0);
    expect(repetition(low, randomChunks(low, 100_000, 4), 0.5)).toEqual(lowWhole);
  });

  it("holds released bytes back until a repeat in them would have been found", () => {
    const data = idealBytes(200_000, 12);
    const plain = new HealthGate({ h: 8, alphaLog2: -40, symbols: "bytes" });
    const checked = new HealthGate({ h: 8, alphaLog2: -40, symbols: "bytes", repetition: true });
    const out: number[] = [];
    for (const chunk of randomChunks(data, 20_000, 8)) {
      const a = plain.push(chunk).length, b = checked.push(chunk).length;
      out.push(a - b);
    }
    const released = plain.stats().bytesReleased;
    expect(out.reduce((x, y) => x + y, 0)).toBe(STRETCH - 1); // the last stretch, still held
    expect(checked.stats().bytesReleased).toBe(released);
    expect(checked.stats().repetition!.repeats).toBe(0);
  });
});

describe("qrng read's health policy against a replaying source", () => {
  /** The sim:qcicada stream with `block` bytes at `from` replayed at `at`, in reads of `readBytes`. */
  function readReplay(from: number, at: number, block: number, readBytes: number) {
    const stream = new SeededBytes(3).take(at + block + (1 << 20));
    stream.copyWithin(at, from, from + block);
    const health = new ReadHealth();
    const out: Uint8Array[] = [];
    let error: unknown;
    try {
      for (let offset = 0; offset < stream.length; offset += readBytes) {
        out.push(health.push(stream.subarray(offset, offset + readBytes)).slice());
      }
    } catch (e) {
      error = e;
    }
    const output = Buffer.concat(out);
    return { stream, output, error };
  }

  for (const [from, at, block, readBytes] of [[100_000, 300_000, 4096, 65_536], [5000, 2_000_000, 2100, 4096], [70_000, 70_000 + (64 << 10), 64 << 10, 1400]]) {
    it(`stops at a ${block}-byte block replayed ${at - from} bytes later (reads of ${readBytes}), none of the replay output`, () => {
      const { stream, output, error } = readReplay(from, at, block, readBytes);
      expect(error).toBeInstanceOf(QrngError);
      expect((error as QrngError).kind).toBe("health");
      expect((error as QrngError).message).toMatch(
        new RegExp(`^Repetition check: the 32 bytes at stream offset \\d+ repeat those at offset \\d+, ${at - from} bytes earlier`),
      );
      // The output is the stream after the 1024 start-up bytes, up to before the replay.
      expect(output.equals(Buffer.from(stream.subarray(1024, 1024 + output.length)))).toBe(true);
      expect(1024 + output.length).toBeLessThanOrEqual(at);
    });
  }
});
