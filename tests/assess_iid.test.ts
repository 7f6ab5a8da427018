import { describe, expect, it } from "vitest";
import { assessIid, type IidAssessment } from "../wasm/assess_iid.ts";
import { loadSamples, NIST_SAMPLES } from "./_support/sp800_90b.ts";
import { loadIidToolOutput, randomWalk4, type ToolIidOutput } from "./_support/sp800_90b_iid.ts";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";

/** The tool prints 6 decimals (fixed) or 6 significant digits (the statistics). */
const relativelyClose = (ours: number, tool: number, digits: number) =>
  Math.abs(ours - tool) <= Math.abs(tool) * 10 ** -digits + 10 ** -digits;

function expectToolValues(ours: IidAssessment, tool: ToolIidOutput, name: string): void {
  // The independence test bins pairs in order of expected count; where pairs tie, the order is
  // the standard's to leave open and the tool's sort's to pick, so only its df and verdict are
  // the tool's (its score agrees where no expected counts tie: the 1- and 4-bit files, normal).
  const tiesInPairs = ["rand8_short", "biased-random-bytes"].includes(name);
  const independence = ours.chiSquare.independence;
  expect(independence.degreesOfFreedom).toBe(tool.independence.degreesOfFreedom);
  if (!tiesInPairs) expect(independence.score!.toFixed(6)).toBe(tool.independence.score.toFixed(6));
  expect(ours.chiSquare.goodnessOfFit.score!.toFixed(6)).toBe(tool.goodnessOfFit.score.toFixed(6));
  expect(ours.chiSquare.goodnessOfFit.degreesOfFreedom).toBe(tool.goodnessOfFit.degreesOfFreedom);
  expect(ours.chiSquare.goodnessOfFit.pValue!.toFixed(6)).toBe(tool.goodnessOfFit.pValue.toFixed(6));
  expect(ours.chiSquare.passed).toBe(tool.chiSquarePassed);
  expect(ours.longestRepeat.length).toBe(tool.longestRepeat.length);
  expect(ours.longestRepeat.collisionProbability.toFixed(6)).toBe(
    tool.longestRepeat.collisionProbability.toFixed(6),
  );
  expect(ours.longestRepeat.probability.toFixed(6)).toBe(tool.longestRepeat.probability.toFixed(6));
  expect(ours.longestRepeat.passed).toBe(tool.longestRepeat.passed);
  // Compression (last) ranks an LZ78 parse where the tool ranks bzip2's length.
  const mismatches = ours.permutation.statistics.slice(0, 18)
    .filter((s, i) => !relativelyClose(s.value, tool.initial[i].value, 5))
    .map((s, i) => `${s.name}: ${s.value} vs the tool's ${tool.initial[i].value}`);
  expect(mismatches).toEqual([]);
  expect(ours.hOriginal.toFixed(6)).toBe(tool.hOriginal.toFixed(6));
  expect(ours.hBitstring?.toFixed(6) ?? null).toBe(tool.hBitstring?.toFixed(6) ?? null);
}

describe("assessIid computes what ea_iid -v prints on NIST's samples", () => {
  for (const { name, bits } of NIST_SAMPLES) {
    it(`${name}: chi-square, LRS test, the data's permutation statistics and the MCV figure`, {
      timeout: 60_000,
    }, () => {
      // One shuffle: the data's statistics and the other tests do not depend on the shuffles.
      const ours = assessIid(loadSamples(name), { bitsPerSymbol: bits, seed: 1n, shuffles: 1 });
      expectToolValues(ours, loadIidToolOutput(name), name);
    });
  }
});

describe("assessIid reaches ea_iid's verdicts", () => {
  // The 10^6-sample files reach the tool's verdicts too (docs/assess.md, "IID track"), in 5-10 s each
  // (minutes on a loaded machine): too long to block a test worker for.
  for (const { name, bits } of NIST_SAMPLES.filter((s) => s.name.endsWith("_short"))) {
    it(`${name}: the same verdict on each test after the full permutation run`, { timeout: 120_000 }, () => {
      const tool = loadIidToolOutput(name);
      const ours = assessIid(loadSamples(name), { bitsPerSymbol: bits, seed: 2n });
      expect(ours.permutation.passed).toBe(tool.permutationPassed);
      expect(ours.permutation.statistics.map((s) => s.passed)).toEqual(tool.counts.map((c) => !c.failed));
      expect(ours.iid).toBe(tool.permutationPassed && tool.chiSquarePassed && tool.longestRepeat.passed);
    });
  }

  // In a child process: all 10,000 shuffles take seconds, and a minute on a loaded machine, too
  // long to block a test worker for (vitest's RPC times out).
  it(
    "a random walk fails the tests ea_iid fails it on, with every shuffle run",
    { timeout: 300_000 },
    async () => {
      const tool = loadIidToolOutput("walk4");
      const args = ["assess", "-", "--bits", "4", "--iid", "--seed", "3", "--json"];
      const result = await runCli(RUNNERS[1], args, { stdin: randomWalk4(20_000), timeoutMs: 290_000 });
      expect(result.status).toBe(0);
      const ours: IidAssessment = JSON.parse(result.stdout.toString());
      expectToolValues(ours, tool, "walk4");
      expect(ours.permutation.shuffles).toBe(10_000);
      const failed = (s: { name: string; passed: boolean }) => !s.passed;
      expect(ours.permutation.statistics.slice(0, 18).filter(failed).map((s) => s.name))
        .toEqual(tool.counts.slice(0, 18).filter((c) => c.failed).map((c) => c.name));
      expect(ours.permutation.statistics[18].passed).toBe(!tool.counts[18].failed);
      // The counts lean the same way as the tool's (its C0 counts shuffles above the data).
      const lean = (c0: number, c2: number) => Math.sign(c0 - c2);
      expect(ours.permutation.statistics.slice(0, 18).map((s) => lean(s.c0, s.c2)))
        .toEqual(tool.counts.slice(0, 18).map((c) => lean(c.c0, c.c2)));
      expect(ours.iid).toBe(false);
    },
  );
});

