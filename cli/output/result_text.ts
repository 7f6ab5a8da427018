/** A command's result as `key: value` lines or one JSON object (the device commands print theirs so). */
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Platform } from "../platform.ts";
import { printable } from "../printable.ts";

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function plain(value: unknown): string {
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (value instanceof Uint8Array) return bytesToHex(value);
  return printable(String(value)); // device strings (serial, hw_info) may carry escapes
}

/**
 * JSON text of `value`: bytes as hex, a bigint (a u64 counter) as its exact digits, which JSON
 * numbers may carry (JSON.stringify refuses bigints and a Number would round above 2^53).
 */
export function jsonText(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return JSON.stringify(bytesToHex(value));
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Prints `result` as `key: value` lines (snake_case keys) or as JSON with --json. */
export async function printResult(
  platform: Platform,
  result: Record<string, unknown>,
  json: boolean | undefined,
): Promise<void> {
  const text = json
    ? jsonText(result) + "\n"
    : Object.entries(result).map(([k, v]) => `${snake(k)}: ${plain(v)}\n`).join("");
  await platform.stdout.write(new TextEncoder().encode(text));
}
