/**
 * The false-failure rates the verdicts use are the rates of the tests as they run: counted on
 * seeded AES-CTR data at α large enough that every test fails thousands of times, the observed
 * counts sit within a few standard deviations of the stated rates.
 */
import { describe, expect, it } from "vitest";
import { Analyzer } from "../wasm/analysis.ts";
import { idealBytes } from "./_support/analysis_data.ts";

const DATA_BYTES = 64 << 20;

/** Whether `observed` is within 5 σ of a Poisson count with mean `expected`. */
function plausible(observed: number, expected: number): boolean {
  return Math.abs(observed - expected) <= 5 * Math.sqrt(expected) + 1;
}

describe("health-test rates", () => {
  const data = idealBytes(DATA_BYTES, 31);

  it("match the APT, RCT and bit-count failures of 64 MiB of ideal bytes at α = 2^-10", () => {
    const analyzer = new Analyzer({
      fips: false,
      ent: false,
      dsv: false,
      health: { h: 8, alphaLog2: -10, symbols: "bytes", bitcount: { blockBits: 4096, alphaLog2: -10 } },
    });
    analyzer.push(data);
    const h = analyzer.results().health!;
    const c = h.cutoffs;
    const apt = h.apt.windows * c.aptRate,
      rct = h.samples * c.rctRate,
      bc = h.bitcount!.blocks * c.bitcount!.rate;
    expect(apt).toBeGreaterThan(100); // the old rate (a tail over all 512 samples) said 30
    expect(plausible(h.apt.failures, apt), `APT ${h.apt.failures} observed, ${apt} expected`).toBe(true);
    expect(plausible(h.rct.failures, rct), `RCT ${h.rct.failures} observed, ${rct} expected`).toBe(true);
    expect(plausible(h.bitcount!.failures, bc), `bit count ${h.bitcount!.failures} observed, ${bc} expected`)
      .toBe(true);
  });

  it("match the RCT and APT failures of 64 MiB of ideal bits at α = 2^-10", () => {
    const analyzer = new Analyzer({
      fips: false,
      ent: false,
      dsv: false,
      health: { h: 1, alphaLog2: -10, symbols: "bits" },
    });
    analyzer.push(data);
    const h = analyzer.results().health!;
    const rct = h.samples * h.cutoffs.rctRate, apt = h.apt.windows * h.cutoffs.aptRate;
    expect(rct).toBeGreaterThan(200_000); // half of the 2^-10 per sample once stated
    expect(plausible(h.rct.failures, rct), `RCT ${h.rct.failures} observed, ${rct} expected`).toBe(true);
    expect(plausible(h.apt.failures, apt), `APT ${h.apt.failures} observed, ${apt} expected`).toBe(true);
  });
});
