/**
 * The XR232 model's settings as users write them, shared by `qrng model`, `qrng emulate
 * xr232usb` and `sim:xr232usb` URIs: times ("40ms"), disturbance schedules, NAME=VALUE model
 * parameters and recorded pulse-width files. Usage errors start with `where`, the command or
 * device the text came from.
 */
import { readAll } from "../byte_io.ts";
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { type Disturbance, XR232_DEFAULTS, type Xr232Params } from "../../wasm/xr232.ts";
import { Xr232Device, type Xr232DeviceOptions, type Xr232Kind } from "./xr232_device.ts";

const UNITS_S: Record<string, number> = { s: 1, ms: 1e-3, us: 1e-6 };

/**
 * Parses "1.5s", "40ms", "200us" (a bare number is seconds) into seconds; `where` starts the
 * usage error ("qrng model", "device 'sim:xr232usb?disturb=x'").
 */
export function parseSeconds(text: string, where = "qrng model"): number {
  const match = /^(\d+(?:\.\d*)?|\.\d+)(s|ms|us)?$/.exec(text.trim());
  if (!match) throw usageError(`${where}: bad time '${text}' (use e.g. 1.5s, 40ms, 200us)`);
  return Number(match[1]) * UNITS_S[match[2] ?? "s"];
}

/** Reads recorded pulse widths (microseconds) from a text file. */
export async function readPulseFile(platform: Platform, path: string): Promise<number[]> {
  const text = new TextDecoder().decode(await readAll(await platform.openReader(path)));
  const widths: number[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    for (const word of line.replace(/#.*/, "").split(/[\s,]+/).filter(Boolean)) {
      const us = Number(word);
      if (!(us > 0) || !Number.isFinite(us)) {
        throw new QrngError(
          "input",
          `Cannot read ${path}: line ${index + 1}: '${word}' is not a pulse width in microseconds`,
        );
      }
      widths.push(us);
    }
  }
  if (widths.length === 0) throw new QrngError("input", `Cannot read ${path}: no pulse widths in it`);
  return widths;
}

/** Parses "1.0s:5ms,2.0s:40ms" into disturbances; `where` starts the usage error. */
export function parseDisturbances(text: string, where = "qrng model"): Disturbance[] {
  return text.split(",").filter((part) => part.trim() !== "").map((part) => {
    const [start, duration, extra] = part.split(":");
    if (duration === undefined || extra !== undefined) {
      throw usageError(`${where}: bad disturbance '${part}' (use START:DURATION, e.g. 2.0s:40ms)`);
    }
    const d = { startS: parseSeconds(start, where), durationS: parseSeconds(duration, where) };
    if (d.durationS <= 0) throw usageError(`${where}: disturbance '${part}' has no duration`);
    return d;
  });
}

/** Model parameters from NAME=VALUE settings (`--set`, or a sim: URI's parameters). */
export function parseModelSettings(settings: readonly string[], where: string): Partial<Xr232Params> {
  const params: Partial<Xr232Params> = {};
  for (const setting of settings) {
    const [name, value] = setting.split("=");
    if (!(name in XR232_DEFAULTS) || value === undefined || !Number.isFinite(Number(value))) {
      throw usageError(
        `${where}: bad parameter '${setting}' (known: ${Object.keys(XR232_DEFAULTS).join(", ")})`,
      );
    }
    params[name as keyof Xr232Params] = Number(value);
  }
  return params;
}

/** Parses an emulated noise source's seed (default 1); `where` starts the usage error. */
export function parseSeed(text: string | undefined, where: string): bigint {
  if (text === undefined) return 1n;
  if (!/^\d+$/.test(text)) throw usageError(`${where}: seed must be a non-negative integer`);
  return BigInt(text);
}

/** The settings of an emulated device as users write them (flags or sim: URI parameters). */
export interface Xr232SettingsText {
  readonly seed?: string;
  /** Disturbances, see {@link parseDisturbances}. */
  readonly disturb?: string;
  /** NAME=VALUE model parameters, see {@link parseModelSettings}. */
  readonly set?: readonly string[];
}

/** Parses an emulated device's settings; `where` starts the usage errors. */
export function parseXr232Settings(text: Xr232SettingsText, where: string): Xr232DeviceOptions {
  return {
    seed: parseSeed(text.seed, where),
    schedule: text.disturb ? parseDisturbances(text.disturb, where) : [],
    params: parseModelSettings(text.set ?? [], where),
  };
}

/** Calls `make` (which builds an emulated device), turning a model parameter out of range into a usage error. */
export function checkedXr232<T>(make: () => T, where: string): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof RangeError) throw usageError(`${where}: ${error.message}`);
    throw error;
  }
}

/** A new emulated device; a model parameter out of range is a usage error starting with `where`. */
export function newXr232Device(kind: Xr232Kind, options: Xr232DeviceOptions, where: string): Xr232Device {
  return checkedXr232(() => new Xr232Device(kind, options), where);
}
