/**
 * `qrng emulate xr232usb|xr232 --serial`: serves an emulated XR232USB (or classic XR232) on a
 * pseudo-terminal until Ctrl-C, and `sim:xr232usb` / `sim:xr232` in-process. The first stdout
 * line is the device URI a host should use (tests parse it).
 */
import { parseFlags } from "../command.ts";
import { parseDisturbances, parseModelSettings, readPulseFile } from "./xr232_settings.ts";
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { baudFromUri, checkUriParams, type DeviceUri } from "../uri.ts";
import type { EmulatorKind, RandomSource, SourceOptions } from "../devices/device.ts";
import { policyFromParams, XR232_URI_PARAMS, xr232Source, XR232USB_BAUD } from "../devices/xr232.ts";
import { Xr232Reader } from "../devices/xr232_reader.ts";
import { Xr232Device, type Xr232DeviceOptions, type Xr232Kind } from "./xr232_device.ts";
import { Xr232SimPort } from "./xr232_sim.ts";
import { XR232_DEFAULTS } from "../../wasm/xr232.ts";

/** The classic XR232's usual rate (it works up to 57600). */
export const XR232_CLASSIC_BAUD = 38_400;

const help = (kind: Xr232Kind) =>
  `Usage: qrng emulate ${kind} --serial [options]

Emulates ${
    kind === "xr232usb" ? "an XR232USB V1.1" : "a classic XR232"
  } behind a pseudo-terminal: one byte per 'U', paced at the
line rate the host sets (10 bits per byte), reset on every open (cold start before data),
data withheld while the firmware model's CTS is off${
    kind === "xr232usb" ? ", identification string below 2400 baud" : ""
  }.
Its data is the seeded firmware model's output: reproducible, NOT random. Prints the device
URI on the first stdout line; runs until Ctrl-C.

  --serial            create a pseudo-terminal and serve on it (Deno or Bun)
  --seed N            seed of the emulated noise source [1]
  --disturb LIST      disturbances in model time, START:DURATION,... e.g. 1.0s:5ms,2.0s:40ms
  --set NAME=VALUE    model parameter (repeatable): ${Object.keys(XR232_DEFAULTS).join(", ")}
  --pulses FILE       play recorded pulse widths (microseconds) instead of the seeded source
  --record FILE       also write every byte sent to the host to FILE (for tests)

Example:
  qrng emulate ${kind} --serial --seed 7 --disturb 2s:300ms
`;

const FLAGS = {
  serial: { type: "boolean" },
  seed: { type: "string" },
  disturb: { type: "string" },
  set: { type: "string", multiple: true },
  record: { type: "string" },
  pulses: { type: "string" },
} as const;

/** Parses an emulated noise source's seed (default 1); `where` prefixes the usage error. */
export function parseSeed(text: string | undefined, where: string): bigint {
  if (text === undefined) return 1n;
  if (!/^\d+$/.test(text)) throw usageError(`${where}: seed must be a non-negative integer`);
  return BigInt(text);
}

function deviceOptions(
  where: string,
  seed: string | undefined,
  disturb: string | undefined,
  set: readonly string[],
): Xr232DeviceOptions {
  return {
    seed: parseSeed(seed, where),
    schedule: disturb ? parseDisturbances(disturb, where) : [],
    params: parseModelSettings(set, where),
  };
}

function makeDevice(kind: Xr232Kind, options: Xr232DeviceOptions, where: string): Xr232Device {
  try {
    return new Xr232Device(kind, options);
  } catch (error) {
    if (error instanceof RangeError) throw usageError(`${where}: ${error.message}`);
    throw error;
  }
}

