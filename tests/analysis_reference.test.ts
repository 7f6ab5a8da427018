import { describe, expect, it } from "vitest";
import { Analyzer } from "../wasm/analysis.ts";
import { idealBytes } from "./_support/analysis_data.ts";

// Bit-serial reference implementations written straight from ../shared/spec/analysis.md:
// slow and obvious, an independent oracle for the word-parallel kernels on crafted inputs.

function bitsOf(data: Uint8Array): number[] {
  const bits: number[] = [];
  for (const b of data) for (let j = 7; j >= 0; j--) bits.push((b >> j) & 1);
  return bits;
}

/** FIPS 140-2 per the spec: returns per-test failure counts and failed block count. */
function referenceFips(data: Uint8Array) {
  const failures = [0, 0, 0, 0, 0];
  let failed = 0, blocks = 0;
  let last32 = data[0] | data[1] << 8 | data[2] << 16 | data[3] << 24;
  const low = [2315, 1114, 527, 240, 103, 103], high = [2685, 1386, 723, 384, 209, 209];
  for (let start = 4; start + 2500 <= data.length; start += 2500, blocks++) {
    const block = data.subarray(start, start + 2500);
    const bits = bitsOf(block);
    const ones = bits.reduce((a, b) => a + b, 0);
    const f = new Array(16).fill(0);
    for (const b of block) (f[b >> 4]++, f[b & 15]++);
    const poker = f.reduce((a, x) => a + x * x, 0);
    const runs = [new Array(6).fill(0), new Array(6).fill(0)];
    let long = false;
    for (let i = 0; i < bits.length;) {
      let j = i;
      while (j < bits.length && bits[j] === bits[i]) j++;
      runs[bits[i]][Math.min(j - i, 6) - 1]++;
      if (j - i >= 26) long = true;
      i = j;
    }
    let continuous = false;
    for (let i = 0; i < 2500; i += 4) {
      const w = block[i] | block[i + 1] << 8 | block[i + 2] << 16 | block[i + 3] << 24;
      if (w === last32) continuous = true;
      last32 = w;
    }
    const results = [
      ones >= 10275 || ones <= 9725,
      poker > 1576928 || poker < 1563176,
      runs.some((r) => r.some((c, k) => c < low[k] || c > high[k])),
      long,
      continuous,
    ];
    results.forEach((bad, t) => bad && failures[t]++);
    if (results.some(Boolean)) failed++;
  }
  return { blocks, failed, failures };
}

/** RCT per the spec over bytes or bits; returns the failure offsets. */
function referenceRct(samples: number[], cutoff: number): number[] {
  const offsets: number[] = [];
  let a = -1, b = 0;
  samples.forEach((x, i) => {
    if (x === a) {
      if (++b >= cutoff) (offsets.push(i), a = -1, b = 0);
    } else (a = x, b = 1);
  });
  return offsets;
}

/** Ideal bytes with runs of `length` ones placed at several offsets, including across block edges. */
function withRuns(length: number): Uint8Array {
  const data = idealBytes(4 + 2500 * 8, length);
  const starts = [
    4 * 8 + 100,
    (4 + 2500) * 8 - length + 3,
    (4 + 5000) * 8 - 7,
    (4 + 7500) * 8 + 11,
    (4 + 12500) * 8 - length,
  ];
  for (const s of starts) {
    const set = (i: number, v: number) => {
      const byte = i >> 3, bit = 7 - (i & 7);
      data[byte] = v ? data[byte] | (1 << bit) : data[byte] & ~(1 << bit);
    };
    set(s - 1, 0);
    for (let i = 0; i < length; i++) set(s + i, 1);
    set(s + length, 0);
  }
  return data;
}

