import { describe, expect, it } from "vitest";
import { Analyzer } from "../wasm/analysis.ts";
import { entTerse } from "../cli/report/ent_text.ts";
import { TRUERAND_BITS_MCV, VECTORS } from "./_support/analysis_vectors.ts";
import { chiSquareWording } from "../cli/report/ent_text.ts";

// Every number of tests/fixtures/VECTORS.md, in-process on Node (the e2e tests run the CLI).
describe("Analyzer reproduces the known-answer vectors", () => {
  for (const v of VECTORS) {
    describe(v.name, () => {
      const analyzer = new Analyzer();
      analyzer.push(v.data());
      const r = analyzer.results();

      it("matches ent -t and ent -b -t", () => {
        expect(entTerse(r.ent.bytes, false).split("\n")[1]).toBe(v.entBytes);
        if (v.entBits) expect(entTerse(r.ent.bits!, true).split("\n")[1]).toBe(v.entBits);
        if (v.chiPercent) expect(chiSquareWording(r.ent.bytes.chiSquareProbability)).toBe(v.chiPercent);
      });

      it("matches upstream rngtest's FIPS 140-2 counts and block 0", () => {
        const f = r.fips!;
        expect(f.blocks).toBe(v.fips.blocks);
        expect(f.failed).toBe(v.fips.failed);
        expect(f.failures).toEqual(v.fips.failures);
        expect(f.block0!.ones).toBe(v.fips.ones);
        expect(f.block0!.pokerSum).toBe(v.fips.pokerSum);
        if (v.fips.runs0) expect(f.block0!.runsOfZeros).toEqual(v.fips.runs0);
        if (v.fips.runs1) expect(f.block0!.runsOfOnes).toEqual(v.fips.runs1);
      });

      if (v.mcv) {
        it("matches the Most Common Value min-entropy", () => {
          expect(r.minEntropy.bytes.mostCommon).toBe(v.mcv!.count);
          expect(r.minEntropy.bytes.h).toBeCloseTo(v.mcv!.h, v.mcv!.digits);
        });
      }
    });
  }

  it("matches the bitstring MCV of truerand_8bit.bin", () => {
    const analyzer = new Analyzer({ fips: false });
    analyzer.push(VECTORS[1].data());
    const bits = analyzer.results().minEntropy.bits;
    expect(bits.mostCommon).toBe(TRUERAND_BITS_MCV.count);
    expect(bits.h).toBeCloseTo(TRUERAND_BITS_MCV.h, 15);
  });

  it("names the failed tests of entitle.png's first block", () => {
    const analyzer = new Analyzer();
    analyzer.push(VECTORS[2].data());
    expect(analyzer.results().fips!.block0!.failed).toEqual(["Poker", "Runs", "Long run"]);
  });
});
