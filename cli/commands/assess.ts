/**
 * `qrng assess`: SP 800-90B entropy assessment of a sample file, the non-IID track as NIST's
 * `ea_non_iid` computes it (see wasm/assess.ts) or the IID track as `ea_iid` does
 * (wasm/assess_iid.ts), at a fraction of their time and memory.
 */
import { type Command, parseFlags } from "../command.ts";
import { QrngError, usageError } from "../errors.ts";
import { INTERRUPTED_EXIT_STATUS, type Platform } from "../platform.ts";
import { readUpTo } from "../byte_io.ts";
import { assessIid } from "../../wasm/assess_iid.ts";
import { assessRestarts, RESTARTS, SAMPLES_PER_RESTART } from "../../wasm/assess_restart.ts";
import {
  iidReport,
  iidToolLines,
  restartReport,
  summaryReport,
  toolStyleReport,
} from "../report/assess_text.ts";
import { collectRestarts, collectSamples } from "./assess_device.ts";
import {
  assessNonIidInThreads,
  defaultAssessThreads,
  workersAvailable,
  WorkerUnavailableError,
} from "../assess/parallel.ts";

/** Most samples `qrng assess` takes: the bitstring of 8-bit samples stays inside WASM's 4 GiB. */
export const ASSESS_MAX_SAMPLES = 16 * 1024 * 1024;

const HELP = `qrng assess: SP 800-90B min-entropy assessment (as NIST's ea_non_iid, ea_iid)

Usage: qrng assess FILE [--bits N] [--iid|--non-iid] [--seed N] [--truncate] [--threads N]
                        [--json] [-v]
       qrng assess --device URI --samples N [FILE] [--bits N] [--iid|--non-iid] ...
       qrng assess --restart FILE --h H_I [--device URI] [--bits N] [--iid] [--json]

Reads FILE (or - for stdin): one sample per byte, the symbol in its low N bits. Runs the ten
non-IID estimators of SP 800-90B §6.3 on the symbols and, for multi-bit symbols, on their
bitstring, and reports H_original, H_bitstring and the assessed min-entropy
min(H_original, N × H_bitstring) exactly as ea_non_iid -i computes them.

With --iid, runs the IID track (§5) as ea_iid does instead: chi-square independence and
goodness of fit, the longest repeated substring test and 19 permutation tests against up to
10,000 shuffles, then the Most Common Value min-entropy, which holds only if every test passes.
Shuffles come from xoshiro256** seeded with --seed: the same seed gives the same counts.

With --device, collects N raw samples first (and saves them to FILE, a new file, if named): a
QCicada (any Cmd&Ctrl URI or sim:qcicada) is switched to RAW_NOISE with n_lsbits = --bits
(default 8) and its config is put back afterwards, also on failure or Ctrl-C; the XR232
family's bytes are its raw samples.

With --restart FILE --h H_I, runs the restart tests (§3.1.4) as ea_restart does on FILE, 1000
restarts × 1000 samples, one restart per row: the sanity check (no value in a row or column
more often than the most common of 2^H_I equally likely values would be: ea_restart's
X_cutoff), then H_r and H_c from the row and column datasets' literal symbols (non-IID track,
or MCV with --iid); they pass when min(H_r, H_c) >= H_I / 2 and give min(H_r, H_c, H_I). With
--device, the device is reset 1000 times, 1000 samples read after each and saved to FILE (a
new file) first. Exit status 1 when the restart tests fail.

Options:
  --bits N     bits per symbol, 1..8 (default: inferred from the largest sample, as the tool)
  --non-iid    the non-IID track (the default)
  --iid        the IID track
  --seed N     seed of the IID track's shuffles, 0..2^64-1 (default: random, and reported)
  --truncate   assess only the first 1,000,000 bits of the bitstring (the tool's -t)
  --threads N  threads of the non-IID track, 1 or 2 (default: 2 where the runtime has Web
               Workers and a second core); the figures are the same either way
  --device URI collect raw samples from a device (see qrng list; sim:qcicada to try it)
  --samples N  how many raw samples to collect with --device
  --restart F  the restart dataset F (with --device: where the collected one is saved)
  --h H_I      the initial entropy estimate the restart tests check, bits per sample
  --json       print the assessment as JSON, every intermediate value included
  -v           print the lines ea_non_iid -vv (or ea_iid -v) prints for the estimates

Unlike the tool, qrng says when the figure is weaker than it looks: fewer than 1,000,000
samples, an estimator that could not run (dropped from the minimum), or multi-bit data with
two distinct values (assessed as binary, as the tool does).

Examples:
  qrng assess noise.bin --bits 4 -v
  qrng assess noise.bin --iid --seed 1
  qrng assess --device tcp://10.0.0.5 --samples 1000000 --bits 4 raw.bin
  qrng assess --restart restarts.bin --h 3.5 --bits 4
`;

