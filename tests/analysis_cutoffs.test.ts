import { describe, expect, it } from "vitest";
import {
  binomialCutoff,
  binomialTail,
  binomialThreshold,
  bitcountBounds,
  lnGamma,
  rctCutoff,
  rctFailureRate,
} from "../wasm/cutoffs.ts";
import { healthCutoffs } from "../wasm/health.ts";

// The table of ../shared/spec/analysis.md §1 (its α = 2^-20 bits and 8-bit rows are SP 800-90B Table 2).
const TABLE: Array<[symbols: "bits" | "bytes", h: number, cutoffs: string]> = [
  ["bits", 1.0, "21 / 589 | 31 / 609 | 41 / 625"],
  ["bits", 0.5, "41 / 793 | 61 / 810 | 81 / 824"],
  ["bits", 0.2, "101 / 941 | 151 / 952 | 201 / 961"],
  ["bytes", 8.0, "4 / 13 | 5 / 16 | 6 / 19"],
  ["bytes", 7.0, "4 / 18 | 6 / 22 | 7 / 26"],
  ["bytes", 4, "6 / 62 | 9 / 71 | 11 / 78"],
  ["bytes", 1, "21 / 311 | 31 / 325 | 41 / 336"],
  ["bytes", 0.5, "41 / 410 | 61 / 422 | 81 / 432"],
];

