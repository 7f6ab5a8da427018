import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assessRestarts, restartCutoff } from "../wasm/assess_restart.ts";
import { runCli, RUNNERS } from "./_support/cli.ts";
import { loadRestartToolOutput, restartDataset } from "./_support/sp800_90b_restart.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const dir = testTempDir("qrng-assess-restart");
const seeded = restartDataset(false), stuck = restartDataset(true);

it("rebuilds the restart dataset ea_restart was run on (its SHA-256 as the tool printed it)", () => {
  expect(createHash("sha256").update(seeded).digest("hex")).toBe(
    "1d2ee2a045b4dbb17f011419b676588096ec605064c271ad3408eb3b95281109",
  );
  expect(createHash("sha256").update(stuck).digest("hex")).toBe(
    "6aaf25172672c7349aa8f5782c969b36e5c70d0c5510b388f3169d21e40037c4",
  );
});

describe("the restart sanity check's cutoff", () => {
  it("is ea_restart's X_cutoff for 8-bit data at H_I from 1 to 8", () => {
    const tool: Record<number, number> = { 1: 572, 2.5: 237, 4: 104, 5.3: 55, 7: 27, 7.5: 22, 8: 19 };
    for (const [h, cutoff] of Object.entries(tool)) {
      expect([h, restartCutoff(Number(h))]).toEqual([h, cutoff]);
    }
  });
});

describe("assessRestarts matches ea_restart", () => {
  it("fails the sanity check on restarts that begin with the same 20 samples, assessing nothing", () => {
    const tool = loadRestartToolOutput("stuck");
    const a = assessRestarts(stuck, { bitsPerSymbol: 8, hInitial: 7.5 });
    expect(a.sanity).toMatchObject({
      maxColumnCount: tool.maxCount,
      column: 0,
      cutoff: tool.cutoff,
      passed: false,
    });
    expect(tool.sanityPassed).toBe(false);
    expect(a).toMatchObject({ passed: false, minEntropy: null, hRow: null, hColumn: null });
    expect(a.rows).toBeUndefined();
  });

  it("passes seeded restarts as an IID source, with the tool's H_r, H_c and min(H_r, H_c, H_I)", () => {
    const tool = loadRestartToolOutput("seeded_iid");
    const a = assessRestarts(seeded, { bitsPerSymbol: 8, hInitial: 7.5, track: "iid" });
    expect(Math.max(a.sanity.maxRowCount, a.sanity.maxColumnCount)).toBe(tool.maxCount);
    expect(a.sanity).toMatchObject({ cutoff: tool.cutoff, passed: true });
    expect(a.hRow!.toFixed(6)).toBe(tool.hRow!.toFixed(6));
    expect(a.hColumn!.toFixed(6)).toBe(tool.hColumn!.toFixed(6));
    expect(a.passed).toBe(true);
    expect(a.minEntropy).toBe(tool.validated);
  });

  it("refuses a dataset of other than 1000 × 1000 samples", () => {
    expect(() => assessRestarts(seeded.subarray(1), { bitsPerSymbol: 8, hInitial: 7.5 })).toThrow(
      "Cannot run the restart tests: they need 1000000 samples (1000 restarts × 1000), not 999999",
    );
  });
});

describe("qrng assess --restart", () => {
  let seededFile = "", stuckFile = "";
  beforeAll(() => {
    seededFile = join(dir, "seeded.bin");
    stuckFile = join(dir, "stuck.bin");
    writeFileSync(seededFile, seeded);
    writeFileSync(stuckFile, stuck);
  });

  // A child process: the non-IID track on two 10^6-sample datasets takes seconds of CPU.
  it("assesses rows and columns with the non-IID track to ea_restart's H_r, H_c and result", async () => {
    const tool = loadRestartToolOutput("seeded_non_iid");
    const result = await runCli(RUNNERS[1], [
      "assess",
      "--restart",
      seededFile,
      "--h",
      "7.5",
      "--bits",
      "8",
      "--json",
    ], { timeoutMs: 300_000 });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout.toString());
    expect(json.sanity).toMatchObject({ cutoff: tool.cutoff, passed: true });
    expect(json.hRow.toFixed(6)).toBe(tool.hRow!.toFixed(6));
    expect(json.hColumn.toFixed(6)).toBe(tool.hColumn!.toFixed(6));
    expect(json.minEntropy.toFixed(6)).toBe(tool.validated!.toFixed(6));
    expect(json.passed).toBe(true);
  }, 300_000);

  it("exits 1 and says why when the sanity check fails", async () => {
    const result = await runCli(RUNNERS[1], ["assess", "--restart", stuckFile, "--h", "7.5", "--bits", "8"]);
    expect(result.status).toBe(1);
    const text = result.stdout.toString();
    expect(text).toContain("a value 1000 times in column 0");
    expect(text).toContain("explains at most 22");
    expect(text).toContain("Restart tests FAILED: H_I is not supported by the restarts");
  });

  it("refuses --restart without --h in one line", async () => {
    const result = await runCli(RUNNERS[1], ["assess", "--restart", stuckFile]);
    expect(result.stderr).toBe(
      "qrng assess: --restart needs --h H_I, the initial entropy estimate to check\n",
    );
    expect(result.status).toBe(2);
  });
});
