/**
 * The emulated QCicada's options as users write them, in `qrng emulate qcicada` flags and
 * `sim:qcicada` URI parameters alike (light to import: no keys or curves).
 */
import { usageError } from "../../errors.ts";
import { DEFAULT_RATE_BYTES_PER_S } from "./constants.ts";

/** Parses a rate option: bytes/s, "max", or a size per second like "1M". */
export function parseRate(text: string | undefined): number {
  if (text === undefined) return DEFAULT_RATE_BYTES_PER_S;
  if (text === "max") return Infinity;
  const match = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(text);
  if (!match || Number(match[1]) <= 0) {
    throw usageError(`invalid rate '${text}' (bytes/s, e.g. 100000, 1M, or max)`);
  }
  return Number(match[1]) * 1024 ** " kmg".indexOf(match[2].toLowerCase() || " ");
}

/** Parses a seed option (an unsigned 32-bit integer). */
export function parseSeed(text: string | undefined): number {
  if (text === undefined) return 1;
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw usageError(`invalid seed '${text}' (0..4294967295)`);
  }
  return seed;
}

/** Parses a whole-number option (milliseconds, a byte count); `name` is the option as the user wrote it. */
export function parseWholeNumber(text: string, name: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw usageError(`invalid ${name} '${text}' (a whole number, 0 or more)`);
  }
  return Number(text);
}
