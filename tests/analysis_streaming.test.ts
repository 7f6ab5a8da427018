import { describe, expect, it } from "vitest";
import { type AnalysisOptions, Analyzer } from "../wasm/analysis.ts";
import { idealBytes, randomChunks } from "./_support/analysis_data.ts";

/** Ideal data with structure that drives every slow path: stuck stretches, long runs, ramps, repeats. */
function mixedData(length: number, seed: number): Uint8Array {
  const data = idealBytes(length, seed);
  const noise = idealBytes(4096, seed + 99);
  for (let k = 0; k < 64; k++) {
    const at = (noise[2 * k] << 16 | noise[2 * k + 1] << 8 | noise[k + 200]) % (length - 5000);
    const kind = noise[k + 400] % 5;
    const span = 1 + noise[k + 600] * 8;
    if (kind === 0) data.fill(0, at, at + span); // stuck low: long runs, RCT, DSV extremes
    else if (kind === 1) data.fill(0xff, at, at + span);
    else if (kind === 2) { for (let i = 0; i < span; i++) data[at + i] = i & 255; // ramp
     } else if (kind === 3) data.copyWithin(at + 4, at, at + span); // repeated words
    else data.fill(noise[k], at, at + 3); // short repeats
  }
  return data;
}

function analyse(options: AnalysisOptions, chunks: Iterable<Uint8Array>) {
  const a = new Analyzer(options);
  for (const chunk of chunks) a.push(chunk);
  return a.results();
}

const OPTIONS: AnalysisOptions[] = [
  { health: { h: 8, alphaLog2: -20, symbols: "bytes", bitcount: { blockBits: 1024, alphaLog2: -20 } } },
  { health: { h: 0.9, alphaLog2: -20, symbols: "bits", bitcount: { blockBits: 4096, alphaLog2: -30 } } },
  { health: { h: 2, alphaLog2: -20, symbols: "bytes" }, ent: false },
];

describe("Analyzer streaming", () => {
  for (const [i, options] of OPTIONS.entries()) {
    it(`gives identical results for any chunking (property, options ${i})`, () => {
      for (const seed of [1, 2]) {
        const data = mixedData((2 << 20) + 12_345, seed * 10 + i);
        const whole = analyse(options, [data]);
        // Random chunk sizes from 1 byte to beyond the 1 MiB input buffer.
        const chunked = analyse(options, randomChunks(data, (1 << 20) + 70_000, seed * 31 + i));
        expect(chunked).toEqual(whole);
        // The test is not vacuous: the data exercises failures.
        expect(whole.fips!.failed).toBeGreaterThan(0);
        expect(whole.health!.rct.failures).toBeGreaterThan(0);
      }
    });
  }

  it("gives identical results byte by byte on a small input", () => {
    const data = mixedData(40_000, 5);
    const whole = analyse(OPTIONS[0], [data]);
    const bytes = analyse(
      OPTIONS[0],
      (function* () {
        for (let i = 0; i < data.length; i++) yield data.subarray(i, i + 1);
      })(),
    );
    expect(bytes).toEqual(whole);
  });

  it("accepts reads straight into the input buffer", () => {
    const data = idealBytes(3_000_000, 8);
    const a = new Analyzer();
    const buffer = a.inputBuffer();
    expect(buffer.length).toBe(1 << 20);
    for (let offset = 0; offset < data.length; offset += 777_777) {
      const piece = data.subarray(offset, offset + 777_777);
      buffer.set(piece);
      a.update(piece.length);
    }
    const b = new Analyzer();
    b.push(data);
    expect(a.results()).toEqual(b.results());
    expect(() => a.update(buffer.length + 1)).toThrow(RangeError);
  });

  it("keeps memory fixed however much data goes through", () => {
    const a = new Analyzer({ health: { h: 8, alphaLog2: -20, symbols: "bytes" } });
    const before = a.inputBuffer().buffer.byteLength;
    const chunk = idealBytes(1 << 20, 12);
    for (let i = 0; i < 32; i++) a.push(chunk);
    expect(a.inputBuffer().buffer.byteLength).toBe(before);
    expect(a.results().bytes).toBe(32 << 20);
  });
});