describe("word-parallel kernels agree with bit-serial references", () => {
  for (const length of [6, 7, 24, 25, 26, 27, 40, 64, 65, 200]) {
    it(`FIPS counts match with runs of ${length} ones placed across block edges`, () => {
      const data = withRuns(length);
      const a = new Analyzer();
      a.push(data);
      const f = a.results().fips!;
      expect({ blocks: f.blocks, failed: f.failed, failures: f.failures }).toEqual(referenceFips(data));
      // A run of 26 or more inside a block is a long-run failure; 25 never is.
      if (length <= 25) expect(f.failures[3]).toBe(0);
      else expect(f.failures[3]).toBeGreaterThan(0);
    });
  }

  it("FIPS counts match on data with stuck bytes and repeated words", () => {
    const data = idealBytes(4 + 2500 * 20, 77);
    data.fill(0, 3000, 3004); // two whole zero bytes next to ideal data
    data.fill(0xff, 9000, 9006);
    data.copyWithin(20_004, 20_000, 20_004); // a repeated 32-bit word: continuous-run failure
    const a = new Analyzer();
    a.push(data);
    const f = a.results().fips!;
    expect({ blocks: f.blocks, failed: f.failed, failures: f.failures }).toEqual(referenceFips(data));
    expect(f.failures[4]).toBe(1);
  });

  it("RCT failure offsets match for bytes and bits", () => {
    const data = idealBytes(30_000, 5);
    data.fill(7, 1000, 1013); // 13 equal bytes: failures at cutoff 4
    data.fill(0, 20_000, 20_010); // 80 zero bits
    for (
      const [symbols, h, samples] of [["bytes", 8, Array.from(data)], ["bits", 1, bitsOf(data)]] as const
    ) {
      const a = new Analyzer({ health: { h, alphaLog2: -20, symbols } });
      a.push(data);
      const health = a.results().health!;
      const expected = referenceRct(samples, health.cutoffs.rct);
      expect(health.rct.failures).toBe(expected.length);
      expect(health.rct.offsets).toEqual(expected.slice(0, 32));
    }
  });

  it("RCT on bytes matches with runs of 2 to 8 at every offset of a 64-byte group, in odd chunks", () => {
    const data = idealBytes(64 * 7 * 64 + 100, 9);
    for (let k = 0; k < 7 * 64; k++) data.fill(k & 0xff, 64 * k + (k % 64), 64 * k + (k % 64) + 2 + (k % 7));
    for (const alphaLog2 of [-16, -24, -30]) { // cutoffs 3, 4, 5
      const a = new Analyzer({ health: { h: 8, alphaLog2, symbols: "bytes" } });
      for (let at = 0; at < data.length; at += 997) a.push(data.subarray(at, at + 997));
      const health = a.results().health!;
      const expected = referenceRct(Array.from(data), health.cutoffs.rct);
      expect(health.rct.failures).toBe(expected.length);
      expect(health.rct.offsets).toEqual(expected.slice(0, 32));
    }
  });

  it("APT failures match a direct count", () => {
    const data = idealBytes(512 * 40, 6);
    for (let w = 0; w < 40; w += 3) for (let i = 0; i < 30; i++) data[w * 512 + i * 17] = data[w * 512];
    const a = new Analyzer({ health: { h: 8, alphaLog2: -20, symbols: "bytes" } });
    a.push(data);
    const health = a.results().health!;
    let failures = 0;
    for (let w = 0; w < 40; w++) {
      const win = data.subarray(w * 512, w * 512 + 512);
      if (win.filter((x) => x === win[0]).length >= health.cutoffs.apt) failures++;
    }
    expect(failures).toBeGreaterThan(10);
    expect(health.apt.failures).toBe(failures);
  });

  it("DSV walk extremes and ent sums match direct computation", () => {
    const data = idealBytes(200_000, 3);
    data.fill(0xff, 150_000, 151_000); // a climb to a new maximum
    const a = new Analyzer();
    a.push(data);
    const r = a.results();
    let s = 0, lo = 0, hi = 0;
    for (const bit of bitsOf(data)) {
      s += bit ? 1 : -1;
      lo = Math.min(lo, s);
      hi = Math.max(hi, s);
    }
    expect([r.dsv.final, r.dsv.min, r.dsv.max]).toEqual([s, lo, hi]);
    let hits = 0, tries = 0;
    for (let i = 0; i + 6 <= data.length; i += 6) {
      const x = data[i] * 65536 + data[i + 1] * 256 + data[i + 2];
      const y = data[i + 3] * 65536 + data[i + 4] * 256 + data[i + 5];
      tries++;
      if (x * x + y * y <= (16777215) ** 2) hits++;
    }
    expect(r.ent.bytes.monteCarloPi).toBe(4 * (hits / tries));
  });
});