async function serve(kind: Xr232Kind, argv: string[], platform: Platform): Promise<number> {
  const where = `qrng emulate ${kind}`;
  const { values } = parseFlags(`emulate ${kind}`, argv, FLAGS);
  if (!values.serial) throw usageError(`${where}: give --serial (the XR232 is a serial device)`);
  const options = deviceOptions(where, values.seed, values.disturb, values.set ?? []);
  if (values.pulses !== undefined) options.recordedWidthsUs = await readPulseFile(platform, values.pulses);
  const device = makeDevice(kind, options, where);
  if (!platform.libc) throw new QrngError("unsupported", `${where} --serial needs Deno or Bun (FFI)`);
  const { openPty } = await import("../transports/pty.ts");
  const { serveXr232OnPty } = await import("./xr232_pty.ts");
  const pty = await openPty(await platform.libc());
  pty.markAsEmulator(); // hosts reading this pty warn that its data is not random
  const record = values.record === undefined ? undefined : await platform.openWriter(values.record);
  let stopped = false;
  const unsubscribe = platform.onInterrupt(() => (stopped = true));
  try {
    platform.writeStderr(
      `qrng emulate: EMULATED ${
        kind === "xr232usb" ? "XR232USB" : "classic XR232"
      } (seed ${options.seed}) on ${pty.slavePath}: ` +
        `its data is the seeded firmware model's output, not random\n`,
    );
    await platform.stdout.write(new TextEncoder().encode(`xr232:${pty.slavePath}\n`));
    await serveXr232OnPty(pty, device, {
      now: () => platform.now(),
      sleep: (ms) => platform.sleep(ms),
      stopped: () => stopped,
      log: (line) => platform.writeStderr(`qrng emulate: ${line}\n`),
      onSend: record ? (bytes) => record.write(bytes) : undefined,
    });
  } finally {
    unsubscribe();
    await pty.close();
    await record?.close();
  }
  return 0;
}

function openSim(kind: Xr232Kind, uri: DeviceUri, options: SourceOptions): Promise<RandomSource> {
  const where = `device '${uri.text}'`;
  checkUriParams(uri, [...XR232_URI_PARAMS, "seed", "disturb", ...Object.keys(XR232_DEFAULTS)]);
  const baud = baudFromUri(uri, kind === "xr232usb" ? XR232USB_BAUD : XR232_CLASSIC_BAUD);
  const clock = { now: () => options.platform.now(), sleep: (ms: number) => options.platform.sleep(ms) };
  // model parameters may ride along as query parameters: sim:xr232usb?sigma=0.02
  const settings = Object.entries(uri.params).filter(([k]) => k in XR232_DEFAULTS).map(([k, v]) =>
    `${k}=${v}`
  );
  const deviceOpts = deviceOptions(where, uri.params.seed, uri.params.disturb, settings);
  let port: Xr232SimPort;
  try {
    port = new Xr232SimPort(kind, baud, clock, deviceOpts);
  } catch (error) {
    if (error instanceof RangeError) throw usageError(`${where}: ${error.message}`);
    throw error;
  }
  let interrupted = false;
  const unsubscribe = options.platform.onInterrupt(() => (interrupted = true));
  const reader = new Xr232Reader(port, {
    baud,
    ...policyFromParams(uri.params, uri.text),
    ...clock,
    log: options.log,
    aborted: () => interrupted,
  });
  return Promise.resolve(xr232Source(port, port.description, true, reader, unsubscribe));
}

function emulator(kind: Xr232Kind, summary: string): EmulatorKind {
  return {
    kind,
    summary,
    help: help(kind),
    serve: (argv, platform) => serve(kind, argv, platform),
    openSim: (uri, options) => openSim(kind, uri, options),
  };
}

/** `qrng emulate xr232usb` and `sim:xr232usb`. */
export const xr232usbEmulator = emulator(
  "xr232usb",
  "XR232USB V1.1: firmware model behind a pty, identification below 2400 baud",
);
/** `qrng emulate xr232` and `sim:xr232`. */
export const xr232Emulator = emulator(
  "xr232",
  "classic XR232: the same pool model, random bytes at any rate",
);
