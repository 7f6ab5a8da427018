/**
 * Reads NIST's `ea_iid -v` outputs (tests/fixtures/sp800-90b/iid/*.txt; the commands that made
 * them are in that folder's README.md) into the values and verdicts to compare with qrng's.
 */
import { readFileSync } from "node:fs";
import { SP800_90B_DIR } from "./sp800_90b.ts";

/** One chi-square test as the tool printed it. */
export interface ToolChiSquare {
  score: number;
  degreesOfFreedom: number;
  pValue: number;
}

/** Everything one `ea_iid -v` output states. */
export interface ToolIidOutput {
  independence: ToolChiSquare;
  goodnessOfFit: ToolChiSquare;
  chiSquarePassed: boolean;
  longestRepeat: { collisionProbability: number; length: number; probability: number; passed: boolean };
  /** The 19 statistics of the data, in the tool's order (its printing keeps 6 digits). */
  initial: Array<{ name: string; value: number }>;
  /** C0, C1, C2 and the verdict per statistic (empty when the run was stopped before). */
  counts: Array<{ name: string; c0: number; c1: number; c2: number; failed: boolean }>;
  permutationPassed: boolean;
  hOriginal: number;
  hBitstring: number | null;
}

/** Parses one `ea_iid -v` output. */
export function parseIidToolOutput(text: string): ToolIidOutput {
  const all = (re: RegExp) => [...text.matchAll(re)].map((m) => Number(m[1]));
  const scores = all(/score = (\S+)/g),
    dfs = all(/degrees of freedom = (\S+)/g),
    ps = all(/p-value = (\S+)/g);
  const initialBlock = text.slice(text.indexOf("Initial test results")).split("\n").slice(1, 20);
  // Runs stopped during the permutation tests (see the README) have no table.
  const table = text.includes("-----\n")
    ? text.slice(text.indexOf("-----\n") + 6).split("\n").slice(0, 19)
    : [];
  const one = (re: RegExp) => Number(re.exec(text)![1]);
  const hBitstring = /H_bitstring: (\S+)/.exec(text);
  return {
    independence: { score: scores[0], degreesOfFreedom: dfs[0], pValue: ps[0] },
    goodnessOfFit: { score: scores[1], degreesOfFreedom: dfs[1], pValue: ps[1] },
    chiSquarePassed: text.includes("** Passed chi square tests"),
    longestRepeat: {
      collisionProbability: one(/P_col: (\S+)/),
      length: one(/Length of LRS: (\S+)/),
      probability: one(/Pr\(X >= 1\): (\S+)/),
      passed: text.includes("** Passed length of longest repeated substring test"),
    },
    initial: initialBlock.map((line) => {
      const [name, value] = line.trim().split(": ");
      return { name, value: Number(value) };
    }),
    counts: table.map((line) => {
      const [name, c0, c1, c2] = line.trim().split(/\s+/);
      return {
        name: name.replace(/\*$/, ""),
        c0: Number(c0),
        c1: Number(c1),
        c2: Number(c2),
        failed: name.endsWith("*"),
      };
    }),
    permutationPassed: text.includes("** Passed IID permutation tests"),
    hOriginal: one(/H_original: (\S+)/),
    hBitstring: hBitstring ? Number(hBitstring[1]) : null,
  };
}

/** NIST's `ea_iid -v` output for `name`. */
export function loadIidToolOutput(name: string): ToolIidOutput {
  return parseIidToolOutput(readFileSync(new URL(`iid/${name}.txt`, SP800_90B_DIR), "utf8"));
}

/**
 * The random walk the failing fixture was made from: 4-bit samples, each the last plus 0 or 1
 * (mod 16) by the low bit of xorshift32 from 2463534242 (Marsaglia's example seed).
 */
export function randomWalk4(samples: number): Uint8Array {
  const out = new Uint8Array(samples);
  let x = 2463534242, s = 0;
  for (let i = 0; i < samples; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    s = (s + (x & 1)) % 16;
    out[i] = s;
  }
  return out;
}