/** The flags of `qrng assess`. */
const FLAGS = {
  bits: { type: "string" },
  "non-iid": { type: "boolean" },
  iid: { type: "boolean" },
  seed: { type: "string" },
  truncate: { type: "boolean" },
  threads: { type: "string" },
  restart: { type: "string" },
  h: { type: "string" },
  device: { type: "string" },
  samples: { type: "string" },
  json: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
} as const;

/** `qrng assess`. */
export const assessCommand: Command = {
  name: "assess",
  summary: "SP 800-90B entropy assessment of samples or a device (non-IID, IID and restart tests)",
  help: HELP,
  async run(argv: string[], platform: Platform): Promise<number> {
    const { values, positionals } = parseFlags("assess", argv, FLAGS, 1);
    const path = positionals[0];
    const bits = parseBits(values.bits);
    if (values.json && values.verbose) {
      throw usageError("qrng assess: --json already has every value; drop -v");
    }
    if (values.iid && values["non-iid"]) throw usageError("qrng assess: choose one of --iid and --non-iid");
    if (values.seed !== undefined && !values.iid) {
      throw usageError("qrng assess: --seed seeds the IID track's shuffles; add --iid");
    }
    if (values.h !== undefined && values.restart === undefined) {
      throw usageError("qrng assess: --h is the restart tests' H_I; add --restart FILE");
    }
    if (values.samples !== undefined && values.device === undefined) {
      throw usageError("qrng assess: --samples is for --device");
    }
    if (values.threads !== undefined && (values.iid || values.restart !== undefined)) {
      throw usageError("qrng assess: --threads shares out the non-IID estimators of a FILE; drop it");
    }
    const threads = parseThreads(values.threads);
    const options = { bitsPerSymbol: bits, truncateBitstring: values.truncate };
    const interruption = new AbortController();
    const unsubscribe = platform.onInterrupt(() => interruption.abort());
    try {
      if (values.restart !== undefined) {
        if (values.h === undefined) {
          throw usageError("qrng assess: --restart needs --h H_I, the initial entropy estimate to check");
        }
        if (path !== undefined) {
          throw usageError("qrng assess: --restart FILE names the data; give no other FILE");
        }
        const hInitial = parseH(values.h, bits ?? 8);
        let samples: Uint8Array;
        if (values.device !== undefined) {
          if (values.samples !== undefined) {
            throw usageError("qrng assess: a restart dataset is 1000 × 1000 samples; drop --samples");
          }
          await refuseExisting(platform, values.restart);
          const progress = progressLine(platform, "restarts (samples)");
          samples = await collectRestarts(RESTARTS, SAMPLES_PER_RESTART, {
            platform,
            uri: values.device,
            bits: bits ?? 8,
            signal: interruption.signal,
            onProgress: progress.update,
          });
          progress.clear();
          await writeFile(platform, values.restart, samples);
        } else {
          samples = await readSamples(platform, values.restart);
        }
        const assessment = assessRestarts(samples, {
          ...options,
          hInitial,
          track: values.iid ? "iid" : "non-iid",
        });
        const text = values.json
          ? JSON.stringify({ file: values.restart, ...assessment }, null, 2) + "\n"
          : restartReport(assessment, values.restart);
        await platform.stdout.write(new TextEncoder().encode(text));
        return assessment.passed ? 0 : 1;
      }
      let samples: Uint8Array, source: string;
      if (values.device !== undefined) {
        if (values.samples === undefined) {
          throw usageError("qrng assess: --device needs --samples N (SP 800-90B asks for 1000000)");
        }
        const count = parseCount(values.samples);
        if (path !== undefined) await refuseExisting(platform, path);
        const progress = progressLine(platform, "raw samples");
        samples = await collectSamples(count, {
          platform,
          uri: values.device,
          bits: bits ?? 8,
          signal: interruption.signal,
          onProgress: progress.update,
        });
        progress.clear();
        if (path !== undefined) await writeFile(platform, path, samples);
        source = values.device;
      } else {
        if (path === undefined) {
          throw usageError("qrng assess: name a FILE to assess (or - for stdin), or a --device");
        }
        samples = await readSamples(platform, path);
        source = path === "-" ? "stdin" : path;
      }
      const text = await assessSamples(samples, source, { ...values, threads }, platform);
      await platform.stdout.write(new TextEncoder().encode(text));
      return 0;
    } catch (error) {
      if (!(error instanceof QrngError && error.kind === "interrupted")) throw error;
      platform.writeStderr("qrng assess: interrupted; nothing assessed (a device's config was put back)\n");
      return INTERRUPTED_EXIT_STATUS.SIGINT;
    } finally {
      unsubscribe();
    }
  },
};

