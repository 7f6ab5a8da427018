/**
 * In-process throughput of the analysis core, per test and combined, on one file: each pass
 * reads the file straight into the WASM input buffer (as `qrng test` does) and times only the
 * analysis calls, so the figures are the core's own speed on one core. Times are CPU time
 * (process.cpuUsage), which other processes on a shared machine disturb less than wall time.
 *
 *   bun scripts/bench_test_inprocess.ts FILE       (RUNS=n: runs per pass, default 3)
 */
import { closeSync, openSync, readSync } from "node:fs";
import process from "node:process";
import { type AnalysisOptions, Analyzer } from "../wasm/analysis.ts";

const file = process.argv[2];
if (!file) {
  console.error("usage: bun scripts/bench_test_inprocess.ts FILE");
  process.exit(2);
}
const HEALTH = {
  h: 8,
  alphaLog2: -30,
  symbols: "bytes",
  bitcount: { blockBits: 4096, alphaLog2: -30 },
} as const;
const PASSES: Array<[string, AnalysisOptions]> = [
  ["histogram (ent entropy/chi-square/mean, MCV)", { fips: false, ent: false, dsv: false }],
  ["FIPS 140-2 (+ histogram)", { fips: true, ent: false, dsv: false }],
  ["ent SCC + Monte Carlo (+ histogram)", { fips: false, ent: true, dsv: false }],
  ["health, bytes (+ histogram)", { fips: false, ent: false, dsv: false, health: HEALTH }],
  ["health, bits (+ histogram)", {
    fips: false,
    ent: false,
    dsv: false,
    health: { ...HEALTH, h: 1, symbols: "bits" },
  }],
  ["repetition check (+ histogram)", { fips: false, ent: false, dsv: false, repetition: { hPerByte: 8 } }],
  ["DSV walk (+ histogram)", { fips: false, ent: false, dsv: true }],
  ["default battery without repetition check", { health: HEALTH }],
  ["default battery (qrng test)", { health: HEALTH, repetition: { hPerByte: 8 } }],
];

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function run(options: AnalysisOptions): { bytes: number; analyseMs: number; totalMs: number } {
  const analyzer = new Analyzer(options);
  const buffer = analyzer.inputBuffer();
  const fd = openSync(file, "r");
  let bytes = 0, analyseMs = 0;
  const start = cpuMs();
  for (;;) {
    const got = readSync(fd, buffer, 0, buffer.length, null);
    if (got === 0) break;
    const t0 = cpuMs();
    analyzer.update(got);
    analyseMs += cpuMs() - t0;
    bytes += got;
  }
  analyzer.results();
  closeSync(fd);
  return { bytes, analyseMs, totalMs: cpuMs() - start };
}

const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0).padStart(6);
const runs = Math.max(1, Number(process.env.RUNS ?? 3));
console.log(
  `in-process, ${
    typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "Bun" : "Deno/Node"
  }: CPU time, best of ${runs} runs (spread: slowest minus best, in MB/s)`,
);
console.log(
  `${"pass".padEnd(46)} ${"MB/s".padStart(6)} ${"ns/B".padStart(6)} ${"spread".padStart(7)}  ${
    "with reads".padStart(10)
  }`,
);
for (const [name, options] of PASSES) {
  const all = Array.from({ length: runs }, () => run(options));
  const best = all.reduce((a, b) => (a.analyseMs < b.analyseMs ? a : b));
  const worst = all.reduce((a, b) => (a.analyseMs > b.analyseMs ? a : b));
  const spread = best.bytes / 1e6 / (best.analyseMs / 1000) - worst.bytes / 1e6 / (worst.analyseMs / 1000);
  console.log(
    `${name.padEnd(46)} ${mbps(best.bytes, best.analyseMs)} ${
      (best.analyseMs * 1e6 / best.bytes).toFixed(2).padStart(6)
    } ${spread.toFixed(0).padStart(7)}  ${mbps(best.bytes, best.totalMs).padStart(10)}`,
  );
}
