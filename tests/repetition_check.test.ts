/**
 * The repetition check (core/analysis/repeat.ts): every stretch of the far tier's guaranteed
 * length that recurs within 256 MiB, and of the near tier's within 4 MiB, is found, at every
 * period and alignment tried, in any chunking, also where the exact slow paths decide; ideal
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
const NEAR_STRETCH = repetitionParameters(8).nearStretchBytes;
const NEAR_HISTORY = repetitionParameters(8).nearHistoryBytes;

function repetition(data: Uint8Array, chunks: Iterable<Uint8Array> = [data], hPerByte = 8) {
  const analyzer = new Analyzer({ fips: false, ent: false, dsv: false, repetition: { hPerByte } });
  for (const chunk of chunks) analyzer.push(chunk);
  return analyzer.results().repetition!;
}

/** Copies `length` bytes from `from` to `from + period`, byte by byte (so a short period repeats). */
function plant(data: Uint8Array, from: number, period: number, length: number): void {
  for (let i = 0; i < length; i++) data[from + period + i] = data[from + i];
}

/**
 * Plants a copy of the `length` bytes at `from` of `data` `distance` bytes later and expects
 * the check to find it: at that distance, inside the planted stretch.
 */
function expectFound(data: Uint8Array, from: number, distance: number, length: number): void {
  plant(data, from, distance, length);
  const r = repetition(data);
  expect(r.repeats, `distance ${distance} at ${from}`).toBeGreaterThan(0);
  expect(r.first[0].later - r.first[0].earlier).toBe(distance);
  expect(r.first[0].earlier).toBeGreaterThanOrEqual(from);
  expect(r.first[0].later + 32).toBeLessThanOrEqual(from + distance + length);
}

