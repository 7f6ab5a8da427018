/**
 * `qrng assess` reports: a table of every estimate with the binding one marked, the tool's
 * closing lines (H_bitstring, H_original, assessed min-entropy), and under -v the lines
 * `ea_non_iid -vv` prints, value for value, so the two can be read side by side (or diffed).
 */
import { type Estimate, FIELD_LABELS, type NonIidAssessment, RECORD_SAMPLES } from "../../wasm/assess.ts";

/** A number as C's `%.17g` prints it (the tool's iostream precision 17). */
export function formatG17(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const [mantissa, exponentText] = x.toExponential(16).split("e");
  const exponent = Number(exponentText);
  const trim = (digits: string) => digits.includes(".") ? digits.replace(/0+$/, "").replace(/\.$/, "") : digits;
  if (exponent < -4 || exponent >= 17) {
    const sign = exponent < 0 ? "-" : "+";
    return `${trim(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return trim(x.toFixed(Math.max(0, 16 - exponent)));
}

/** JSON-only values the tool does not print. */
const NOT_PRINTED = new Set(["testBlocks", "pFound"]);

function toolLines(e: Estimate): string[] {
  const prefix = `${e.track === "literal" ? "Literal" : "Bitstring"} ${e.name} Estimate: `;
  const lines: string[] = [];
  // Values are in the tool's order; it says whether p was found just before printing p.
  for (const [key, value] of Object.entries(e.values)) {
    if (key === "p" && "pFound" in e.values) {
      lines.push(prefix + (e.values.pFound ? "Found p." : "Could Not Find p. Proceeding with the lower bound for p."));
    }
    if (NOT_PRINTED.has(key)) continue;
    if (key === "pLocal" && value === null) lines.push(prefix + "P_local can't change the result.");
    else if (typeof value === "number") lines.push(`${prefix}${FIELD_LABELS[key]} = ${formatG17(value)}`);
  }
  if (e.minEntropy !== null) lines.push(`${prefix}min entropy = ${formatG17(e.minEntropy)}`);
  return lines;
}

/** The lines `ea_non_iid -vv` prints for this assessment (after its "Opening file" line). */
export function toolStyleReport(a: NonIidAssessment): string {
  const lines = [`Loaded ${a.samples} samples of ${a.distinctSymbols} distinct ${a.bitsPerSymbol}-bit-wide symbols`];
  if (!a.binary) lines.push(`Number of Binary Symbols: ${a.bitstringBits}`);
  if (a.samples < RECORD_SAMPLES) lines.push("", `*** Warning: data contains less than ${RECORD_SAMPLES} samples ***`, "");
  if (a.translated) lines.push("", "Symbols have been translated.", "");
  for (const e of a.estimates) lines.push(...toolLines(e));
  if (a.hBitstring !== null) lines.push(`H_bitstring = ${formatG17(a.hBitstring)}`);
  lines.push(`H_original: ${formatG17(a.hOriginal)}`, `Assessed min entropy: ${formatG17(a.minEntropy)}`);
  return lines.join("\n") + "\n";
}

const short = (x: number | null) => x === null ? "could not run" : x.toFixed(6);

/** The summary: a row per estimator, the lowest per track marked, the binding one starred. */
export function summaryReport(a: NonIidAssessment, source: string): string {
  const names = [...new Set(a.estimates.map((e) => e.name))];
  const find = (name: string, track: string) => a.estimates.find((e) => e.name === name && e.track === track);
  const lowestOf = (track: string) => {
    let best: Estimate | undefined;
    for (const e of a.estimates) if (e.track === track && e.minEntropy !== null && (!best || e.minEntropy < best.minEntropy!)) best = e;
    return best;
  };
  const lowLiteral = lowestOf("literal"), lowBits = lowestOf("bitstring");
  const cell = (e: Estimate | undefined) => {
    if (!e) return "-";
    const isBinding = e.estimator === a.binding.estimator && e.track === a.binding.track;
    const mark = isBinding ? " *" : e === lowLiteral || e === lowBits ? " <" : "  ";
    return short(e.minEntropy) + mark;
  };
  const out = [
    `${source}: ${a.samples.toLocaleString("en-US")} samples, ${a.bitsPerSymbol} bit${a.bitsPerSymbol > 1 ? "s" : ""} per symbol, ` +
    `${a.distinctSymbols} distinct${a.translated ? " (translated to 0.." + (a.distinctSymbols - 1) + ")" : ""}`,
    `SP 800-90B non-IID track (§6.3): min-entropy estimates, 99 % upper bounds`,
    "",
  ];
  const width = Math.max(...names.map((n) => n.length)) + 2;
  if (a.binary) {
    out.push(`${"estimator".padEnd(width)}${"per bit".padStart(17)}`);
    for (const name of names) out.push(`${name.padEnd(width)}${cell(find(name, "literal")).padStart(17)}`);
  } else {
    out.push(`${"estimator".padEnd(width)}${"bitstring (/bit)".padStart(17)}${"literal (/symbol)".padStart(19)}`);
    for (const name of names) {
      out.push(`${name.padEnd(width)}${cell(find(name, "bitstring")).padStart(17)}${cell(find(name, "literal")).padStart(19)}`);
    }
  }
  out.push("", "< lowest of its column   * sets the assessed min-entropy", "");
  if (a.hBitstring !== null) {
    out.push(`H_bitstring = ${formatG17(a.hBitstring)} (${lowBits!.name})`);
  }
  out.push(`H_original: ${formatG17(a.hOriginal)} (${lowLiteral!.name})`);
  const how = a.hBitstring === null
    ? "H_original"
    : a.binding.track === "bitstring" ? `${a.bitsPerSymbol} × H_bitstring` : "H_original";
  out.push(`Assessed min entropy: ${formatG17(a.minEntropy)} bits per sample (${how})`);
  for (const w of a.warnings) out.push(`warning: ${w}`);
  return out.join("\n") + "\n";
}
