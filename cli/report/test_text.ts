/**
 * The readable report of `qrng test`: rngtest's and ent's own lines where people know them,
 * then min-entropy, health tests, DSV and histogram, and the verdict with expected vs
 * observed failures.
 */
import { type AnalysisResults, FIPS_TEST_NAMES } from "../../wasm/analysis.ts";
import { entText } from "./ent_text.ts";
import { type Check, MIN_JUDGED_BYTES, type Selection, verdictOf } from "./test_verdict.ts";
/** A count with thousands separators ("1,000,000"), without Intl: its first use costs ~3 ms. */
const n = (count: number) => String(count).replace(/\B(?=(\d{3})+$)/g, ",");
const signed = (x: number) => (x > 0 ? "+" : "") + n(x);
const expectedText = (x: number) => x >= 100 ? x.toFixed(0) : x >= 0.01 ? x.toFixed(2) : x.toExponential(1);

function checkLine(c: Check | undefined): string {
  if (!c) return "";
  const status = c.pass ? "PASS" : "FAIL";
  if (c.expected === undefined) return `  ${status}: ${c.rule}`;
  return `  ${status}: ${n(c.observed)} observed, ${
    expectedText(c.expected)
  } expected for ideal data; ${c.rule}`;
}

function fipsSection(r: AnalysisResults, checks: Check[]): string[] {
  const f = r.fips!;
  const lines = [
    "FIPS 140-2 (rngtest semantics: 4 seed bytes, then 2500-byte blocks)",
    `rngtest: bits received from input: ${r.bytes * 8}`,
    `rngtest: FIPS 140-2 successes: ${f.blocks - f.failed}`,
    `rngtest: FIPS 140-2 failures: ${f.failed}`,
    ...FIPS_TEST_NAMES.map((name, i) => `rngtest: FIPS 140-2(2001-10-10) ${name}: ${f.failures[i]}`),
  ];
  if (f.failedBlocks.length) {
    lines.push(
      `  first failed blocks: ${f.failedBlocks.join(", ")}${f.failed > f.failedBlocks.length ? ", ..." : ""}`,
    );
  }
  lines.push(checkLine(checks.find((c) => c.name === "fips")));
  return lines;
}

function healthSection(r: AnalysisResults, checks: Check[]): string[] {
  const h = r.health!, c = h.cutoffs, o = h.options;
  const unit = o.symbols === "bits" ? "bit" : "byte";
  const lines = [
    `Health tests (SP 800-90B §4.4, ${o.symbols}, H = ${o.h} bits per ${unit}, α = 2^${o.alphaLog2})`,
    `  Repetition Count: cutoff ${c.rct}; ${n(h.rct.failures)} failures in ${n(h.samples)} samples` +
    (h.rct.offsets.length ? ` (first at sample ${h.rct.offsets.slice(0, 5).map(n).join(", ")})` : ""),
    checkLine(checks.find((x) => x.name === "rct")),
    `  Adaptive Proportion: cutoff ${c.apt} in ${c.aptWindowSamples}-sample windows; ${
      n(h.apt.failures)
    } of ` +
    `${n(h.apt.windows)} windows failed` +
    (h.apt.offsets.length ? ` (first at sample ${h.apt.offsets.slice(0, 5).map(n).join(", ")})` : ""),
    checkLine(checks.find((x) => x.name === "apt")),
  ];
  if (h.bitcount && c.bitcount) {
    lines.push(
      `  Bit count: ones in [${c.bitcount.low}, ${c.bitcount.high}] per ${c.bitcount.blockBits}-bit block; ` +
        `${n(h.bitcount.failures)} of ${n(h.bitcount.blocks)} blocks failed`,
      checkLine(checks.find((x) => x.name === "bitcount")),
    );
  }
  const rep = r.repetition;
  if (rep) {
    const p = rep.parameters;
    lines.push(
      `  Repetition check: any stretch of ${n(p.nearStretchBytes)}+ bytes recurring within ${
        p.nearHistoryBytes / 2 ** 20
      } MiB, ` +
        `of ${n(p.stretchBytes)}+ within ${p.historyBytes / 2 ** 20} MiB ` +
        `(${p.gramBytes}-byte grams); ${n(rep.repeats)} repeats in ${n(rep.bytes)} bytes` +
        (rep.first.length
          ? ` (first: offset ${n(rep.first[0].later)} repeats offset ${n(rep.first[0].earlier)})`
          : ""),
      checkLine(checks.find((x) => x.name === "repetition")),
    );
  }
  return lines;
}