describe("assessIid's shuffles are reproducible", () => {
  const samples = loadSamples("rand8_short");
  const counts = (a: IidAssessment) => a.permutation.statistics.map((s) => [s.c0, s.c1, s.c2]);

  it("gives the same counts for the same seed", () => {
    const first = assessIid(samples, { bitsPerSymbol: 8, seed: 12345678901234567890n, shuffles: 200 });
    const again = assessIid(samples, { bitsPerSymbol: 8, seed: 12345678901234567890n, shuffles: 200 });
    expect(counts(again)).toEqual(counts(first));
    expect(first.seed).toBe("12345678901234567890");
  });

  it("gives other counts for another seed", () => {
    const first = assessIid(samples, { bitsPerSymbol: 8, seed: 1n, shuffles: 200 });
    const other = assessIid(samples, { bitsPerSymbol: 8, seed: 2n, shuffles: 200 });
    expect(counts(other)).not.toEqual(counts(first));
  });

  it("stops shuffling once every statistic has passed, as the tool does", () => {
    const a = assessIid(loadSamples("rand4_short"), { bitsPerSymbol: 4, seed: 7n });
    expect(a.permutation.passed).toBe(true);
    expect(a.permutation.shuffles).toBeLessThan(10_000);
    const last = Math.max(...a.permutation.statistics.map((s) => s.c0 + s.c1 + s.c2));
    expect(last).toBe(a.permutation.shuffles);
  });
});

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(`qrng assess --iid under ${runner.name}`, () => {
    it("writes the IID track with its seed as JSON, and repeats it from that seed", async () => {
      const args = ["assess", "-", "--bits", "4", "--iid", "--json"];
      const result = await runCli(runner, args, { stdin: loadSamples("rand4_short") });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const json = JSON.parse(result.stdout.toString());
      // A random seed: IID data fails a permutation test now and then, so only the rest is fixed.
      expect(json).toMatchObject({
        file: "stdin",
        track: "iid",
        chiSquare: { passed: true },
        longestRepeat: { passed: true },
      });
      expect(json.seed).toMatch(/^\d+$/);
      expect(json.permutation.statistics).toHaveLength(19);
      const again = await runCli(runner, [...args, "--seed", json.seed], {
        stdin: loadSamples("rand4_short"),
      });
      expect(JSON.parse(again.stdout.toString()).permutation).toEqual(json.permutation);
    });

    // 2000 samples: failing data runs all 10,000 shuffles, which must fit a loaded machine's budget.
    it("reports a failed test and the non-IID track to use instead", async () => {
      const args = ["assess", "-", "--bits", "4", "--iid", "--seed", "1"];
      const result = await runCli(runner, args, { stdin: randomWalk4(2000), timeoutMs: 110_000 });
      expect(result.status).toBe(0);
      const text = result.stdout.toString();
      expect(text).toMatch(/Chi-square independence .* FAIL/);
      expect(text).toMatch(
        /IID: NO \(failed: chi-square independence, longest repeated substring, 1\d of 19 permutation tests\); assess with the non-IID track/,
      );
    }, 120_000);

    it("refuses --seed without --iid in one line", async () => {
      const result = await runCli(runner, ["assess", "-", "--seed", "1"], { stdin: new Uint8Array(10) });
      expect(result.stderr).toBe("qrng assess: --seed seeds the IID track's shuffles; add --iid\n");
      expect(result.status).toBe(2);
    });
  });
}

describe("assessIid on data too small or too plain for the chi-square tests", () => {
  it("says a test without degrees of freedom could not run, instead of a p-value of NaN", () => {
    const a = assessIid(loadSamples("rand8_short").subarray(0, 10), {
      bitsPerSymbol: 8,
      seed: 1n,
      shuffles: 10,
    });
    expect(a.chiSquare.independence).toEqual({
      score: null,
      degreesOfFreedom: null,
      pValue: null,
      passed: true,
    });
    expect(a.chiSquare.goodnessOfFit.score).toBeNull();
    expect(a.warnings).toContain(
      "the chi-square independence test could not run (too little data) and counts as passed",
    );
  });

  it("leaves constant bits' goodness of fit unrun rather than dividing by zero", () => {
    const a = assessIid(new Uint8Array(5000), { bitsPerSymbol: 1, seed: 1n, shuffles: 10 });
    expect(a.chiSquare.goodnessOfFit.score).toBeNull();
    expect(Math.abs(a.hOriginal)).toBe(0); // −log2(1) is −0
  });
});
