/**
 * `qrng assess` reports: a table of every estimate with the binding one marked, the tool's
 * closing lines (H_bitstring, H_original, assessed min-entropy), and under -v the lines
 * `ea_non_iid -vv` prints, value for value, so the two can be read side by side (or diffed).
 */
import { type Estimate, FIELD_LABELS, type NonIidAssessment, RECORD_SAMPLES } from "../../wasm/assess.ts";
import type { IidAssessment } from "../../wasm/assess_iid.ts";
import type { RestartAssessment } from "../../wasm/assess_restart.ts";

/** A number as C's `%.17g` prints it (the tool's iostream precision 17). */
export function formatG17(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const [mantissa, exponentText] = x.toExponential(16).split("e");
  const exponent = Number(exponentText);
  const trim = (digits: string) =>
    digits.includes(".") ? digits.replace(/0+$/, "").replace(/\.$/, "") : digits;
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
      lines.push(
        prefix + (e.values.pFound ? "Found p." : "Could Not Find p. Proceeding with the lower bound for p."),
      );
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
  const lines = [
    `Loaded ${a.samples} samples of ${a.distinctSymbols} distinct ${a.bitsPerSymbol}-bit-wide symbols`,
  ];
  if (!a.binary) lines.push(`Number of Binary Symbols: ${a.bitstringBits}`);
  if (a.samples < RECORD_SAMPLES) {
    lines.push("", `*** Warning: data contains less than ${RECORD_SAMPLES} samples ***`, "");
  }
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
    for (const e of a.estimates) {
      if (e.track === track && e.minEntropy !== null && (!best || e.minEntropy < best.minEntropy!)) best = e;
    }
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
    `${source}: ${a.samples.toLocaleString("en-US")} samples, ${a.bitsPerSymbol} bit${
      a.bitsPerSymbol > 1 ? "s" : ""
    } per symbol, ` +
    `${a.distinctSymbols} distinct${
      a.translated ? " (translated to 0.." + (a.distinctSymbols - 1) + ")" : ""
    }`,
    `SP 800-90B non-IID track (§6.3): min-entropy estimates, 99 % upper bounds`,
    "",
  ];
  const width = Math.max(...names.map((n) => n.length)) + 2;
  if (a.binary) {
    out.push(`${"estimator".padEnd(width)}${"per bit".padStart(17)}`);
    for (const name of names) out.push(`${name.padEnd(width)}${cell(find(name, "literal")).padStart(17)}`);
  } else {
    out.push(
      `${"estimator".padEnd(width)}${"bitstring (/bit)".padStart(17)}${"literal (/symbol)".padStart(19)}`,
    );
    for (const name of names) {
      out.push(
        `${name.padEnd(width)}${cell(find(name, "bitstring")).padStart(17)}${
          cell(find(name, "literal")).padStart(19)
        }`,
      );
    }
  }
  out.push("", "< lowest of its column   * sets the assessed min-entropy", "");
  if (a.hBitstring !== null) {
    out.push(`H_bitstring = ${formatG17(a.hBitstring)} (${lowBits!.name})`);
  }
  out.push(`H_original: ${formatG17(a.hOriginal)} (${lowLiteral!.name})`);
  const how = a.hBitstring === null
    ? "H_original"
    : a.binding.track === "bitstring"
    ? `${a.bitsPerSymbol} × H_bitstring`
    : "H_original";
  out.push(`Assessed min entropy: ${formatG17(a.minEntropy)} bits per sample (${how})`);
  for (const w of a.warnings) out.push(`warning: ${w}`);
  return out.join("\n") + "\n";
}

const verdict = (passed: boolean) => passed ? "pass" : "FAIL";
const fixed6 = (x: number | null) => x === null ? "-" : x.toFixed(6);

/** The MCV lines `ea_iid -v` prints (mode, p-hat, p_u) for each track. */
export function iidToolLines(a: IidAssessment): string {
  return a.estimates.map((e) =>
    `${e.track === "literal" ? "Literal" : "Bitstring"} MCV Estimate: mode = ${e.values.modeCount}, ` +
    `p-hat = ${formatG17(e.values.pHat as number)}, p_u = ${formatG17(e.values.pU as number)}`
  ).join("\n") + "\n";
}

/** Failed permutation statistics by name, or by number when more than a few failed. */
function permutationFailures(a: IidAssessment): string[] {
  const failed = a.permutation.statistics.filter((s) => !s.passed);
  if (failed.length > 3) return [`${failed.length} of ${a.permutation.statistics.length} permutation tests`];
  return failed.map((s) => `permutation ${s.name}`);
}

