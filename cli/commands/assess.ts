/**
 * `qrng assess`: SP 800-90B entropy assessment of a sample file, the non-IID track as NIST's
 * `ea_non_iid` computes it (see wasm/assess.ts), at a fraction of its time and memory.
 */
import { type Command, parseFlags } from "../command.ts";
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { readUpTo } from "../byte_io.ts";
import { assessNonIid } from "../../wasm/assess.ts";
import { summaryReport, toolStyleReport } from "../report/assess_text.ts";

/** Most samples `qrng assess` takes: the bitstring of 8-bit samples stays inside WASM's 4 GiB. */
export const ASSESS_MAX_SAMPLES = 16 * 1024 * 1024;

const HELP = `qrng assess: SP 800-90B min-entropy assessment (non-IID track, as NIST's ea_non_iid)

Usage: qrng assess FILE [--bits N] [--non-iid] [--truncate] [--json] [-v]

Reads FILE (or - for stdin): one sample per byte, the symbol in its low N bits. Runs the ten
non-IID estimators of SP 800-90B §6.3 on the symbols and, for multi-bit symbols, on their
bitstring, and reports H_original, H_bitstring and the assessed min-entropy
min(H_original, N × H_bitstring) exactly as ea_non_iid -i computes them.

Options:
  --bits N     bits per symbol, 1..8 (default: inferred from the largest sample, as the tool)
  --non-iid    the non-IID track (the default and, for now, the only one)
  --truncate   assess only the first 1,000,000 bits of the bitstring (the tool's -t)
  --json       print the assessment as JSON, every intermediate value included
  -v           print the lines ea_non_iid -vv prints, value for value, after the summary

Unlike the tool, qrng says when the figure is weaker than it looks: fewer than 1,000,000
samples, an estimator that could not run (dropped from the minimum), or multi-bit data with
two distinct values (assessed as binary, as the tool does).

Example:
  qrng assess noise.bin --bits 4 -v
`;

/** `qrng assess`. */
export const assessCommand: Command = {
  name: "assess",
  summary: "SP 800-90B entropy assessment of samples (non-IID track, as ea_non_iid)",
  help: HELP,
  async run(argv: string[], platform: Platform): Promise<number> {
    const { values, positionals } = parseFlags("assess", argv, {
      bits: { type: "string" },
      "non-iid": { type: "boolean" },
      truncate: { type: "boolean" },
      json: { type: "boolean" },
      verbose: { type: "boolean", short: "v" },
    }, 1);
    const path = positionals[0];
    if (path === undefined) throw usageError("qrng assess: name a FILE to assess (or - for stdin)");
    let bits: number | undefined;
    if (values.bits !== undefined) {
      bits = Number(values.bits);
      if (!/^[1-8]$/.test(values.bits)) throw usageError(`qrng assess: --bits wants 1..8 (not '${values.bits}')`);
    }
    if (values.json && values.verbose) throw usageError("qrng assess: --json already has every value; drop -v");
    const reader = path === "-" ? platform.stdin : await platform.openReader(path);
    let samples: Uint8Array;
    try {
      samples = await readUpTo(reader, ASSESS_MAX_SAMPLES + 1);
    } finally {
      if (path !== "-") await reader.close();
    }
    const source = path === "-" ? "stdin" : path;
    if (samples.length > ASSESS_MAX_SAMPLES) {
      throw new QrngError("input", `Cannot assess ${source}: more than ${ASSESS_MAX_SAMPLES} samples (assess a part)`);
    }
    if (samples.length < 2) throw new QrngError("input", `Cannot assess ${source}: fewer than 2 samples`);
    const assessment = assessNonIid(samples, { bitsPerSymbol: bits, truncateBitstring: values.truncate });
    const text = values.json
      ? JSON.stringify({ file: source, track: "non-iid", ...assessment }, null, 2) + "\n"
      : summaryReport(assessment, source) + (values.verbose ? "\n" + toolStyleReport(assessment) : "");
    await platform.stdout.write(new TextEncoder().encode(text));
    return 0;
  },
};
