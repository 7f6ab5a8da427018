/** ent's own output formats (Fourmilab ent.c): the prose report and `ent -t`'s CSV. */
import type { EntStats } from "../../wasm/ent.ts";

/** C's printf of a double with `digits` decimals (NaN prints as "nan", as glibc does). */
const fixed = (x: number, digits: number) => Number.isNaN(x) ? "nan" : x.toFixed(digits);
/** ent's %f: six decimals. */
const f6 = (x: number) => fixed(x, 6);
/** ent's π with no complete 6-byte try is 0.0/0, which x86 glibc prints as "-nan". */
const pi = (x: number, digits: number) => Number.isNaN(x) ? "-nan" : x.toFixed(digits);

/** The two lines `ent -t` (or `ent -b -t` when `bits`) prints. */
export function entTerse(s: EntStats, bits: boolean): string {
  return `0,File-${bits ? "bit" : "byte"}s,Entropy,Chi-square,Mean,Monte-Carlo-Pi,Serial-Correlation\n` +
    `1,${s.samples},${f6(s.entropy)},${f6(s.chiSquare)},${f6(s.mean)},${pi(s.monteCarloPi, 6)},${
      f6(s.serialCorrelation)
    }\n`;
}

/** ent's wording of the χ² probability. */
export function chiSquareWording(probability: number): string {
  if (probability < 0.0001) return "less than 0.01";
  if (probability > 0.9999) return "more than than 99.99"; // sic, as ent prints it
  return (probability * 100).toFixed(2);
}

/** The report `ent` (or `ent -b`) prints. */
export function entText(s: EntStats, bits: boolean): string {
  const unit = bits ? "bit" : "byte";
  const error = (100 * Math.abs(Math.PI - s.monteCarloPi)) / Math.PI;
  const scc = s.serialCorrelation >= -99999
    ? `Serial correlation coefficient is ${f6(s.serialCorrelation)} (totally uncorrelated = 0.0).`
    : "Serial correlation coefficient is undefined (all values equal!).";
  return [
    `Entropy = ${f6(s.entropy)} bits per ${unit}.`,
    "",
    "Optimum compression would reduce the size",
    `of this ${s.samples} ${unit} file by ${s.compressionPercent} percent.`,
    "",
    `Chi square distribution for ${s.samples} samples is ${s.chiSquare.toFixed(2)}, and randomly`,
    `would exceed this value ${chiSquareWording(s.chiSquareProbability)} percent of the times.`,
    "",
    `Arithmetic mean value of data ${unit}s is ${s.mean.toFixed(4)} (${bits ? "0.5" : "127.5"} = random).`,
    `Monte Carlo value for Pi is ${pi(s.monteCarloPi, 9)} (error ${fixed(error, 2)} percent).`,
    scc,
    "",
  ].join("\n");
}
