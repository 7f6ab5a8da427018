/**
 * The health-test flags `qrng read` and `qrng test` share, with one meaning in both:
 * `--h H`, the claimed min-entropy per sample in bits, and `--alpha A`, each test's false-alarm
 * probability (`2^-40`, `2**-40` or a plain number such as `1e-12`). Errors name these flags.
 */
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { readAll } from "../byte_io.ts";
import { claimedHRange } from "../../wasm/health.ts";

/** The flag declarations (node parseArgs) of --h and --alpha. */
export const HEALTH_FLAGS = {
  h: { type: "string" },
  alpha: { type: "string" },
} as const;

/** Parses `--alpha` ("2^-30", "2**-30" or a probability like "1e-9") into log2 α. */
export function parseAlphaFlag(command: string, text: string): number {
  const power = /^2\s*(?:\^|\*\*)\s*(-\d+(?:\.\d+)?)$/.exec(text.trim());
  const log2 = power ? Number(power[1]) : Math.log2(Number(text));
  if (!Number.isFinite(log2) || log2 >= 0 || log2 < -100) {
    throw usageError(
      `qrng ${command}: --alpha needs a probability from 2^-100 to below 1, such as 2^-30 or 1e-9 (not '${text}')`,
    );
  }
  return log2;
}

/** Parses `--h` for samples that are `symbols`; refuses claims outside the range the tests handle. */
export function parseHFlag(command: string, text: string, symbols: "bits" | "bytes"): number {
  const { min, max } = claimedHRange(symbols);
  const h = Number(text);
  if (!(h >= min && h <= max)) {
    throw usageError(
      `qrng ${command}: --h needs a claimed min-entropy from ${min} to ${max} bits per ${
        symbols === "bits" ? "bit" : "byte"
      } (not '${text}')`,
    );
  }
  return h;
}

/**
 * `--h` as {@link parseHFlag} reads it, or, when it names a `.json` file, the assessed
 * min-entropy that `qrng assess --json` wrote there: of 8-bit samples for bytes, of 1-bit
 * samples for bits (a claim per sample must be about the samples the tests see).
 */
export async function resolveHFlag(
  command: string,
  text: string,
  symbols: "bits" | "bytes",
  platform: Platform,
): Promise<number> {
  if (!/\.json$/i.test(text)) return parseHFlag(command, text, symbols);
  const bytes = await readAll(await platform.openReader(text));
  let assessment: { track?: unknown; bitsPerSymbol?: unknown; minEntropy?: unknown };
  try {
    assessment = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new QrngError("input", `Cannot take --h from ${text}: not JSON (write it with qrng assess --json)`);
  }
  if (assessment?.track !== "non-iid" || typeof assessment.minEntropy !== "number") {
    throw new QrngError("input", `Cannot take --h from ${text}: not the JSON of qrng assess`);
  }
  const width = symbols === "bytes" ? 8 : 1;
  if (assessment.bitsPerSymbol !== width) {
    throw usageError(
      `qrng ${command}: --h ${text} assesses ${assessment.bitsPerSymbol}-bit samples; the health tests of ${symbols} need an assessment of ${width}-bit samples`,
    );
  }
  const { min } = claimedHRange(symbols);
  if (assessment.minEntropy < min) {
    throw usageError(
      `qrng ${command}: --h ${text} assesses ${assessment.minEntropy} bits per sample, below the ${min} the tests handle`,
    );
  }
  return parseHFlag(command, String(assessment.minEntropy), symbols);
}
