import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { binaryBuilt, ROOT, runCli, RUNNERS } from "./_support/cli.ts";
import { ramp, VECTORS } from "./_support/analysis_vectors.ts";

const fixture = (name: string) => join(ROOT, "tests", "fixtures", name);
const HEADER = (unit: string) => `0,File-${unit}s,Entropy,Chi-square,Mean,Monte-Carlo-Pi,Serial-Correlation`;

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(`qrng test under ${runner.name}`, () => {
    for (const v of VECTORS.slice(0, 3)) {
      it(`prints ent -t and ent -b -t exactly for ${v.name}`, async () => {
        const result = await runCli(runner, ["test", fixture(v.name), "--ent-terse"]);
        expect(result.stdout.toString()).toBe(
          `${HEADER("byte")}\n${v.entBytes}\n${HEADER("bit")}\n${v.entBits}\n`,
        );
      });

      it(`reports rngtest's counts and the MCV for ${v.name} in --json`, async () => {
        const result = await runCli(runner, ["test", fixture(v.name), "--json"]);
        const json = JSON.parse(result.stdout.toString());
        expect(json.fips.blocks).toBe(v.fips.blocks);
        expect(json.fips.failed).toBe(v.fips.failed);
        expect(json.fips.failures).toEqual(v.fips.failures);
        expect(json.fips.block0.ones).toBe(v.fips.ones);
        expect(json.fips.block0.pokerSum).toBe(v.fips.pokerSum);
        if (v.fips.runs0) {
          expect([json.fips.block0.runsOfZeros, json.fips.block0.runsOfOnes]).toEqual([
            v.fips.runs0,
            v.fips.runs1,
          ]);
        }
        expect(json.minEntropy.bytes.mostCommon).toBe(v.mcv!.count);
        expect(json.minEntropy.bytes.h).toBeCloseTo(v.mcv!.h, 9);
        expect(result.status).toBe(json.pass ? 0 : 1);
      });
    }

    it("reads the constructed ramp from stdin and fails it", async () => {
      const result = await runCli(runner, ["test", "-", "--ent-terse"], { stdin: ramp() });
      expect(result.stdout.toString().split("\n")[1]).toBe(VECTORS[3].entBytes);
      expect(result.stdout.toString().split("\n")[3]).toBe(VECTORS[3].entBits);
      const fips = await runCli(runner, ["test", "--fips", "--json"], { stdin: ramp() });
      const json = JSON.parse(fips.stdout.toString());
      expect([json.fips.blocks, json.fips.failed, json.fips.failures]).toEqual([409, 268, [0, 268, 0, 0, 0]]);
      expect([json.fips.block0.ones, json.fips.block0.pokerSum]).toEqual([9944, 1563156]);
      expect(fips.status).toBe(1);
    });

    it("fails a million zero bytes with every FIPS test and ent's extremes", async () => {
      const result = await runCli(runner, ["test"], { stdin: new Uint8Array(1_000_000) });
      const text = result.stdout.toString();
      expect(result.status).toBe(1);
      for (const name of ["Monobit", "Poker", "Runs", "Long run", "Continuous run"]) {
        expect(text).toContain(`rngtest: FIPS 140-2(2001-10-10) ${name}: 399\n`);
      }
      expect(text).toContain("would exceed this value less than 0.01 percent of the times.");
      expect(text).toContain("Serial correlation coefficient is undefined (all values equal!).");
      expect(text).toMatch(
        /Verdict: FAIL \(fips, rct, apt, bitcount, repetition, chi-square, serial-correlation, dsv\)/,
      );
      const terse = await runCli(runner, ["test", "--ent-terse"], { stdin: new Uint8Array(1_000_000) });
      expect(terse.stdout.toString().split("\n")[1]).toBe(VECTORS[4].entBytes);
    });

    it("prints ent's own text for inputs too short for Monte Carlo (checked against ent 1.2)", async () => {
      const terse = await runCli(runner, ["test", "--ent-terse"], { stdin: "abc" });
      expect(terse.stdout.toString().split("\n")[1]).toBe("1,3,1.584963,253.000000,98.000000,-nan,-0.500000");
      const text = await runCli(runner, ["test", "--ent"], { stdin: "abc" });
      expect(text.stdout.toString()).toContain("Monte Carlo value for Pi is -nan (error nan percent).\n");
      expect(text.stdout.toString()).toContain("too little data to judge a source");
    });

    it("calls too little data inconclusive, never PASS, with exit status 3 (and no NaN for one byte)", async () => {
      const ten = await runCli(runner, ["test"], {
        stdin: new Uint8Array([7, 1, 200, 3, 99, 5, 6, 42, 8, 9]),
      });
      expect(ten.status).toBe(3);
      expect(ten.stdout.toString()).toMatch(
        /\nVerdict: INCONCLUSIVE \(10 bytes: at least 2,504 are needed to judge\)\n$/,
      );
      const json = await runCli(runner, ["test", "--json"], { stdin: "0123456789" });
      expect(json.status).toBe(3);
      expect(JSON.parse(json.stdout.toString())).toMatchObject({ verdict: "inconclusive", pass: false });
      const one = await runCli(runner, ["test"], { stdin: "x" });
      expect(one.status).toBe(3);
      expect(one.stdout.toString()).toContain("most common value 1 times in 1: H = 0.000000 bits per byte");
      expect(one.stdout.toString()).not.toMatch(/NaN/);
      expect(one.stdout.toString()).toMatch(
        /\nVerdict: INCONCLUSIVE \(1 bytes: .*; failed anyway: [a-z-]+\)\n/,
      );
    });

    it("passes good data and prints the readable report", async () => {
      const result = await runCli(runner, ["test", fixture("truerand_8bit.bin")]);
      const text = result.stdout.toString();
      expect(result.status).toBe(0);
      expect(text).toContain("rngtest: FIPS 140-2 successes: 399\n");
      expect(text).toContain(
        "Chi square distribution for 1000000 samples is 279.92, and randomly\n" +
          "would exceed this value 13.59 percent of the times.",
      );
      expect(text).toMatch(/Verdict: PASS/);
    });

    it("judges entitle.png's one failed FIPS block against the ideal rate, and fails it under --strict", async () => {
      const lenient = await runCli(runner, ["test", fixture("entitle.png"), "--fips"]);
      expect(lenient.stdout.toString()).toContain(
        "PASS: 1 observed, 3.0e-3 expected for ideal data; fail above 2 failed blocks",
      );
      expect(lenient.status).toBe(0);
      const strict = await runCli(runner, ["test", fixture("entitle.png"), "--fips", "--strict"]);
      expect(strict.status).toBe(1);
      expect(strict.stdout.toString()).toContain("Verdict: FAIL (fips) under --strict");
    });

    it("rejects unknown flags and bad values with one line and status 2", async () => {
      const unknown = await runCli(runner, ["test", "--frobnicate"]);
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toBe("qrng test: unknown option '--frobnicate' (see qrng test --help)\n");
      const alpha = await runCli(runner, ["test", "--alpha", "3"]);
      expect(alpha.status).toBe(2);
      expect(alpha.stderr).toBe(
        "qrng test: --alpha needs a probability from 2^-100 to below 1, such as 2^-30 or 1e-9 (not '3')\n",
      );
      const h = await runCli(runner, ["test", "--symbols", "bits", "--h", "2"]);
      expect([h.status, h.stderr]).toEqual([
        2,
        "qrng test: --h needs a claimed min-entropy from 0.0078125 to 1 bits per bit (not '2')\n",
      ]);
    });

    it("reports an unreadable file and empty input in one line with status 1", async () => {
      const missing = await runCli(runner, ["test", "/nonexistent/data.bin"]);
      expect(missing.status).toBe(1);
      expect(missing.stderr.split("\n")).toHaveLength(2);
      expect(missing.stderr).toMatch(/^qrng: .*\/nonexistent\/data\.bin/);
      const empty = await runCli(runner, ["test"]);
      expect([empty.status, empty.stderr]).toEqual([1, "qrng: Cannot test stdin: no data\n"]);
    });

    it("runs only the selected tests", async () => {
      const result = await runCli(runner, [
        "test",
        fixture("data.sha1"),
        "--health",
        "--symbols",
        "bits",
        "--h",
        "1",
        "--alpha",
        "2^-20",
        "--json",
      ]);
      const json = JSON.parse(result.stdout.toString());
      expect(json.fips).toBeUndefined();
      expect(json.health.cutoffs.rct).toBe(21);
      expect(json.health.cutoffs.apt).toBe(589);
      expect(json.health.samples).toBe(1_000_000);
      expect(json.checks.map((c: { name: string }) => c.name)).toEqual([
        "rct",
        "apt",
        "bitcount",
        "repetition",
      ]);
      expect(result.status).toBe(0);
    });
  });
}
