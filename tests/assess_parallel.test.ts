/**
 * `qrng assess --threads 2` shares the non-IID estimators with a Web Worker (cli/assess/): the
 * assessment must be the serial one to the last digit under Deno, Bun and the compiled binary,
 * and a binary that cannot start the worker must say so rather than hang or differ.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPILE_FLAGS } from "../scripts/build_binary.ts";
import { binaryBuilt, ROOT, runCli, type Runner, RUNNERS } from "./_support/cli.ts";
import { loadSamples } from "./_support/sp800_90b.ts";
import { runClaimed } from "../cli/assess/parallel.ts";
import { plannedRuns, prepareEstimators, runEstimators } from "../wasm/assess.ts";

const FILES = [
  { name: "rand8_short", bits: "8" },
  { name: "rand4_short", bits: "4" },
  { name: "rand1_short", bits: "1" },
];

async function assessJson(runner: Runner, name: string, bits: string, threads: string) {
  const result = await runCli(runner, ["assess", "-", "--bits", bits, "--json", "--threads", threads], {
    stdin: loadSamples(name),
  });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return result.stdout.toString();
}

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(
    `qrng assess --threads 2 under ${runner.name}`,
    () => {
      for (const { name, bits } of FILES) {
        it(`assesses ${name} exactly as one thread does`, async () => {
          const [parallel, serial] = await Promise.all([
            assessJson(runner, name, bits, "2"),
            assessJson(runner, name, bits, "1"),
          ]);
          expect(JSON.parse(parallel).estimates.length).toBeGreaterThan(8);
          expect(parallel).toBe(serial);
        });
      }
    },
  );
}

it("each thread runs, in its own order, exactly the runs the other has not claimed", () => {
  const prepared = prepareEstimators(loadSamples("rand8_short"), { bitsPerSymbol: 8 });
  const runs = plannedRuns(prepared);
  const claims = new Int32Array(new SharedArrayBuffer(4 * runs.length));
  const order = runs.map((_, k) => k).reverse();
  const taken = [order[0], order[3]]; // as if the other thread held them
  for (const k of taken) claims[k] = 1;
  const claimed: number[] = [];
  const estimates = runClaimed(prepared, runs, order, claims, claimed);
  const rest = order.filter((k) => !taken.includes(k));
  expect(claimed).toEqual(rest);
  expect(estimates).toEqual(runEstimators(prepared, rest.map((k) => runs[k])));
  expect(Array.from(claims)).toEqual(runs.map(() => 1));
  expect(runClaimed(prepared, runs, order, claims)).toEqual([]);
});

it("qrng assess refuses a --threads other than 1 or 2 in one line", async () => {
  const result = await runCli(RUNNERS[1], ["assess", "-", "--threads", "3"], {
    stdin: loadSamples("rand8_short"),
  });
  expect(result.stderr).toBe("qrng assess: --threads wants 1 or 2 (not '3')\n");
  expect(result.status).toBe(2);
});

it("qrng assess refuses --threads with the IID track, which it does not share out", async () => {
  const result = await runCli(RUNNERS[1], ["assess", "-", "--iid", "--threads", "2"], {
    stdin: loadSamples("rand8_short"),
  });
  expect(result.stderr).toBe("qrng assess: --threads shares out the non-IID estimators of a FILE; drop it\n");
  expect(result.status).toBe(2);
});

describe("a compiled qrng without the worker's entry point", () => {
  // Made in beforeAll, not at collection: a filtered run that skips every test skips afterAll too.
  let binary = "";
  beforeAll(() => {
    binary = join(mkdtempSync(join(tmpdir(), "qrng-noworker-")), "qrng");
    const facts = JSON.stringify({ commit: "test", target: "test", core: { sha256: "", modules: {} } });
    const build = spawnSync(
      join(ROOT, "node_modules", ".bin", "bun"),
      [
        "build",
        ...COMPILE_FLAGS,
        "--define",
        `QRNG_BUILD=${JSON.stringify(facts)}`,
        join(ROOT, "cli", "main.ts"),
      ]
        .concat(["--outfile", binary]),
      { encoding: "utf8" },
    );
    if (build.status !== 0) throw new Error(`bun build --compile failed: ${build.stderr}`);
  }, 120_000);
  afterAll(() => {
    if (binary) rmSync(dirname(binary), { recursive: true, force: true });
  });

  it("says in one line that --threads 2 cannot start its worker", async () => {
    const runner: Runner = { name: "binary", command: binary, prefix: [] };
    const result = await runCli(runner, ["assess", "-", "--bits", "8", "--threads", "2"], {
      stdin: loadSamples("rand8_short"),
    });
    expect(result.stderr).toMatch(/^qrng assess: cannot use a second thread: the estimator worker .+\n$/);
    expect(result.status).toBe(1);
  });
});