/** A seeded uniform integer source in [0, n) (xorshift32), for offsets and distances. */
function randomInts(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** The selection value of a 2-byte gram, little-endian `x` (core: v = x·0x79b1 mod 2^16). */
const selectionValue = (x: number) => Math.imul(x, 0x79b1) & 0xffff;

/**
 * The first three byte values (in order) whose 2-byte grams all have selection values at or
 * above `atLeast`, and, with `someBelow`, some of them below that.
 */
function symbolsAbove(atLeast: number, someBelow = Infinity): number[] {
  for (let a = 0; a < 256; a++) {
    for (let b = a + 1; b < 256; b++) {
      for (let c = b + 1; c < 256; c++) {
        const values = [a, b, c].flatMap((x) => [a, b, c].map((y) => selectionValue(x | y << 8)));
        if (values.every((v) => v >= atLeast) && values.some((v) => v < someBelow)) return [a, b, c];
      }
    }
  }
  throw new Error(`no three symbols with selection values from ${atLeast}`);
}

/** Candidates: v below this (wasm/repetition.ts: 10 per far window); wide ones: 4 times as many. */
const CANDIDATE_BELOW = Math.floor(65536 * 10 / 2047);
const WIDE_BELOW = 4 * CANDIDATE_BELOW;

describe("the repetition check", () => {
  it("guarantees 2078-byte stretches within 256 MiB and 1054-byte ones within 4 MiB at H = 8, longer ones for lower claims", () => {
    expect(STRETCH).toBe(2078);
    expect(NEAR_STRETCH).toBe(1054);
    expect(NEAR_HISTORY).toBe(4 << 20);
    expect(repetitionParameters(1).stretchBytes).toBe(2047 + 256 - 1);
    expect(repetitionParameters(1).nearStretchBytes).toBe(1023 + 256 - 1);
    expect(repetitionParameters(1 / 16).stretchBytes).toBe(2047 + 4096 - 1);
    expect(repetitionParameters(8).tableBytes).toBe((8 << 20) + (256 << 10));
    expect(repetitionParameters(8).falseAlarmsPerTiB).toBeLessThan(1e-18);
  });

  it("finds a stretch of exactly the near guarantee's length recurring at random offsets and distances up to 4 MiB", () => {
    const random = randomInts(2026);
    const distances = [29, 64, 1023, 1024, 4096, 65_537, 1 << 20, NEAR_HISTORY - NEAR_STRETCH, NEAR_HISTORY];
    for (let trial = 0; trial < 60; trial++) {
      distances.push(29 + random(trial < 50 ? 200_000 : NEAR_HISTORY - 29));
    }
    distances.forEach((distance, trial) => {
      const from = random(50_000);
      expectFound(
        idealBytes(from + distance + NEAR_STRETCH + random(3000), 500 + trial),
        from,
        distance,
        NEAR_STRETCH,
      );
    });
  });

  it("does not trip on 64 MiB of the sim:qcicada stream, and fingerprints 1 position in 512 near and 1 in 1024 far", () => {
    const data = new SeededBytes(11).take(64 << 20);
    const r = repetition(data, randomChunks(data, 3 << 20, 11));
    expect(r.repeats).toBe(0);
    expect(r.overloads).toBe(0);
    expect(r.nearSelected / r.bytes).toBeCloseTo(1 / 512, 4);
    expect(r.selected / r.bytes).toBeCloseTo(1 / 1024, 4);
  });

  it("finds a stretch of the guaranteed length repeated at periods from 29 bytes to 1 MiB, at many alignments", () => {
    const periods = [29, 30, 64, 100, 511, 4096, 65_537, 1 << 20];
    let trial = 0;
    for (const period of periods) {
      for (const from of [0, 1, 15, 777, 2046, 2047, 100_003, 300_017]) {
        expectFound(idealBytes(from + period + STRETCH + 4096, 40 + trial++), from, period, STRETCH);
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

  it("finds repeats of both guaranteed lengths where no position is a candidate, or not even a wide one (the exact slow paths)", () => {
    const noise = idealBytes(600_000, 13);
    // No candidate anywhere but wide ones here and there: every near window is searched among
    // those; then none at all: every position is fed.
    for (const symbols of [symbolsAbove(CANDIDATE_BELOW, WIDE_BELOW), symbolsAbove(WIDE_BELOW)]) {
      for (
        const [from, period, length] of [[0, 29, STRETCH], [5000, 3000, NEAR_STRETCH], [
          20_000,
          200_001,
          NEAR_STRETCH,
        ], [9000, 300_017, STRETCH]]
      ) {
        const data = Uint8Array.from(noise, (b) => symbols[b % 3]); // 50 bits per 32-byte gram
        plant(data, from, period, length);
        const r = repetition(data, randomChunks(data, 50_000, period));
        expect(r.repeats, `period ${period}, symbols ${symbols}`).toBeGreaterThan(0);
        expect(r.first.every(({ earlier, later }) => later - earlier === period)).toBe(true);
      }
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
    for (const [from, period] of [[5000, 29], [1_000_000, 70_001], [2_000_000, 1 << 20]]) {
      plant(data, from, period, STRETCH);
    }
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

  it("stops in the read that completes a repeat of exactly either guaranteed stretch, at random offsets and reads as small as one window", () => {
    // A run's minimum used to be selected only when the next candidate came, up to a window
    // later: with small reads the gate had released up to ~160 bytes of the repeat by then.
    const leaks: string[] = [];
    for (let trial = 0; trial < 120; trial++) {
      const from = 5000 + trial * 977, period = 3000 + trial * 7919;
      const length = trial % 3 ? NEAR_STRETCH : STRETCH;
      const stream = idealBytes(from + period + length + 20_000, 1000 + trial);
      stream.copyWithin(from + period, from, from + length);
      const readBytes = trial % 2 ? 512 : 100 + trial * 37;
      const health = new ReadHealth();
      let output = 0, error: unknown;
      try {
        for (let offset = 0; offset < stream.length; offset += readBytes) {
          output += health.push(stream.subarray(offset, offset + readBytes)).length;
        }
      } catch (e) {
        error = e;
      }
      if (!(error instanceof QrngError)) leaks.push(`trial ${trial}: not found`);
      else if (1024 + output > from + period) {
        leaks.push(`trial ${trial}: ${1024 + output - from - period} bytes of the repeat output`);
      }
    }
    expect(leaks).toEqual([]);
  });

  for (
    const [from, at, block, readBytes] of [[100_000, 300_000, 4096, 65_536], [5000, 2_000_000, 2100, 4096], [
      70_000,
      70_000 + (64 << 10),
      64 << 10,
      1400,
    ]]
  ) {
    it(`stops at a ${block}-byte block replayed ${at - from} bytes later (reads of ${readBytes}), none of the replay output`, () => {
      const { stream, output, error } = readReplay(from, at, block, readBytes);
      expect(error).toBeInstanceOf(QrngError);
      expect((error as QrngError).kind).toBe("health");
      expect((error as QrngError).message).toMatch(
        new RegExp(
          `^Repetition check: the 32 bytes at stream offset \\d+ repeat those at offset \\d+, ${
            at - from
          } bytes earlier`,
        ),
      );
      // The output is the stream after the 1024 start-up bytes, up to before the replay.
      expect(output.equals(Buffer.from(stream.subarray(1024, 1024 + output.length)))).toBe(true);
      expect(1024 + output.length).toBeLessThanOrEqual(at);
    });
  }
});
