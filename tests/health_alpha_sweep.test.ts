/**
 * Good data passes at every α: 1 GiB of seeded AES-CTR keystream (node:crypto, aes-128-ctr over
 * zeros under a fixed key) goes through `qrng test`'s analysis and verdict and through `qrng
 * read`'s health policy (gate, persistent-failure rule and repetition check) at α from 2^-8 to
 * 2^-40, in-process and in one pass over the data; then the real CLI runs `test` on 1 GiB
 * of it and `read` on 256 MiB of the emulator's stream at a large α (it failed closed there).
 */
import { spawn } from "node:child_process";
import { createCipheriv } from "node:crypto";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { Analyzer } from "../wasm/analysis.ts";
import { judge } from "../cli/report/test_verdict.ts";
import { ReadHealth } from "../cli/sources/health.ts";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";

const GIB = 1 << 30;
const PIECE_BYTES = 1 << 20;
const KEY = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");

/** 1 GiB of AES-128-CTR keystream, piece by piece. */
function* keystream(total = GIB): Generator<Uint8Array> {
  const cipher = createCipheriv("aes-128-ctr", KEY, Buffer.alloc(16));
  const zeros = Buffer.alloc(PIECE_BYTES);
  for (let done = 0; done < total; done += PIECE_BYTES) yield cipher.update(zeros);
}

/** One CLI runner is enough for the 1 GiB runs: the binary when built, else Bun. */
const runner = RUNNERS.find((r) => r.name === (binaryBuilt ? "binary" : "bun"))!;

describe("1 GiB of ideal data", () => {
  it(
    "passes test's health verdict at α 2^-8 ... 2^-40 and read's health policy at 2^-8 and 2^-16",
    async () => {
      const testAlphas = [-8, -10, -16, -40];
      const readAlphas = [-8, -16];
      const analyzers = testAlphas.map((alphaLog2) =>
        new Analyzer({
          fips: false,
          ent: false,
          dsv: false,
          health: { h: 8, alphaLog2, symbols: "bytes", bitcount: { blockBits: 4096, alphaLog2 } },
        })
      );
      const reads = readAlphas.map((alphaLog2) => new ReadHealth(8, alphaLog2));
      let released = 0;
      let pieces = 0;
      for (const piece of keystream()) {
        for (const analyzer of analyzers) analyzer.push(piece);
        for (const read of reads) released += read.push(piece).length; // throws on a failure
        if (++pieces % 32 === 0) await new Promise((resolve) => setImmediate(resolve)); // let vitest talk
      }
      for (const [i, analyzer] of analyzers.entries()) {
        const selection = { fips: false, ent: false, health: true, minEntropy: false, dsv: false };
        const failed = judge(analyzer.results(), selection, false).filter((c) => !c.pass);
        expect(failed, `α = 2^${testAlphas[i]}`).toEqual([]);
      }
      for (const read of reads) expect(read.stats().repetition!.repeats).toBe(0);
      expect(released).toBeGreaterThan(0);
    },
    600_000,
  );

  it(`passes qrng test --health --alpha 2^-10 under ${runner.name}`, async () => {
    const child = spawn(runner.command, [
      ...runner.prefix,
      "test",
      "--health",
      "--alpha",
      "2^-10",
      "--json",
      "-",
    ], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const exited = once(child, "close");
    for (const piece of keystream()) if (!child.stdin.write(piece)) await once(child.stdin, "drain");
    child.stdin.end();
    const [status] = await exited;
    expect(stderr).toBe("");
    const json = JSON.parse(Buffer.concat(out).toString());
    expect(json.checks.filter((c: { pass: boolean }) => !c.pass)).toEqual([]);
    expect(json.health.apt.failures).toBeGreaterThan(1000); // the old rate allowed ~580 per GiB
    expect(status).toBe(0);
  }, 600_000);

  it(`reads 256 MiB from sim:qcicada at --alpha 2^-10 under ${runner.name}`, async () => {
    const r = await runCli(runner, [
      "read",
      "256M",
      "--device",
      "sim:qcicada?seed=3",
      "--alpha",
      "2^-10",
      "-o",
      "/dev/null",
      "--json",
    ], {
      timeoutMs: 600_000,
    });
    expect(r.stderr).not.toMatch(/Health tests failed|Repetition/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.toString()).health.windowsFailed).toBeGreaterThan(2000);
  }, 600_000);
});