function histogramSection(r: AnalysisResults): string[] {
  const expected = r.bytes / 256;
  const sigma = Math.sqrt(r.bytes * (1 / 256) * (255 / 256));
  const low = expected - 3 * sigma, high = expected + 3 * sigma;
  let min = 0, max = 0, outside = 0;
  r.histogram.forEach((count, v) => {
    if (count < r.histogram[min]) min = v;
    if (count > r.histogram[max]) max = v;
    if (count < low || count > high) outside++;
  });
  const hex = (v: number) => `0x${v.toString(16).padStart(2, "0")}`;
  return [
    "Byte histogram",
    `  expected ${expected.toFixed(2)} per value, ±3σ band ${low.toFixed(1)} .. ${high.toFixed(1)}; ` +
    `${outside} of 256 values outside (${(256 * 0.0027).toFixed(2)} expected)`,
    `  lowest ${n(r.histogram[min])} (${hex(min)}), highest ${n(r.histogram[max])} (${hex(max)})`,
  ];
}

function dsvSection(r: AnalysisResults, checks: Check[]): string[] {
  const bits = r.bytes * 8;
  const d = r.dsv, b = d.blocks;
  const lines = [
    "Digital sum value (+1 per 1 bit, −1 per 0 bit)",
    `  overall ${signed(d.final)} after ${n(bits)} bits (${(d.final / Math.sqrt(bits)).toFixed(2)} σ)` +
    (d.min !== undefined ? `; the walk ranged ${signed(d.min)} .. ${signed(d.max!)}` : ""),
  ];
  if (b.count) {
    lines.push(
      `  per 20000-bit block (${n(b.count)} blocks): ${signed(b.min)} .. ${signed(b.max)}, RMS ${
        b.rms.toFixed(1)
      } ` +
        `(ideal 141.4), ${n(b.outside3Sigma)} beyond ±3σ (${expectedText(b.count * 0.0027)} expected)`,
    );
  }
  lines.push(checkLine(checks.find((c) => c.name === "dsv")));
  return lines;
}

/** The whole readable report. */
export function testReport(
  source: string,
  r: AnalysisResults,
  selection: Selection,
  checks: Check[],
  strict: boolean,
): string {
  const out: string[] = [`qrng test: ${source}, ${n(r.bytes)} bytes`, ""];
  if (r.bytes < MIN_JUDGED_BYTES) {
    out.push(
      `Note: fewer than ${n(MIN_JUDGED_BYTES)} bytes (one FIPS block): too little data to judge a source.`,
      "",
    );
  }
  if (selection.fips && r.fips) out.push(...fipsSection(r, checks), "");
  if (selection.ent) {
    out.push("ent (bytes)", entText(r.ent.bytes, false));
    out.push(checkLine(checks.find((c) => c.name === "chi-square")));
    out.push(checkLine(checks.find((c) => c.name === "serial-correlation")), "");
    if (r.ent.bits) out.push("ent -b (bits)", entText(r.ent.bits, true));
  }
  if (selection.minEntropy) {
    const m = r.minEntropy;
    out.push(
      "Min-entropy (SP 800-90B §6.3.1 Most Common Value)",
      `  bytes: most common value ${n(m.bytes.mostCommon)} times in ${n(r.bytes)}: H = ${
        m.bytes.h.toFixed(6)
      } bits per byte`,
      `  bits:  most common value ${n(m.bits.mostCommon)} times in ${n(r.bytes * 8)}: H = ${
        m.bits.h.toFixed(6)
      } bits per bit`,
      "",
    );
  }
  if (selection.health && r.health) out.push(...healthSection(r, checks), "");
  if (selection.dsv) out.push(...dsvSection(r, checks), "", ...histogramSection(r), "");
  const failed = checks.filter((c) => !c.pass);
  const verdict = verdictOf(r.bytes, checks);
  out.push(
    verdict === "fail"
      ? `Verdict: FAIL (${failed.map((c) => c.name).join(", ")})${strict ? " under --strict" : ""}`
      : verdict === "inconclusive"
      ? `Verdict: INCONCLUSIVE (${n(r.bytes)} bytes: at least ${n(MIN_JUDGED_BYTES)} are needed to judge${
        failed.length ? `; failed anyway: ${failed.map((c) => c.name).join(", ")}` : ""
      })`
      : `Verdict: PASS (${checks.length} check${checks.length === 1 ? "" : "s"}${
        strict ? ", --strict" : ", judged against ideal data's failure rates"
      })`,
    "",
  );
  return out.filter((line, i, all) => line !== "" || all[i - 1] !== "").join("\n");
}