describe("healthCutoffs", () => {
  for (const [symbols, h, expected] of TABLE) {
    it(`reproduces the spec table row for ${symbols} at H = ${h}`, () => {
      const row = [-20, -30, -40].map((alphaLog2) => {
        const c = healthCutoffs({ h, alphaLog2, symbols });
        return `${c.rct} / ${c.apt}`;
      });
      expect(row.join(" | ")).toBe(expected);
    });
  }

  it("states the APT rate of the test as it runs: C − 1 matches among the W − 1 samples after the reference", () => {
    for (const [symbols, h] of TABLE) {
      for (const alphaLog2 of [-20, -30, -40]) {
        const c = healthCutoffs({ h, alphaLog2, symbols });
        expect(binomialCutoff(c.aptWindowSamples, h, alphaLog2).cutoff).toBe(c.apt);
        expect(c.aptRate).toBe(binomialTail(c.aptWindowSamples - 1, h, c.apt - 1));
        // The standard cutoff is sized by a tail over all W samples, which understates the rate.
        expect(c.aptRate).toBeGreaterThan(binomialTail(c.aptWindowSamples, h, c.apt));
        const corrected = healthCutoffs({ h, alphaLog2, symbols, aptCutoff: "corrected" });
        expect(corrected.aptRate).toBeLessThanOrEqual(2 ** alphaLog2);
      }
    }
    // 8-bit samples at α = 2^-16 (the cutoff 11 of 512): 4.3e-5 per window, not the 7.7e-6 once stated.
    expect(healthCutoffs({ h: 8, alphaLog2: -16, symbols: "bytes" }).aptRate).toBeCloseTo(4.323e-5, 7);
    // One below the cutoff the tail exceeds α (checked in log space for a non-dyadic H).
    const below = binomialCutoff(1024, 0.5, -20);
    expect(below.tail).toBeLessThanOrEqual(2 ** -20);
  });

  it("agrees between the exact and the log-space path next to a dyadic H", () => {
    // H = 8 is exact (BigInt); H = 8 − 1e-12 goes through log space and must land on the same cutoffs.
    for (const alphaLog2 of [-20, -30, -40]) {
      expect(binomialCutoff(512, 8 - 1e-12, alphaLog2).cutoff).toBe(binomialCutoff(512, 8, alphaLog2).cutoff);
      expect(binomialCutoff(1024, 1 - 1e-12, alphaLog2).cutoff).toBe(
        binomialCutoff(1024, 1, alphaLog2).cutoff,
      );
    }
  });

  it("matches every exact tail summed in full, from whichever end the sum starts", () => {
    // Reference: all upper tails T(c) = Σ_{k>=c} C(n,k)·q^(n−k) as BigInt; the cutoff is the
    // smallest c with T(c) <= 2^(H·n + a), its rate T(c) / 2^(H·n) truncated to 60 bits.
    const reference = (n: number, h: number, a: number) => {
      const q = (1n << BigInt(h)) - 1n;
      const terms: bigint[] = [];
      let binom = 1n;
      for (let k = 0; k <= n; k++) {
        terms.push(binom * q ** BigInt(n - k));
        binom = (binom * BigInt(n - k)) / BigInt(k + 1);
      }
      const bound = h * n + a >= 0 ? 1n << BigInt(h * n + a) : -1n;
      let c = n + 1, tail = 0n;
      while (c > 0 && tail + terms[c - 1] <= bound) tail += terms[--c];
      const excess = Math.max(0, tail.toString(2).length - 60);
      return {
        cutoff: c,
        tail: tail === 0n ? 0 : Number(tail >> BigInt(excess)) * Math.pow(2, excess - h * n),
      };
    };
    for (const n of [1, 7, 64, 100, 512, 1023, 4096]) {
      for (const h of n > 1024 ? [1] : [1, 2, 3, 5, 8]) {
        for (const a of [-1, -8, -20, -31, -40, -100]) {
          expect(binomialCutoff(n, h, a), `n ${n}, H ${h}, α 2^${a}`).toEqual(reference(n, h, a));
        }
      }
    }
  });

  it("offers the corrected APT formula, which differs by at most one", () => {
    for (const [symbols, h] of TABLE) {
      const standard = healthCutoffs({ h, alphaLog2: -30, symbols }).apt;
      const corrected = healthCutoffs({ h, alphaLog2: -30, symbols, aptCutoff: "corrected" }).apt;
      expect(Math.abs(corrected - standard)).toBeLessThanOrEqual(1);
    }
  });

  it("sums binomial tails exactly for a dyadic H and in log space otherwise", () => {
    expect(binomialTail(4, 1, 3)).toBe(5 / 16);
    expect(binomialTail(10, 2, 0)).toBe(1);
    expect(binomialTail(10, 2, 11)).toBe(0);
    expect(binomialTail(511, 8 - 1e-12, 11)).toBeCloseTo(binomialTail(511, 8, 11), 15);
    expect(binomialTail(511, 8 - 1e-12, 11) / binomialTail(511, 8, 11)).toBeCloseTo(1, 9);
  });

  it("gives the RCT failure rate of the renewal the test runs: a run restarts after each failure", () => {
    // C = 2 with p = 1/2: a failure, then a fresh start, then a match: one in 1 + 1/p = 3 samples.
    expect(rctFailureRate(1, 2)).toBeCloseTo(1 / 3, 15);
    // Small p: (1 − p)·p^(C−1) to first order.
    expect(rctFailureRate(8, 6) / ((255 / 256) * 2 ** -40)).toBeCloseTo(1, 9);
    expect(healthCutoffs({ h: 1, alphaLog2: -20, symbols: "bits" }).rctRate).toBeCloseTo(2 ** -21, 12);
  });

  it("guards the RCT ceiling against floating error", () => {
    expect(rctCutoff(0.5, -20)).toBe(41);
    expect(rctCutoff(0.1, -30)).toBe(301); // 30 / 0.1 = 299.99999999999994 in doubles
    expect(rctCutoff(7.5, -30)).toBe(5);
  });
});

describe("verdict arithmetic", () => {
  it("computes ln Γ to double precision", () => {
    expect(lnGamma(1)).toBeCloseTo(0, 13);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(lnGamma(101)).toBeCloseTo(363.73937555556347, 10); // ln 100!
  });

  it("puts the threshold where the binomial upper tail drops below the significance", () => {
    // 3 blocks at p = 0.001: P(X > 1) ≈ 3e-6, P(X > 2) = 1e-9.
    expect(binomialThreshold(3, 0.001, 1e-6)).toBe(2);
    expect(binomialThreshold(0, 0.001, 1e-6)).toBe(0);
    // Large n: about mean + 4.75 σ.
    const t = binomialThreshold(1_000_000, 0.001, 1e-6);
    expect(t).toBeGreaterThan(1000 + 4.5 * Math.sqrt(999));
    expect(t).toBeLessThan(1000 + 5.5 * Math.sqrt(999));
  });

  it("derives a symmetric bit-count interval", () => {
    const { low, high, rate } = bitcountBounds(1024, -20);
    expect(low + high).toBe(1024);
    expect(rate).toBeLessThanOrEqual(2 ** -20);
    expect(high).toBe(binomialCutoff(1024, 1, -21).cutoff - 1);
  });
});
