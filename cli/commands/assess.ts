/**
 * `qrng assess`: SP 800-90B entropy assessment of a sample file, the non-IID track as NIST's
 * `ea_non_iid` computes it (see wasm/assess.ts) or the IID track as `ea_iid` does
 * (wasm/assess_iid.ts), at a fraction of their time and memory.
 */
import { type Command, parseFlags } from "../command.ts";
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { readUpTo } from "../byte_io.ts";
import { assessNonIid } from "../../wasm/assess.ts";
import { assessIid } from "../../wasm/assess_iid.ts";
import { iidReport, iidToolLines, summaryReport, toolStyleReport } from "../report/assess_text.ts";

/** Most samples `qrng assess` takes: the bitstring of 8-bit samples stays inside WASM's 4 GiB. */
export const ASSESS_MAX_SAMPLES = 16 * 1024 * 1024;

const HELP = `qrng assess: SP 800-90B min-entropy assessment (as NIST's ea_non_iid, ea_iid)

Usage: qrng assess FILE [--bits N] [--iid|--non-iid] [--seed N] [--truncate] [--json] [-v]

Reads FILE (or - for stdin): one sample per byte, the symbol in its low N bits. Runs the ten
non-IID estimators of SP 800-90B §6.3 on the symbols and, for multi-bit symbols, on their
bitstring, and reports H_original, H_bitstring and the assessed min-entropy
min(H_original, N × H_bitstring) exactly as ea_non_iid -i computes them.

With --iid, runs the IID track (§5) as ea_iid does instead: chi-square independence and
goodness of fit, the longest repeated substring test and 19 permutation tests against up to
10,000 shuffles, then the Most Common Value min-entropy, which holds only if every test passes.
Shuffles come from xoshiro256** seeded with --seed: the same seed gives the same counts.

Options:
  --bits N     bits per symbol, 1..8 (default: inferred from the largest sample, as the tool)
  --non-iid    the non-IID track (the default)
  --iid        the IID track
  --seed N     seed of the IID track's shuffles, 0..2^64-1 (default: random, and reported)
  --truncate   assess only the first 1,000,000 bits of the bitstring (the tool's -t)
  --json       print the assessment as JSON, every intermediate value included
  -v           print the lines ea_non_iid -vv (or ea_iid -v) prints for the estimates

Unlike the tool, qrng says when the figure is weaker than it looks: fewer than 1,000,000
samples, an estimator that could not run (dropped from the minimum), or multi-bit data with
two distinct values (assessed as binary, as the tool does).

Example:
  qrng assess noise.bin --bits 4 -v
`;

/** `qrng assess`. */
export const assessCommand: Command = {
  name: "assess",
  summary: "SP 800-90B entropy assessment of samples (non-IID and IID tracks, as ea_non_iid, ea_iid)",
  help: HELP,
  async run(argv: string[], platform: Platform): Promise<number> {
    const { values, positionals } = parseFlags("assess", argv, {
      bits: { type: "string" },
      "non-iid": { type: "boolean" },
      iid: { type: "boolean" },
      seed: { type: "string" },
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
    if (values.iid && values["non-iid"]) throw usageError("qrng assess: choose one of --iid and --non-iid");
    if (values.seed !== undefined && !values.iid) throw usageError("qrng assess: --seed seeds the IID track's shuffles; add --iid");
    const seed = values.seed === undefined ? randomSeed() : parseSeed(values.seed);
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
    const options = { bitsPerSymbol: bits, truncateBitstring: values.truncate };
    let text: string;
    if (values.iid) {
      const progress = progressLine(platform, "permutation tests");
      const assessment = assessIid(samples, { ...options, seed, onProgress: progress.update });
      progress.clear();
      text = values.json
        ? JSON.stringify({ file: source, track: "iid", ...assessment }, null, 2) + "\n"
        : iidReport(assessment, source) + (values.verbose ? "\n" + iidToolLines(assessment) : "");
    } else {
      const assessment = assessNonIid(samples, options);
      text = values.json
        ? JSON.stringify({ file: source, track: "non-iid", ...assessment }, null, 2) + "\n"
        : summaryReport(assessment, source) + (values.verbose ? "\n" + toolStyleReport(assessment) : "");
    }
    await platform.stdout.write(new TextEncoder().encode(text));
    return 0;
  },
};

/** A fresh 64-bit seed, reported with the results so the run can be repeated. */
function randomSeed(): bigint {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (BigInt(words[1]) << 32n) | BigInt(words[0]);
}

function parseSeed(text: string): bigint {
  if (!/^\d{1,20}$/.test(text) || BigInt(text) >= 1n << 64n) {
    throw usageError(`qrng assess: --seed wants an integer 0..18446744073709551615 (not '${text}')`);
  }
  return BigInt(text);
}

/** How often a progress line on a terminal is redrawn. */
const PROGRESS_INTERVAL_MS = 250;

/**
 * A progress line on stderr when it is a terminal ("what: done/most, time left"); silent
 * otherwise. `clear` removes it before the report is printed.
 */
export function progressLine(platform: Platform, what: string) {
  const shown = platform.isTerminal("stderr");
  const started = platform.now();
  let last = -Infinity, drawn = false;
  return {
    update(done: number, most: number): void {
      const now = platform.now();
      if (!shown || now - last < PROGRESS_INTERVAL_MS) return;
      last = now;
      const leftS = done > 0 ? Math.round((now - started) / done * (most - done) / 1000) : NaN;
      const left = Number.isFinite(leftS) ? `, at most ${formatDuration(leftS)} left` : "";
      platform.writeStderr(`\r\x1b[K${what}: ${done}/${most}${left}`);
      drawn = true;
    },
    clear(): void {
      if (drawn) platform.writeStderr("\r\x1b[K");
    },
  };
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
