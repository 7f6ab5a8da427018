/**
 * `qrng test [FILE|-]`: runs the FIPS 140-2 battery (rngtest), ent's statistics, SP 800-90B
 * health tests, Most Common Value min-entropy and the digital sum value over a file or stdin
 * in fixed memory (reads go straight into WASM memory), prints a readable report, `--json` or
 * ent's terse CSV, and exits 1 when the data fails (see cli/report/test_verdict.ts).
 */
import { type Command, parseFlags } from "../command.ts";
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { Analyzer } from "../../wasm/analysis.ts";
import { claimedHRange, type HealthTestOptions } from "../../wasm/health.ts";
import { HEALTH_FLAGS, parseAlphaFlag, parseHFlag } from "./health_flags.ts";
import { entTerse } from "../report/ent_text.ts";
import { testReport } from "../report/test_text.ts";
import { judge, MIN_JUDGED_BYTES, type Selection, verdictOf } from "../report/test_verdict.ts";

/** Default health-test parameters: full entropy claimed, α = 2^-30, 4096-bit bit-count blocks. */
const DEFAULT_ALPHA_LOG2 = -30;
const DEFAULT_BITCOUNT_BITS = 4096;
/** Exit status when the input is too short to judge and no check failed. */
const EXIT_INCONCLUSIVE = 3;
/** How often the progress line on a terminal is refreshed. */
const PROGRESS_INTERVAL_MS = 250;

const HELP = `qrng test: judge random data with rngtest's FIPS 140-2 battery, ent, SP 800-90B health tests

Usage: qrng test [FILE|-] [--fips] [--ent] [--health] [--mcv] [--dsv]
                 [--h H] [--alpha 2^-N] [--symbols bits|bytes] [--apt-cutoff standard|corrected]
                 [--bitcount BITS] [--strict] [--json | --ent-terse]

Reads FILE (or stdin when FILE is '-' or missing) in fixed memory, so inputs of any size work.
Selecting no test runs them all.

Tests:
  --fips            FIPS 140-2 as upstream rngtest runs it (4 seed bytes, 2500-byte blocks)
  --ent             ent's statistics in byte and bit mode (entropy, chi-square, mean, pi, SCC)
  --health          SP 800-90B Repetition Count and Adaptive Proportion tests, the bit count,
                    and the repetition check (no stretch of ~1 KiB recurs within 4 MiB,
                    nor of ~2 KiB within 256 MiB)
  --mcv             SP 800-90B Most Common Value min-entropy estimate for bytes and for bits
  --dsv             digital sum value (overall, walk range, per block) and the byte histogram

Health-test options:
  --h H             claimed min-entropy per sample in bits (default 8 for bytes, 1 for bits;
                    at least 1/16 per byte); the same flag as qrng read's
  --alpha A         false-positive probability per test: 2^-N or a number (default 2^${DEFAULT_ALPHA_LOG2})
  --symbols S       samples are 'bytes' (default) or 'bits'
  --apt-cutoff F    'standard' (SP 800-90B) or 'corrected' (W-1 formula)
  --bitcount BITS   bit-count test block in bits, 0 for none (default ${DEFAULT_BITCOUNT_BITS})

Output:
  --json            machine-readable results and verdict
  --ent-terse       exactly 'ent -t' then 'ent -b -t' output (CSV)
  --strict          fail on any failed FIPS block or health-test failure (rngtest's rule);
                    by default long inputs are judged against ideal data's failure rates

Exit status: 0 the data passed, 1 it failed (or could not be read), 2 usage error,
3 inconclusive: fewer than ${MIN_JUDGED_BYTES} bytes (one FIPS block), too little to judge.

Examples:
  qrng test random.bin
  head -c 256M /dev/urandom | qrng test --fips --ent
  qrng test random.bin --health --symbols bits --h 0.9 --alpha 2^-40 --json
`;