/** Runs the chosen track on `samples` and renders it. */
async function assessSamples(
  samples: Uint8Array,
  source: string,
  values: {
    bits?: string;
    iid?: boolean;
    seed?: string;
    truncate?: boolean;
    json?: boolean;
    verbose?: boolean;
    /** Undefined: the default, falling back to one thread where a worker cannot run. */
    threads?: number;
  },
  platform: Platform,
): Promise<string> {
  const options = { bitsPerSymbol: parseBits(values.bits), truncateBitstring: values.truncate };
  if (values.iid) {
    const seed = values.seed === undefined ? randomSeed() : parseSeed(values.seed);
    const progress = progressLine(platform, "permutation tests (shuffles)");
    const assessment = assessIid(samples, { ...options, seed, onProgress: progress.update });
    progress.clear();
    return values.json
      ? JSON.stringify({ file: source, track: "iid", ...assessment }, null, 2) + "\n"
      : iidReport(assessment, source) + (values.verbose ? "\n" + iidToolLines(assessment) : "");
  }
  const assessment = await assessNonIidInThreads(samples, options, {
    threads: values.threads ?? defaultAssessThreads(),
    requireWorker: values.threads === 2,
  }).catch((error) => {
    if (!(error instanceof WorkerUnavailableError)) throw error;
    throw new QrngError("unsupported", `qrng assess: cannot use a second thread: ${error.message}`);
  });
  return values.json
    ? JSON.stringify({ file: source, track: "non-iid", ...assessment }, null, 2) + "\n"
    : summaryReport(assessment, source) + (values.verbose ? "\n" + toolStyleReport(assessment) : "");
}

function parseBits(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-8]$/.test(text)) throw usageError(`qrng assess: --bits wants 1..8 (not '${text}')`);
  return Number(text);
}

function parseThreads(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text !== "1" && text !== "2") throw usageError(`qrng assess: --threads wants 1 or 2 (not '${text}')`);
  if (text === "2" && !workersAvailable()) {
    throw new QrngError(
      "unsupported",
      "qrng assess: --threads 2 needs Web Workers, which this runtime lacks",
    );
  }
  return Number(text);
}

function parseH(text: string, bits: number): number {
  const h = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || !(h > 0 && h <= bits)) {
    throw usageError(
      `qrng assess: --h wants the initial estimate H_I in bits per sample, above 0 and at most ${bits} (not '${text}')`,
    );
  }
  return h;
}

function parseCount(text: string): number {
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 2 || count > ASSESS_MAX_SAMPLES) {
    throw usageError(`qrng assess: --samples wants a count 2..${ASSESS_MAX_SAMPLES} (not '${text}')`);
  }
  return count;
}

/** Reads a sample file (or stdin for "-"), refusing more than {@link ASSESS_MAX_SAMPLES}. */
async function readSamples(platform: Platform, path: string): Promise<Uint8Array> {
  const reader = path === "-" ? platform.stdin : await platform.openReader(path);
  let samples: Uint8Array;
  try {
    samples = await readUpTo(reader, ASSESS_MAX_SAMPLES + 1);
  } finally {
    if (path !== "-") await reader.close();
  }
  const source = path === "-" ? "stdin" : path;
  if (samples.length > ASSESS_MAX_SAMPLES) {
    throw new QrngError(
      "input",
      `Cannot assess ${source}: more than ${ASSESS_MAX_SAMPLES} samples (assess a part)`,
    );
  }
  if (samples.length < 2) throw new QrngError("input", `Cannot assess ${source}: fewer than 2 samples`);
  return samples;
}

/** Collected samples go to a new file: one that exists may be someone's data (checked before collecting). */
async function refuseExisting(platform: Platform, path: string): Promise<void> {
  if ((await platform.fileInfo(path)).type !== "missing") {
    throw usageError(`qrng assess: ${path} exists; name a new file for the collected samples`);
  }
}

/** Saves collected samples (so the assessment can be repeated or checked with NIST's tool). */
async function writeFile(platform: Platform, path: string, samples: Uint8Array): Promise<void> {
  const writer = await platform.openWriter(path);
  try {
    await writer.write(samples);
  } finally {
    await writer.close();
  }
}

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
      const left = Number.isFinite(leftS) ? `, about ${formatDuration(leftS)} left` : "";
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
  return minutes < 60
    ? `${minutes} min ${seconds % 60} s`
    : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
