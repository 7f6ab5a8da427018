/**
 * The FIPS runs count (core/analysis/runs.ts: per byte boundary, interior runs from the
 * histogram) against a bit-serial count, exactly, per block: each block is analysed as its own
 * stream (4 seed bytes + 2500 bytes), so the block-0 details expose all 12 run counts.
 */
import { describe, expect, it } from "vitest";
import { Analyzer } from "../wasm/analysis.ts";
import { biasedBits, idealBytes } from "./_support/analysis_data.ts";

/** Runs of zeros and of ones per length 1..5 and 6+, bit by bit (MSB first). */
function referenceRuns(block: Uint8Array): { zeros: number[]; ones: number[] } {
  const bits: number[] = [];
  for (const b of block) for (let j = 7; j >= 0; j--) bits.push((b >> j) & 1);
  const runs = [new Array(6).fill(0), new Array(6).fill(0)];
  for (let i = 0; i < bits.length;) {
    let j = i;
    while (j < bits.length && bits[j] === bits[i]) j++;
    runs[bits[i]][Math.min(j - i, 6) - 1]++;
    i = j;
  }
  return { zeros: runs[0], ones: runs[1] };
}

function analysedRuns(block: Uint8Array): { zeros: number[]; ones: number[] } {
  const stream = new Uint8Array(4 + block.length);
  stream.set([1, 2, 3, 4]);
  stream.set(block, 4);
  const a = new Analyzer({ ent: false, dsv: false });
  a.push(stream);
  const b0 = a.results().fips!.block0!;
  return { zeros: b0.runsOfZeros, ones: b0.runsOfOnes };
}

/** Deterministic blocks that stress byte edges: each byte drawn from a small set. */
function fromAlphabet(alphabet: number[], seed: number): Uint8Array {
  const pick = idealBytes(2500, seed);
  return pick.map((x) => alphabet[x % alphabet.length]);
}

describe("FIPS runs per byte boundary", () => {
  it("match a bit-serial count on ideal blocks", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const block = idealBytes(2500, seed);
      expect(analysedRuns(block)).toEqual(referenceRuns(block));
    }
  });

  it("match on biased blocks full of long runs of ones", () => {
    for (const bias of [0.3, 0.6, 0.9]) {
      const block = biasedBits(2500, bias, 5).slice(0, 2500);
      expect(analysedRuns(block)).toEqual(referenceRuns(block));
      const inverted = block.map((x) => ~x & 0xff);
      expect(analysedRuns(inverted)).toEqual(referenceRuns(inverted));
    }
  });

  it("match on blocks built from edge-heavy bytes (0x00, 0xFF, 0x01, 0x80, 0x7F, 0xFE, ...)", () => {
    const alphabets = [
      [0x00, 0xff],
      [0x00, 0xff, 0x01, 0x80, 0x7f, 0xfe],
      [0x0f, 0xf0, 0x3c, 0xc3, 0x18, 0xe7],
      [0x55, 0xaa, 0x00, 0xff, 0x81, 0x7e],
      [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe, 0x00],
    ];
    alphabets.forEach((alphabet, i) => {
      for (let seed = 0; seed < 3; seed++) {
        const block = fromAlphabet(alphabet, 100 + 10 * i + seed);
        expect(analysedRuns(block)).toEqual(referenceRuns(block));
      }
    });
  });

  it("match when runs start at the first bit and end at the last bit of the block", () => {
    for (const first of [0x00, 0xff, 0x80, 0x7f, 0x01, 0xfe, 0xc0, 0x3f]) {
      for (const last of [0x00, 0xff, 0x01, 0xfe, 0x80, 0x7f, 0x03, 0xfc]) {
        const block = idealBytes(2500, first * 256 + last);
        block[0] = first;
        block[1] = first;
        block[2498] = last;
        block[2499] = last;
        expect(analysedRuns(block)).toEqual(referenceRuns(block));
      }
    }
  });

  it("match on constant blocks (one run each)", () => {
    for (const value of [0x00, 0xff, 0xaa, 0x0f]) {
      const block = new Uint8Array(2500).fill(value);
      expect(analysedRuns(block)).toEqual(referenceRuns(block));
    }
  });
});
