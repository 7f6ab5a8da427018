/**
 * The health flags `qrng read` and `qrng test` share (--h, --alpha), their one-line refusals,
 * and the repetition check in `qrng test`, end to end under Deno, Bun and the binary.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";
import { idealBytes } from "./_support/analysis_data.ts";

const dir = mkdtempSync(join(tmpdir(), "qrng-health-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ideal = join(dir, "ideal.bin");
writeFileSync(ideal, idealBytes(1 << 20, 21));
const replayed = join(dir, "replayed.bin");
const replay = idealBytes(1 << 20, 22);
replay.copyWithin(700_000, 100_000, 100_000 + 4096); // a 4 KiB block sent again 600,000 bytes later
writeFileSync(replayed, replay);
const counter = join(dir, "counter.bin");
writeFileSync(counter, Uint8Array.from({ length: 1 << 20 }, (_, i) => i & 255));

/** The one line a refusal prints, and that it is the only line. */
function oneLine(stderr: string): string {
  expect(stderr.trim().split("\n")).toHaveLength(1);
  return stderr.trim();
}

describe.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "health flags under $name",
  (runner) => {
    it("takes --h and --alpha on read as on test", async () => {
      const r = await runCli(runner, [
        "read",
        "64K",
        "--device",
        "sim:qcicada",
        "--h",
        "7.5",
        "--alpha",
        "2^-20",
        "--json",
      ]);
      expect(r.status).toBe(0);
      expect(r.stdout.length).toBe(65536);
      expect(JSON.parse(r.stderr.split("\n").find((l) => l.startsWith("{"))!).health.cutoffs).toEqual({
        rct: 4,
        apt: 15,
      });
      const t = await runCli(runner, ["test", ideal, "--health", "--h", "7.5", "--alpha", "1e-6", "--json"]);
      expect(t.status).toBe(0);
      expect(JSON.parse(t.stdout.toString()).health.options).toMatchObject({
        h: 7.5,
        alphaLog2: Math.log2(1e-6),
      });
    });

    it("refuses a tiny or impossible claim and a bad α in one line naming the flag", async () => {
      for (const command of [["read", "1M", "--device", "sim:qcicada"], ["test", ideal]]) {
        const tiny = await runCli(runner, [...command, "--h", "1e-300"]);
        expect(tiny.status).toBe(2);
        expect(oneLine(tiny.stderr)).toBe(
          `qrng ${command[0]}: --h needs a claimed min-entropy from 0.0625 to 8 bits per byte (not '1e-300')`,
        );
        const alpha = await runCli(runner, [...command, "--alpha", "2"]);
        expect(alpha.status).toBe(2);
        expect(oneLine(alpha.stderr)).toMatch(
          new RegExp(`^qrng ${command[0]}: --alpha needs a probability .* \\(not '2'\\)$`),
        );
      }
      const bits = await runCli(runner, ["test", ideal, "--symbols", "bits", "--h", "0.001"]);
      expect(oneLine(bits.stderr)).toBe(
        "qrng test: --h needs a claimed min-entropy from 0.0078125 to 1 bits per bit (not '0.001')",
      );
    });

    it("no longer knows read's --min-entropy and --alpha-log2, nor test's --min-entropy (now --mcv)", async () => {
      for (
        const args of [["read", "1K", "--min-entropy", "7"], ["read", "1K", "--alpha-log2=-30"], [
          "test",
          ideal,
          "--min-entropy",
        ]]
      ) {
        const r = await runCli(runner, args);
        expect(r.status).toBe(2);
        expect(oneLine(r.stderr)).toMatch(/unknown option '--(min-entropy|alpha-log2)'/);
      }
      const mcv = await runCli(runner, ["test", ideal, "--mcv"]);
      expect(mcv.status).toBe(0);
      expect(mcv.stdout.toString()).toMatch(/Most Common Value/i);
    });

    it("fails test --health on a replayed block and on a counter, naming the repeat", async () => {
      const r = await runCli(runner, ["test", replayed, "--health"]);
      expect(r.status).toBe(1);
      expect(r.stdout.toString()).toMatch(
        /Repetition check: any stretch of 1,054\+ bytes recurring within 4 MiB, of 2,078\+ within 256 MiB .* repeats in 1,048,576 bytes \(first: offset 70\d,\d{3} repeats offset 10\d,\d{3}\)/,
      );
      expect(r.stdout.toString()).toMatch(/FAIL: \d+ observed, .* fail on any repeat\n/);
      expect(r.stdout.toString()).toMatch(/Verdict: FAIL \(repetition\)/);
      const c = await runCli(runner, ["test", counter, "--health", "--json"]);
      expect(c.status).toBe(1);
      expect(
        JSON.parse(c.stdout.toString()).checks.find((x: { name: string }) => x.name === "repetition").pass,
      ).toBe(false);
      const fine = await runCli(runner, ["test", ideal, "--health", "--json"]);
      expect(JSON.parse(fine.stdout.toString()).repetition.repeats).toBe(0);
    });
  },
);
