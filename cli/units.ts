/**
 * Byte sizes as users type them, exactly as GNU `head -c` (coreutils 9) reads them: a bare
 * number is bytes, b is 512, K M G T P E (k and m too) are powers of 1024, the same followed
 * by iB as well (KiB, MiB), followed by B powers of 1000 (kB, KB, MB). Nothing else: head -c
 * refuses 1g, 1kb, 1B and 1KIB, and so does qrng.
 */
import { usageError } from "./errors.ts";

/** The power each multiplier letter raises its base to (Z Y R Q parse, and are too large). */
const POWERS: Record<string, number> = {
  k: 1,
  K: 1,
  m: 2,
  M: 2,
  G: 3,
  T: 4,
  P: 5,
  E: 6,
  Z: 7,
  Y: 8,
  R: 9,
  Q: 10,
};
/** head -c's "b": 512-byte blocks. */
const BLOCK_BYTES = 512;

/** Parses "64", "5b", "4K", "1M", "1GiB", "10MB" into a byte count; throws a usage error otherwise. */
export function parseSize(text: string): number {
  const match = /^(\d+)(?:(b)|([kKmMGTPEZYRQ])(iB|B)?)?$/.exec(text.trim());
  if (!match) throw usageError(`invalid size '${text}' (examples: 64, 5b, 4K, 1M, 1GiB, 10MB, as head -c)`);
  const [, digits, block, letter, tail] = match;
  const multiplier = block ? BLOCK_BYTES : letter ? (tail === "B" ? 1000 : 1024) ** POWERS[letter] : 1;
  const value = Number(digits) * multiplier;
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
