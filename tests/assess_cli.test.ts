import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";
import { loadSamples, loadToolOutput, parseToolOutput } from "./_support/sp800_90b.ts";
import { assessNonIid } from "../wasm/assess.ts";
import { formatG17 } from "../cli/report/assess_text.ts";

/** de Bruijn sequence B(k, n) (every n-tuple of k symbols once, cyclically; Ruskey's algorithm). */
function deBruijn(k: number, n: number): Uint8Array {
  const a = new Array(k * n).fill(0);
  const out: number[] = [];
  const db = (t: number, p: number) => {
    if (t > n) {
      if (n % p === 0) out.push(...a.slice(1, p + 1));
      return;
    }
    a[t] = a[t - p];
    db(t + 1, p);
    for (let j = a[t - p] + 1; j < k; j++) {
      a[t] = j;
      db(t + 1, t);
    }
  };
  db(1, 1);
  return Uint8Array.from(out);
}

describe("qrng assess flags what ea_non_iid leaves silent", () => {
  it("says when there are fewer than 1,000,000 samples", () => {
    const a = assessNonIid(loadSamples("rand8_short"), { bitsPerSymbol: 8 });
    expect(a.warnings.join("\n")).toContain("only 10000 samples");
  });

  it("names an estimator that could not run and leaves it out of the minimum", () => {
    // Every pair of bytes once: the longest repeat (1) is shorter than u (2), so LRS cannot run.
    const a = assessNonIid(deBruijn(256, 2), { bitsPerSymbol: 8 });
    const lrs = a.estimates.find((e) => e.track === "literal" && e.estimator === "lrs")!;
    expect(lrs.minEntropy).toBeNull();
    expect(lrs.values).toMatchObject({ u: 2, v: 1 });
    expect(a.warnings.join("\n")).toContain(
      "literal LRS could not run (longest repeat v = 1 is shorter than u = 2)",
    );
  });

  it("counts an estimator without enough data as not run, never as full entropy", () => {
    // 50 bytes: 66 six-bit blocks (Compression needs 1002), 50 symbols (MultiMCW predicts from 63).
    const a = assessNonIid(loadSamples("truerand_8bit").subarray(0, 50), { bitsPerSymbol: 8 });
    const compression = a.estimates.find((e) => e.estimator === "compression")!;
    expect(compression.minEntropy).toBeNull();
    expect(compression.values.p).toBeNull();
    expect(a.estimates.find((e) => e.estimator === "multiMcw" && e.track === "literal")!.minEntropy)
      .toBeNull();
    expect(a.warnings).toContain(
      "bitstring Compression could not run (too little data) and is left out of the minimum",
    );
  });

  it("--truncate assesses the first 1,000,000 bits of the bitstring, MSB first (the tool's -t)", () => {
    const samples = loadSamples("truerand_4bit");
    const a = assessNonIid(samples, { bitsPerSymbol: 4, truncateBitstring: true });
    expect(a.bitstringBits).toBe(1_000_000);
    let ones = 0;
    for (let i = 0; i < 250_000; i++) for (let b = 3; b >= 0; b--) ones += (samples[i] >> b) & 1;
    const mcv = a.estimates.find((e) => e.estimator === "mcv" && e.track === "bitstring")!;
    expect(mcv.values.modeCount).toBe(Math.max(ones, 1_000_000 - ones));
    expect(a.estimates.find((e) => e.estimator === "mcv" && e.track === "literal")!.values.modeCount)
      .toBe(
        loadToolOutput("truerand_4bit").values.find((v) => v.track === "literal" && v.key === "modeCount")!
          .value,
      );
  });

  it("says when multi-bit data with two values was assessed as binary", () => {
    const samples = loadSamples("truerand_1bit").subarray(0, 20000).map((b) => (b ? 0xA5 : 0x3C));
    const a = assessNonIid(samples, { bitsPerSymbol: 8 });
    expect(a.binary).toBe(true);
    expect(a.hBitstring).toBeNull();
    expect(a.warnings.join("\n")).toContain(
      "8-bit data with only two distinct values was assessed as binary",
    );
  });
});

