/**
 * Byte sizes as users type them, following GNU `head -c`: a bare number is bytes, K/M/G/T are
 * powers of 1024, KB/MB/GB/TB powers of 1000 and KiB/MiB/GiB/TiB powers of 1024 (case of the
 * suffix letter does not matter; a trailing "B" alone means bytes).
 */
import { usageError } from "./errors.ts";

const POWERS: Record<string, number> = { "": 0, k: 1, m: 2, g: 3, t: 4 };

/** Parses "64", "4K", "1M", "1GiB", "10MB" into a byte count; throws a usage error otherwise. */
export function parseSize(text: string): number {
  const match = /^(\d+)([kmgt]?)(ib|b)?$/i.exec(text.trim());
  if (!match || (match[2] === "" && match[3]?.toLowerCase() === "ib")) {
    throw usageError(`invalid size '${text}' (examples: 64, 4K, 1M, 1GiB, 10MB)`);
  }
  const [, digits, letter, tail = ""] = match;
  const base = tail.toLowerCase() === "b" ? 1000 : 1024;
  const value = Number(digits) * base ** POWERS[letter.toLowerCase()];
  if (!Number.isSafeInteger(value)) throw usageError(`size '${text}' is too large`);
  return value;
}

/** Formats a byte count for people: "1.0 MiB", "512 B". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Formats a rate in bytes per second: "12.3 MiB/s". */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}
