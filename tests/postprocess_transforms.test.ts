import { describe, expect, it } from "vitest";
import { parseFlags } from "../cli/command.ts";
import { PostprocessChain, toTransformStream, vonNeumann, xorFold } from "../cli/postprocess/mod.ts";
import { POSTPROCESS_FLAGS, postprocessOptions } from "../cli/commands/source_flags.ts";

/** A deterministic byte source (SplitMix32-style), optionally biased towards 1 bits. */
function bytesFrom(seed: number, n: number, pOne = 0.5): Uint8Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  };
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let k = 0; k < 8; k++) b = (b << 1) | (next() < pOne ? 1 : 0);
    out[i] = b;
  }
  return out;
}

const ones = (data: Uint8Array) => data.reduce((sum, b) => sum + popcount(b), 0);
function popcount(b: number): number {
  let c = 0;
  for (; b; b &= b - 1) c++;
  return c;
}

describe("von Neumann debiasing", () => {
  it("maps 01 to 0 and 10 to 1 and drops 00 and 11 (hand-worked pairs)", () => {
    // 01 10 00 11 -> 0,1; 10 10 10 01 -> 1,1,1,0; 10 10 01 01 -> 1,1,0,0
    // bits 0111 1011 00: one whole byte 0x7b, two bits pending
    const t = vonNeumann();
    expect([...t.push(Uint8Array.of(0b01100011, 0b10101001, 0b10100101))]).toEqual([0x7b]);
    expect(t.bytesIn).toBe(3);
    expect(t.bytesOut).toBe(1);
  });

  it("removes a strong bias from independent bits, keeping p(1-p) of them", () => {
    const input = bytesFrom(1, 200_000, 0.7);
    expect(ones(input) / (input.length * 8)).toBeCloseTo(0.7, 2);
    const t = vonNeumann();
    const out = t.push(input);
    expect(Math.abs(ones(out) / (out.length * 8) - 0.5)).toBeLessThan(0.005);
    expect(out.length / input.length).toBeCloseTo(0.7 * 0.3, 2);
  });

  it("gives the same output however the input is split", () => {
    const input = bytesFrom(2, 10_000);
    const whole = vonNeumann().push(input);
    const t = vonNeumann();
    const parts: number[] = [];
    for (let i = 0; i < input.length; i += 13) parts.push(...t.push(input.subarray(i, i + 13)));
    expect(Uint8Array.from(parts)).toEqual(whole);
  });

  it("yields nothing from constant input (a stuck source)", () => {
    expect(vonNeumann().push(new Uint8Array(1000).fill(0xff)).length).toBe(0);
    expect(vonNeumann().push(new Uint8Array(1000)).length).toBe(0);
  });
});

describe("xor-fold", () => {
  it("XORs every N bytes into one and drops an incomplete last block", () => {
    const t = xorFold(3);
    expect([...t.push(Uint8Array.of(1, 2, 4, 8, 16))]).toEqual([7]);
    expect([...t.push(Uint8Array.of(32, 64))]).toEqual([8 ^ 16 ^ 32]);
    expect([...t.flush()]).toEqual([]);
    expect(t.bytesIn).toBe(7);
    expect(t.bytesOut).toBe(2);
  });

  it("shrinks a bias as the piling-up lemma says", () => {
    const input = bytesFrom(3, 400_000, 0.6); // bias e = 0.1
    const out = xorFold(2).push(input);
    const p = ones(out) / (out.length * 8);
    expect(Math.abs(p - 0.5)).toBeCloseTo(2 * 0.1 * 0.1, 2); // 2^(N-1) e^N = 0.02
  });

  it("rejects a fold factor of 0", () => {
    expect(() => xorFold(0)).toThrow(RangeError);
  });
});

describe("post-processing chain", () => {
  it("folds first, then debiases, and reports each step's cost", () => {
    const chain = new PostprocessChain({ xorFold: 2, debias: "von-neumann" });
    const input = bytesFrom(4, 100_000);
    const out = chain.push(input);
    expect(out).toEqual(vonNeumann().push(xorFold(2).push(input)));
    const report = chain.report();
    expect(report[0]).toMatch(/^xor-fold 2: 100,000 -> 50,000 bytes \(kept 50\.00 %, cost 50\.00 %\)$/);
    expect(report[1]).toMatch(/^von Neumann: 50,000 -> 12,\d{3} bytes \(kept 2[45]\.\d\d %/);
    expect(chain.inputFor(1000)).toBe(8000);
  });

  it("reads its flags and rejects unknown methods as usage errors", () => {
    const { values } = parseFlags("view", ["--debias", "von-neumann", "--xor-fold", "4"], POSTPROCESS_FLAGS);
    expect(postprocessOptions("view", values)).toEqual({ debias: "von-neumann", xorFold: 4 });
    expect(() => postprocessOptions("view", { debias: "sha256" })).toThrow(/--debias knows only von-neumann/);
    expect(() => postprocessOptions("view", { "xor-fold": "0" })).toThrow(/--xor-fold needs/);
  });

  it("works as a web TransformStream", async () => {
    const input = bytesFrom(5, 4096);
    const stream = new Blob([input as BlobPart]).stream().pipeThrough(toTransformStream(xorFold(4)));
    const out = new Uint8Array(await new Response(stream).arrayBuffer());
    expect(out).toEqual(xorFold(4).push(input));
  });
});