function healthOptions(values: Record<string, string | boolean | undefined>): HealthTestOptions {
  const symbols = (values.symbols as string | undefined) ?? "bytes";
  if (symbols !== "bits" && symbols !== "bytes") {
    throw usageError(`qrng test: --symbols is 'bits' or 'bytes' (not '${symbols}')`);
  }
  const h = values.h === undefined
    ? claimedHRange(symbols).max
    : parseHFlag("test", values.h as string, symbols);
  const alphaLog2 = values.alpha === undefined
    ? DEFAULT_ALPHA_LOG2
    : parseAlphaFlag("test", values.alpha as string);
  const apt = (values["apt-cutoff"] as string | undefined) ?? "standard";
  if (apt !== "standard" && apt !== "corrected") {
    throw usageError(`qrng test: --apt-cutoff is 'standard' or 'corrected'`);
  }
  const bits = values.bitcount === undefined ? DEFAULT_BITCOUNT_BITS : Number(values.bitcount);
  if (!Number.isInteger(bits) || (bits !== 0 && (bits < 64 || bits % 8 || bits > 1 << 20))) {
    throw usageError("qrng test: --bitcount needs 0 or a multiple of 8 from 64 to 1048576");
  }
  return { h, alphaLog2, symbols, aptCutoff: apt, bitcount: bits ? { blockBits: bits, alphaLog2 } : false };
}

/** `qrng test`. */
export const testCommand: Command = {
  name: "test",
  summary: "Test data: FIPS 140-2 (rngtest), ent, SP 800-90B health tests, min-entropy, DSV",
  help: HELP,
  async run(argv: string[], platform: Platform): Promise<number> {
    const { values, positionals } = parseFlags("test", argv, {
      fips: { type: "boolean" },
      ent: { type: "boolean" },
      health: { type: "boolean" },
      mcv: { type: "boolean" },
      dsv: { type: "boolean" },
      ...HEALTH_FLAGS,
      symbols: { type: "string" },
      "apt-cutoff": { type: "string" },
      bitcount: { type: "string" },
      strict: { type: "boolean" },
      json: { type: "boolean" },
      "ent-terse": { type: "boolean" },
    }, 1);
    if (values.json && values["ent-terse"]) {
      throw usageError("qrng test: choose one of --json and --ent-terse");
    }
    const any = values.fips || values.ent || values.health || values.mcv || values.dsv;
    const selection: Selection = {
      fips: !any || !!values.fips,
      ent: !any || !!values.ent || !!values["ent-terse"],
      health: !any || !!values.health,
      minEntropy: !any || !!values.mcv,
      dsv: !any || !!values.dsv,
    };
    const health = selection.health ? healthOptions(values) : false;
    const strict = !!values.strict;

    const path = positionals[0] ?? "-";
    const source = path === "-" ? "stdin" : path;
    const reader = path === "-" ? platform.stdin : await platform.openReader(path);
    const repetition = health ? { hPerByte: health.h * (health.symbols === "bits" ? 8 : 1) } : false;
    const analyzer = new Analyzer({
      fips: selection.fips,
      ent: selection.ent,
      dsv: selection.dsv,
      health,
      repetition,
    });
    const progress = platform.isTerminal("stderr");
    const started = platform.now();
    let total = 0;
    let shown = started;
    try {
      const buffer = analyzer.inputBuffer();
      for (;;) {
        const got = await reader.read(buffer);
        if (got === 0) break;
        analyzer.update(got);
        total += got;
        if (progress && platform.now() - shown >= PROGRESS_INTERVAL_MS) {
          shown = platform.now();
          const seconds = (shown - started) / 1000;
          platform.writeStderr(
            `\rqrng test: ${(total / 1e6).toFixed(0)} MB read, ${
              (total / 1e6 / seconds).toFixed(0)
            } MB/s\x1b[K`,
          );
        }
      }
    } finally {
      if (progress && shown !== started) platform.writeStderr("\r\x1b[K");
      if (path !== "-") await reader.close();
    }
    if (total === 0) throw new QrngError("input", `Cannot test ${source}: no data`);

    const results = analyzer.results();
    const checks = judge(results, selection, strict);
    const verdict = verdictOf(results.bytes, checks);
    const pass = verdict === "pass";
    let text: string;
    if (values["ent-terse"]) text = entTerse(results.ent.bytes, false) + entTerse(results.ent.bits!, true);
    else if (values.json) {
      const { histogram, ...rest } = results;
      text =
        JSON.stringify({ source, ...rest, histogram, selection, strict, checks, verdict, pass }, null, 2) +
        "\n";
    } else text = testReport(source, results, selection, checks, strict);
    await platform.stdout.write(new TextEncoder().encode(text));
    return verdict === "pass" ? 0 : verdict === "fail" ? 1 : EXIT_INCONCLUSIVE;
  },
};