it("formatG17 prints numbers as C's %.17g", () => {
  expect(formatG17(0.004124)).toBe("0.0041240000000000001");
  expect(formatG17(3.088625376674869e-39)).toBe("3.088625376674869e-39");
  expect(formatG17(4001353)).toBe("4001353");
  expect(formatG17(1)).toBe("1");
  expect(formatG17(0.5)).toBe("0.5");
  expect(formatG17(1e-5)).toBe("1.0000000000000001e-05");
});

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(`qrng assess under ${runner.name}`, () => {
    it("prints -v lines that read as ea_non_iid -vv's, value for value", async () => {
      const result = await runCli(runner, ["assess", "-", "--bits", "4", "-v"], {
        stdin: loadSamples("rand4_short"),
      });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const text = result.stdout.toString();
      expect(text).toMatch(/Compression +0\.803872 \*/);
      expect(text).toContain("Assessed min entropy: 3.21548826787");
      const ours = parseToolOutput(text.slice(text.indexOf("Loaded ")));
      const tool = loadToolOutput("rand4_short");
      expect(ours.values.map((v) => `${v.track} ${v.name} ${v.key}`)).toEqual(
        tool.values.map((v) => `${v.track} ${v.name} ${v.key}`),
      );
      ours.values.forEach((v, i) => {
        const expected = tool.values[i].value;
        if (typeof expected === "number") expect(v.value as number).toBeCloseTo(expected, 9);
        else expect(v.value).toBe(expected);
      });
    });

    it("writes every intermediate value with --json", async () => {
      const result = await runCli(runner, ["assess", "-", "--bits", "8", "--json"], {
        stdin: loadSamples("rand8_short"),
      });
      expect(result.status).toBe(0);
      const json = JSON.parse(result.stdout.toString());
      expect(json).toMatchObject({
        file: "stdin",
        samples: 10000,
        bitsPerSymbol: 8,
        binding: { estimator: "compression", track: "bitstring" },
      });
      expect(json.estimates).toHaveLength(17);
      expect(json.estimates[0]).toMatchObject({
        estimator: "mcv",
        track: "bitstring",
        values: { modeCount: 40099 },
      });
      expect(json.minEntropy).toBeCloseTo(loadToolOutput("rand8_short").assessed, 9);
      expect(json.warnings[0]).toContain("only 10000 samples");
    });
  });
}

describe("qrng read --h takes the assessed min-entropy from qrng assess --json", () => {
  // Made in beforeAll, not at collection: a filtered run that skips every test skips afterAll too.
  let dir = "", bytes = "", nibbles = "", poor = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "qrng-assess-h-"));
    const write = (name: string, json: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(json));
      return path;
    };
    bytes = write("bytes.json", {
      file: "x",
      track: "non-iid",
      ...assessNonIid(loadSamples("rand8_short"), { bitsPerSymbol: 8 }),
    });
    nibbles = write("nibbles.json", {
      file: "x",
      track: "non-iid",
      ...assessNonIid(loadSamples("rand4_short"), { bitsPerSymbol: 4 }),
    });
    poor = write("poor.json", { track: "non-iid", bitsPerSymbol: 8, minEntropy: 0.01 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const runner of RUNNERS) {
    describe.skipIf(runner.name === "binary" && !binaryBuilt)(`under ${runner.name}`, () => {
      it("reads with the H of an 8-bit assessment", async () => {
        const result = await runCli(runner, ["read", "4K", "--device", "sim:qcicada", "--h", bytes]);
        expect(result.status).toBe(0);
        expect(result.stdout.length).toBe(4096);
      });

      it("refuses an assessment of other than 8-bit samples in one line", async () => {
        const result = await runCli(runner, ["read", "4K", "--device", "sim:qcicada", "--h", nibbles]);
        expect(result.stderr).toBe(
          `qrng read: --h ${nibbles} assesses 4-bit samples; the health tests of bytes need an assessment of 8-bit samples\n`,
        );
        expect(result.status).toBe(2);
      });

      it("refuses an assessed H below what the health tests handle", async () => {
        const result = await runCli(runner, ["read", "4K", "--device", "sim:qcicada", "--h", poor]);
        expect(result.stderr).toBe(
          `qrng read: --h ${poor} assesses 0.01 bits per sample, below the 0.0625 the tests handle\n`,
        );
        expect(result.status).toBe(2);
      });
    });
  }
});
