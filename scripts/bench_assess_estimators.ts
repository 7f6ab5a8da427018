/**
 * Per-estimator CPU time of the assessment core (`sh scripts/bench-assess -v` runs it): where
 * the time of `qrng assess` goes, estimator by estimator and track by track, and the WASM
 * memory each leaves behind (the module's memory never shrinks, so the last figure is its peak).
 *
 *   bun scripts/bench_assess_estimators.ts FILE BITS [ROUNDS [ESTIMATOR]]
 *   ASSESS_WASM=old.wasm bun scripts/bench_assess_estimators.ts FILE BITS   (another build: A/B)
 *
 * Each estimator runs ROUNDS times (default 1) on one prepared instance; the best CPU time is
 * shown (CPU, not wall: other jobs on a shared machine would inflate wall time).
 */
import { readFileSync } from "node:fs";
import { type AssessExports, newAssessInstance } from "../wasm/_assess.ts";

const [file, bitsText, roundsText, only] = process.argv.slice(2);
if (!file || !/^[1-8]$/.test(bitsText ?? "")) {
  console.error("usage: bun scripts/bench_assess_estimators.ts FILE BITS [ROUNDS [ESTIMATOR]]");
  process.exit(2);
}
const bits = Number(bitsText);
const rounds = Number(roundsText ?? 1);
const samples = readFileSync(file);
const other = process.env.ASSESS_WASM;
const wasm: AssessExports = other
  ? new WebAssembly.Instance(new WebAssembly.Module(readFileSync(other)), {})
    .exports as unknown as AssessExports
  : newAssessInstance();
const ptr = wasm.reserve(samples.length);
new Uint8Array(wasm.memory.buffer, ptr, samples.length).set(samples);
const info = wasm.prepareSymbols(ptr, samples.length, bits);
const binary = bits === 1 || (info & 0xFF) === 1;
const tracks: Array<[string, number, number, number]> = [["literal", ptr, samples.length, binary ? 1 : bits]];
if (!binary) {
  const bitsPtr = wasm.reserve(samples.length * bits);
  wasm.expandBits(ptr, samples.length, bits, bitsPtr);
  tracks.unshift(["bitstring", bitsPtr, samples.length * bits, 1]);
}
if ((info >> 16) !== 0) wasm.translateSymbols(ptr, samples.length);

const estimators: Array<[string, (p: number, n: number, w: number) => void, boolean]> = [
  ["mcv", (p, n) => wasm.mostCommonValue(p, n), false],
  ["collision", (p, n) => wasm.collision(p, n), true],
  ["markov", (p, n) => wasm.markov(p, n), true],
  ["compression", (p, n) => wasm.compression(p, n), true],
  ["tTuple+lrs", (p, n, w) => wasm.tupleAndLrs(p, n, w), false],
  ["multiMcw", (p, n, w) => wasm.multiMcw(p, n, w), false],
  ["lag", (p, n, w) => wasm.lag(p, n, w), false],
  ["multiMmc", (p, n, w) => wasm.multiMmc(p, n, w), false],
  ["lz78y", (p, n, w) => wasm.lz78y(p, n, w), false],
];
let total = 0;
console.log(`${file}: ${samples.length} samples of ${bits} bits`);
console.log(
  `${"estimator".padEnd(12)} ${"track".padEnd(10)} ${"CPU ms".padStart(8)} ${"WASM MB".padStart(8)}`,
);
for (const [name, run, bitsOnly] of estimators) {
  if (only && name !== only) continue;
  for (const [track, p, n, w] of tracks) {
    if (bitsOnly && track !== tracks[0][0]) continue;
    let best = Infinity;
    for (let r = 0; r < rounds; r++) {
      const start = process.cpuUsage();
      run(p, n, w);
      const used = process.cpuUsage(start);
      best = Math.min(best, (used.user + used.system) / 1000);
    }
    total += best;
    const megabytes = wasm.memory.buffer.byteLength / 2 ** 20;
    console.log(
      `${name.padEnd(12)} ${track.padEnd(10)} ${best.toFixed(1).padStart(8)} ${
        megabytes.toFixed(1).padStart(8)
      }`,
    );
  }
}
console.log(`${"total".padEnd(23)} ${total.toFixed(1).padStart(8)}`);