/** The IID track's report: each test with its verdict, the permutation table, the MCV figure. */
export function iidReport(a: IidAssessment, source: string): string {
  const { independence, goodnessOfFit } = a.chiSquare;
  const chi = (name: string, t: typeof independence) =>
    t.score === null
      ? `${name.padEnd(28)}could not run (too little data)`
      : `${name.padEnd(28)}score ${fixed6(t.score)}, ${t.degreesOfFreedom} degrees of freedom, p-value ${
        fixed6(t.pValue)
      }  ${verdict(t.passed)}`;
  const lrs = a.longestRepeat;
  const out = [
    `${source}: ${a.samples.toLocaleString("en-US")} samples, ${a.bitsPerSymbol} bit${
      a.bitsPerSymbol > 1 ? "s" : ""
    } per symbol, ` +
    `${a.distinctSymbols} distinct${a.binary ? " (binary)" : ""}`,
    `SP 800-90B IID track (§5): tests fail at p < 0.001; shuffles seeded with --seed ${a.seed}`,
    "",
    chi("Chi-square independence", independence),
    chi("Chi-square goodness of fit", goodnessOfFit),
    `${"Longest repeated substring".padEnd(28)}P_col ${
      fixed6(lrs.collisionProbability)
    }, length ${lrs.length}, ` +
    `Pr(X >= 1) ${fixed6(lrs.probability)}  ${verdict(lrs.passed)}`,
    "",
    `Permutation tests: ${a.permutation.shuffles} shuffles; C0, C1, C2 count those whose statistic is above, equal to, below the data's`,
    "(a statistic passes once C0 + C1 and C1 + C2 both exceed 5, fails if either is 5 or less after 10,000)",
    `${"statistic".padStart(24)}${"value".padStart(16)}${"C0 (>)".padStart(9)}${"C1 (=)".padStart(9)}${
      "C2 (<)".padStart(9)
    }`,
  ];
  for (const s of a.permutation.statistics) {
    const name = s.name === "compression" ? "compression*" : s.name;
    out.push(
      `${name.padStart(24)}${Number(s.value.toPrecision(8)).toString().padStart(16)}` +
        `${String(s.c0).padStart(9)}${String(s.c1).padStart(9)}${String(s.c2).padStart(9)}  ${
          verdict(s.passed)
        }`,
    );
  }
  out.push(
    "* LZ78 phrase count (NIST's tool ranks bzip2's output length; its value differs, its role does not)",
    "",
  );
  const failed = [
    ...(independence.passed ? [] : ["chi-square independence"]),
    ...(goodnessOfFit.passed ? [] : ["chi-square goodness of fit"]),
    ...(lrs.passed ? [] : ["longest repeated substring"]),
    ...permutationFailures(a),
  ];
  out.push(
    a.iid
      ? "IID: every test passed; the IID min-entropy below may be claimed (SP 800-90B §5)"
      : `IID: NO (failed: ${failed.join(", ")}); assess with the non-IID track (qrng assess --non-iid)`,
  );
  out.push(`H_original: ${formatG17(a.hOriginal)} (Most Common Value)`);
  if (a.hBitstring !== null) {
    out.push(`H_bitstring: ${formatG17(a.hBitstring)}`);
    out.push(`min(H_original, ${a.bitsPerSymbol} X H_bitstring): ${formatG17(a.minEntropy)} bits per sample`);
  }
  for (const w of a.warnings) out.push(`warning: ${w}`);
  return out.join("\n") + "\n";
}

/** The restart tests' report: the sanity check, H_r and H_c, the validation and its figure. */
export function restartReport(a: RestartAssessment, source: string): string {
  const s = a.sanity;
  const out = [
    `${source}: restart dataset, ${a.restarts} restarts × ${a.samplesPerRestart} samples, H_I = ${a.hInitial}`,
    `SP 800-90B restart tests (§3.1.4), rows and columns assessed by the ${
      a.track === "iid" ? "IID track's MCV estimate" : "non-IID track"
    }`,
    "",
    `Sanity check: a value occurs ${s.maxRowCount} times in row ${s.row} and a value ${s.maxColumnCount} times in column ${s.column}; ` +
    `an H_I source explains at most ${s.cutoff} (X_cutoff; α = 0.01 over ${
      a.restarts + a.samplesPerRestart
    } rows and columns)  ${verdict(s.passed)}`,
  ];
  if (!s.passed) {
    out.push(
      "",
      "Restart tests FAILED: H_I is not supported by the restarts (the rows and columns were not assessed)",
    );
    return out.join("\n") + "\n";
  }
  out.push(`Row dataset:    H_r = ${formatG17(a.hRow!)}`, `Column dataset: H_c = ${formatG17(a.hColumn!)}`);
  const low = Math.min(a.hRow!, a.hColumn!);
  out.push(
    `Validation: min(H_r, H_c) = ${formatG17(low)} ${a.passed ? ">=" : "<"} H_I / 2 = ${
      formatG17(a.hInitial / 2)
    }  ${verdict(a.passed)}`,
    "",
  );
  out.push(
    a.passed
      ? `Validated min entropy: min(H_r, H_c, H_I) = ${formatG17(a.minEntropy!)} bits per sample`
      : "Restart tests FAILED: the restarts support less than half of H_I",
  );
  const warnings = new Set([...(a.rows?.warnings ?? []), ...(a.columns?.warnings ?? [])]);
  for (const w of warnings) out.push(`warning: ${w}`);
  return out.join("\n") + "\n";
}
