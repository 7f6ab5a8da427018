/**
 * What the Cmd&Ctrl device commands (info, status, stats, config, reset, stop, pubkey, cert,
 * reboot, hash-test, update) share: the --device/--json flags, opening the device (drained:
 * a device left streaming is stopped first), and printing a result as `key: value` lines or
 * one JSON object.
 */
import { parseFlags, type FlagSpec } from "../command.ts";
import type { ByteReader, Platform } from "../platform.ts";
import { type CmdCtrlDevice } from "../devices/cmdctrl/driver.ts";
import { openCmdCtrl } from "../devices/cmdctrl/open.ts";
import { resolveDevice } from "./read_device.ts";

/** Flags every device command takes. */
export const DEVICE_FLAGS = {
  device: { type: "string" },
  json: { type: "boolean" },
} as const satisfies FlagSpec;

/** The help lines for {@link DEVICE_FLAGS}. */
export const DEVICE_FLAGS_HELP = `  --device URI         serial:/dev/ttyUSB0, tcp://host[:port], udp://host[:port],
                       tcpudp://host[:port], sim:qcicada; default: the one QRNG 'qrng list' finds
  --json               print one JSON object instead of key: value lines`;

/** Parses `argv` with the device flags plus `extra`. */
export function parseDeviceFlags<T extends FlagSpec>(name: string, argv: string[], extra: T, positionals = 0) {
  return parseFlags(name, argv, { ...DEVICE_FLAGS, ...extra } as typeof DEVICE_FLAGS & T, positionals);
}

/** Opens the device (named or detected), runs `body`, and always closes it. */
export async function withDevice<R>(
  platform: Platform,
  uri: string | undefined,
  body: (device: CmdCtrlDevice) => Promise<R>,
): Promise<R> {
  const { device } = await openCmdCtrl(uri ?? await resolveDevice(), {
    platform,
    log: (line) => platform.writeStderr(`qrng: ${line}\n`),
  });
  try {
    return await body(device);
  } finally {
    await device.close();
  }
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function plain(value: unknown): string {
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (value instanceof Uint8Array) return hex(value);
  return String(value);
}

/** Lowercase hex of `bytes`. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Prints `result` as `key: value` lines (snake_case keys) or as JSON with --json. */
export async function printResult(platform: Platform, result: Record<string, unknown>, json: boolean | undefined) {
  const text = json
    ? JSON.stringify(result, (_, v) => v instanceof Uint8Array ? hex(v) : v) + "\n"
    : Object.entries(result).map(([k, v]) => `${snake(k)}: ${plain(v)}\n`).join("");
  await platform.stdout.write(new TextEncoder().encode(text));
}

/** Reads a whole input. */
export async function readAll(reader: ByteReader): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(1 << 16);
  try {
    for (let n; (n = await reader.read(buffer)) > 0;) {
      parts.push(buffer.slice(0, n));
      total += n;
    }
  } finally {
    await reader.close();
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}
