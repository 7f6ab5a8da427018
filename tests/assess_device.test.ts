import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryBuilt, runCli, RUNNERS, spawnCli } from "./_support/cli.ts";
import { type RunningEmulator, startEmulator } from "./_support/qcicada_emulator.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const dir = testTempDir("qrng-assess-device");

/** The emulator's config as `qrng config --json` shows it. */
async function configOf(uri: string): Promise<{ postprocess: string; nLsbits: number }> {
  const result = await runCli(RUNNERS[1], ["config", "--device", uri, "--json"]);
  expect(result.stderr).toBe("");
  return JSON.parse(result.stdout.toString());
}

describe("qrng assess --device against qrng emulate qcicada over TCP", () => {
  let fast: RunningEmulator, slow: RunningEmulator;
  beforeAll(async () => {
    [fast, slow] = await Promise.all([
      startEmulator(["--tcp", "127.0.0.1:0", "--rate", "max", "--startup-ms", "0", "--seed", "5"]),
      startEmulator(["--tcp", "127.0.0.1:0", "--rate", "2000", "--startup-ms", "0", "--seed", "6"]),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([fast?.stop(), slow?.stop()]);
  });

  for (const runner of RUNNERS) {
    describe.skipIf(runner.name === "binary" && !binaryBuilt)(`under ${runner.name}`, () => {
      it(
        "collects raw samples in RAW_NOISE mode with n_lsbits = --bits, saves them, and puts the config back",
        async () => {
          expect(await configOf(fast.uri)).toMatchObject({ postprocess: "SHA256", nLsbits: 4 });
          const file = join(dir, `raw-${runner.name}.bin`);
          const result = await runCli(runner, [
            "assess",
            "--device",
            fast.uri,
            "--samples",
            "20000",
            "--bits",
            "6",
            file,
            "--json",
          ]);
          expect(result.status).toBe(0);
          expect(result.stderr).toContain(
            "set to RAW_NOISE with n_lsbits 6 (its config is put back afterwards)",
          );
          const json = JSON.parse(result.stdout.toString());
          expect(json).toMatchObject({ file: fast.uri, track: "non-iid", samples: 20000, bitsPerSymbol: 6 });
          const saved = readFileSync(file);
          expect(saved.length).toBe(20000);
          expect(Math.max(...saved)).toBeLessThan(64);
          expect(await configOf(fast.uri)).toMatchObject({ postprocess: "SHA256", nLsbits: 4 });
        },
        60_000,
      );

      it("puts the config back when Ctrl-C ends the collection", async () => {
        const run = spawnCli(runner, ["assess", "--device", slow.uri, "--samples", "1000000", "--bits", "8"]);
        await new Promise<void>((resolve) => {
          run.child.stderr!.on("data", function waitForRawMode() {
            if (!run.stderr().includes("set to RAW_NOISE")) return;
            run.child.stderr!.off("data", waitForRawMode);
            setTimeout(() => (run.child.kill("SIGINT"), resolve()), 300);
          });
        });
        expect(await run.exited).toBe(130);
        expect(run.stderr()).toContain(
          "qrng assess: interrupted; nothing assessed (a device's config was put back)",
        );
        expect(await configOf(slow.uri)).toMatchObject({ postprocess: "SHA256", nLsbits: 4 });
      }, 60_000);
    });
  }
});

describe("qrng assess --device with the in-process emulators (sim:)", () => {
  it(
    "resets sim:qcicada 1000 times, saves the 1000 × 1000 restart dataset and runs the restart tests",
    async () => {
      const file = join(dir, "restarts.bin");
      const result = await runCli(RUNNERS[1], [
        "assess",
        "--device",
        "sim:qcicada?seed=3",
        "--restart",
        file,
        "--h",
        "3",
        "--bits",
        "4",
        "--iid",
        "--json",
      ], { timeoutMs: 120_000 });
      expect(result.stderr).toContain("set to RAW_NOISE with n_lsbits 4");
      expect(result.status).toBe(0);
      const json = JSON.parse(result.stdout.toString());
      expect(json).toMatchObject({
        restarts: 1000,
        samplesPerRestart: 1000,
        hInitial: 3,
        sanity: { passed: true },
        passed: true,
        minEntropy: 3,
      });
      const saved = readFileSync(file);
      expect(saved.length).toBe(1_000_000);
      expect(Math.max(...saved.subarray(0, 100_000))).toBeLessThan(16);
    },
    150_000,
  );

  it("takes an XR232's bytes as its raw samples", async () => {
    const result = await runCli(RUNNERS[1], [
      "assess",
      "--device",
      "sim:xr232",
      "--samples",
      "5000",
      "--json",
    ]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout.toString())).toMatchObject({
      file: "sim:xr232",
      samples: 5000,
      bitsPerSymbol: 8,
    });
  });

  it("refuses to overwrite an existing file with collected samples, before collecting", async () => {
    const file = join(dir, "kept.bin");
    writeFileSync(file, "someone's data");
    const result = await runCli(RUNNERS[1], ["assess", "--device", "sim:qcicada", "--samples", "5000", file]);
    expect(result.stderr).toBe(`qrng assess: ${file} exists; name a new file for the collected samples\n`);
    expect(result.status).toBe(2);
    expect(readFileSync(file, "utf8")).toBe("someone's data");
  });

  it("refuses an XR232, which cannot be reset by command, in one line", async () => {
    const result = await runCli(RUNNERS[1], [
      "assess",
      "--device",
      "sim:xr232",
      "--restart",
      join(dir, "x.bin"),
      "--h",
      "7",
    ]);
    expect(result.stderr).toBe(
      "qrng assess: sim:xr232 cannot be reset by command; power-cycle it 1000 times, " +
        "save 1000 samples after each, and give that file to --restart\n",
    );
    expect(result.status).toBe(2);
  });
});
