/**
 * The health-test flags `qrng read` and `qrng test` share, with one meaning in both:
 * `--h H`, the claimed min-entropy per sample in bits, and `--alpha A`, each test's false-alarm
 * probability (`2^-40`, `2**-40` or a plain number such as `1e-12`). Errors name these flags.
 */
import { usageError } from "../errors.ts";
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
    throw usageError(`qrng ${command}: --alpha needs a probability from 2^-100 to below 1, such as 2^-30 or 1e-9 (not '${text}')`);
  }
  return log2;
}

/** Parses `--h` for samples that are `symbols`; refuses claims outside the range the tests handle. */
export function parseHFlag(command: string, text: string, symbols: "bits" | "bytes"): number {
  const { min, max } = claimedHRange(symbols);
  const h = Number(text);
  if (!(h >= min && h <= max)) {
    throw usageError(
      `qrng ${command}: --h needs a claimed min-entropy from ${min} to ${max} bits per ${symbols === "bits" ? "bit" : "byte"} (not '${text}')`,
    );
  }
  return h;
}
