/**
 * What the Cmd&Ctrl device commands (info, status, stats, config, reset, stop, pubkey, cert,
 * reboot, hash-test, update) share: the --device/--json flags, opening the device (drained:
 * a device left streaming is stopped first), and printing a result as `key: value` lines or
 * one JSON object.
 */
import { type Command, parseFlags, type FlagSpec } from "../command.ts";
import type { Platform } from "../platform.ts";
import { type CmdCtrlDevice } from "../devices/cmdctrl/driver.ts";
import { openCmdCtrl } from "../sources/cmdctrl.ts";
import { resolveDevice } from "./read_device.ts";
import { printable } from "../printable.ts";

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
    log: (line) => platform.writeStderr(`qrng: ${printable(line)}\n`),
  });
  try {
    return await body(device);
  } finally {
    await device.close();
  }
}

/**
 * A command that takes only the device flags, runs `act` on the opened device, and prints
 * the device's description plus what `act` returns.
 */
export function simpleDeviceCommand(
  name: string,
  summary: string,
  description: string,
  act: (device: CmdCtrlDevice) => Promise<Record<string, unknown>>,
): Command {
  return {
    name,
    summary,
    help: `Usage: qrng ${name} [--device URI] [--json]\n\n${description}\n\n${DEVICE_FLAGS_HELP}\n\n` +
      `Example:\n  qrng ${name} --device sim:qcicada\n`,
    async run(argv, platform) {
      const { values } = parseDeviceFlags(name, argv, {});
      const result = await withDevice(platform, values.device, async (device) => ({
        device: device.transport.description,
        ...(await act(device)),
      }));
      await printResult(platform, result, values.json);
      return 0;
    },
  };
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function plain(value: unknown): string {
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (value instanceof Uint8Array) return hex(value);
  return printable(String(value)); // device strings (serial, hw_info) may carry escapes
}

/** Lowercase hex of `bytes`. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * JSON text of `value`: bytes as hex, a bigint (a u64 counter) as its exact digits, which JSON
 * numbers may carry (JSON.stringify refuses bigints and a Number would round above 2^53).
 */
export function jsonText(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return JSON.stringify(hex(value));
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
