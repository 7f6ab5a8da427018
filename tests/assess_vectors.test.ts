import { beforeAll, describe, expect, it } from "vitest";
import { assessNonIid, type Estimate, type NonIidAssessment } from "../wasm/assess.ts";
import { loadSamples, loadToolOutput, NIST_SAMPLES, type ToolValue } from "./_support/sp800_90b.ts";

/** Values that are counts: identical or wrong. */
const COUNT_KEYS = new Set(["modeCount", "v", "sumT", "t", "u", "c", "r", "n"]);
const PREDICTORS = new Set([
  "MultiMCW Prediction",
  "Lag Prediction",
  "MultiMMC Prediction",
  "LZ78Y Prediction",
]);

/**
 * Allowed difference: NIST's selftest bound 1e-10 (relative or absolute); predictor bounds of the
 * x86 tool carry 80-bit intermediates, ≈ 1.5e-15 per bit assessed (spec/sp800-90b.md, Precision).
 */
function tolerance(v: ToolValue, bitsAssessed: number): number {
  if (PREDICTORS.has(v.name) && ["pLocal", "minEntropy"].includes(v.key)) {
    return Math.max(1e-10, 1.5e-15 * bitsAssessed);
  }
  return 1e-10;
}

function close(actual: number, expected: number, within: number): boolean {
  const diff = Math.abs(actual - expected);
  return diff <= within || diff <= within * Math.abs(expected);
}

describe("assessNonIid reproduces ea_non_iid -vv on NIST's sample files", () => {
  for (const { name, bits } of NIST_SAMPLES) {
    describe(name, () => {
      const tool = loadToolOutput(name);
      // In beforeAll, not at collection: eleven assessments in one synchronous collection pass
      // block the worker long enough under load for vitest's RPC to time out.
      let result: NonIidAssessment, bitsAssessed = 0;
      beforeAll(() => {
        result = assessNonIid(loadSamples(name), { bitsPerSymbol: bits });
        bitsAssessed = result.samples * result.bitsPerSymbol;
      }, 120_000);

      it("loads the samples as the tool does", () => {
        expect(result.samples).toBe(tool.samples);
        expect(result.distinctSymbols).toBe(tool.distinct);
        expect(result.bitsPerSymbol).toBe(tool.bits);
        expect(result.translated).toBe(tool.translated);
        expect(result.binary ? null : result.bitstringBits).toBe(tool.binarySymbols);
      });

      it("prints every estimate's every value (counts exact, estimates within tolerance)", () => {
        const find = (v: ToolValue): Estimate | undefined =>
          result.estimates.find((e) => e.track === v.track && e.name === v.name);
        const mismatches: string[] = [];
        for (const v of tool.values) {
          const estimate = find(v);
          const actual = v.key === "minEntropy" ? estimate?.minEntropy : estimate?.values[v.key];
          const label = `${v.track} ${v.name} ${v.key}: ${actual} vs the tool's ${v.value}`;
          if (typeof v.value !== "number" || COUNT_KEYS.has(v.key)) {
            if (actual !== v.value) mismatches.push(label);
          } else if (typeof actual !== "number" || !close(actual, v.value, tolerance(v, bitsAssessed))) {
            mismatches.push(label);
          }
        }
        expect(mismatches).toEqual([]);
        expect(tool.values.length).toBeGreaterThan(40);
      });

      it("reaches the tool's H_original, H_bitstring and assessed min-entropy (8 significant digits)", () => {
        expect(close(result.hOriginal, tool.hOriginal, 1e-9)).toBe(true);
        if (tool.hBitstring === null) expect(result.hBitstring).toBeNull();
        else expect(close(result.hBitstring!, tool.hBitstring, 1e-9)).toBe(true);
        expect(Math.abs(result.minEntropy / tool.assessed - 1)).toBeLessThan(5e-9);
      });
    });
  }
});
