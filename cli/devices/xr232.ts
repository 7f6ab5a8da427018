/**
 * The `xr232:` device driver: XR232 and XR232USB on a serial port, raw 8N1 with RTS/CTS.
 *
 *   xr232:/dev/ttyUSB0[?baud=230400][&cts-timeout=wait|MS][&reopens=5]
 *
 * The baud rate defaults to 230400 (XR232USB); a classic XR232 needs 57600 or less (`qrng ident`
 * tells which is attached). `cts-timeout` chooses the stall policy (see xr232_reader.ts):
 * `wait` (generous, the default) or a number of milliseconds (strict: reopen).
 */
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { baudFromUri, checkUriParams, type DeviceUri } from "../uri.ts";
import type { RandomSource, SourceDriver, SourceOptions } from "./device.ts";
import type { SerialPort } from "../transports/serial.ts";
import { type Xr232Port, Xr232Reader, type Xr232ReaderOptions } from "./xr232_reader.ts";

/** XR232USB's safe maximum; the default line rate. */
export const XR232USB_BAUD = 230_400;
/** Most bytes handed out per `next()`: it hands out what has come, so a slow line's bytes go on at once. */
const CHUNK_BYTES = 4096;

/** The query parameters every XR232 URI may carry (the driver's own; emulators add theirs). */
export const XR232_URI_PARAMS = ["baud", "cts-timeout", "reopens"] as const;

/** The stall policy options a device URI carries. */
export function policyFromParams(
  params: Readonly<Record<string, string>>,
  uri: string,
): Pick<Xr232ReaderOptions, "ctsTimeout" | "maxReopens"> {
  const out: Pick<Xr232ReaderOptions, "ctsTimeout" | "maxReopens"> = {};
  const timeout = params["cts-timeout"];
  if (timeout !== undefined) {
    const ms = Number(timeout.replace(/ms$/, ""));
    if (timeout === "wait") out.ctsTimeout = "wait";
    else if (Number.isFinite(ms) && ms > 0) out.ctsTimeout = ms;
    else throw usageError(`invalid cts-timeout '${timeout}' in device '${uri}' (use wait or milliseconds)`);
  }
  if (params.reopens !== undefined) {
    const n = Number(params.reopens);
    if (!Number.isInteger(n) || n < 0) {
      throw usageError(`invalid reopens '${params.reopens}' in device '${uri}'`);
    }
    out.maxReopens = n;
  }
  return out;
}

/**
 * Adds a `--cts-timeout` flag's value to an XR232 device URI (as `cts-timeout=`); other devices
 * have no CTS policy, so the flag is a usage error for them. `command` names the command.
 */
export function withCtsTimeout(uri: string, ctsTimeout: string | undefined, command: string): string {
  if (ctsTimeout === undefined) return uri;
  if (!/^(xr232:|sim:xr232)/.test(uri)) {
    throw usageError(`qrng ${command}: --cts-timeout applies to XR232 devices (xr232:..., sim:xr232usb)`);
  }
  if (ctsTimeout !== "wait" && !(Number(ctsTimeout.replace(/ms$/, "")) > 0)) {
    throw usageError(`qrng ${command}: --cts-timeout takes wait or milliseconds (not '${ctsTimeout}')`);
  }
  return `${uri}${uri.includes("?") ? "&" : "?"}cts-timeout=${encodeURIComponent(ctsTimeout)}`;
}


/** Opens the serial port of an XR232 at `baud` with RTS/CTS (which resets an XR232USB). */
export async function openXr232Port(platform: Platform, path: string, baud: number): Promise<SerialPort> {
  if (!platform.libc) {
    throw new QrngError(
      "unsupported",
      "XR232 devices need serial ports: run qrng under Deno or Bun, or the binary",
    );
  }
  const { openSerial } = await import("../transports/serial.ts");
  return await openSerial(await platform.libc(), path, { baud, flowControl: "rtscts" });
}

/** A RandomSource over an open XR232 port. */
export function xr232Source(
  port: Xr232Port,
  description: string,
  emulated: boolean,
  reader: Xr232Reader,
  onClose: () => void = () => {},
): RandomSource {
  const chunk = new Uint8Array(CHUNK_BYTES);
  let closed = false;
  return {
    description,
    emulated,
    async next() {
      if (closed) throw new QrngError("disconnected", `Cannot read from ${description}: it was closed`);
      return chunk.subarray(0, await reader.readInto(chunk, 1));
    },
    async close() {
      if (closed) return;
      closed = true;
      onClose();
      await port.close();
    },
    // An XR232 reports no status: ending a read well is releasing the port.
    finish() {
      return this.close();
    },
  };
}

async function open(uri: DeviceUri, options: SourceOptions): Promise<RandomSource> {
  checkUriParams(uri, XR232_URI_PARAMS);
  const baud = baudFromUri(uri, XR232USB_BAUD);
  const policy = policyFromParams(uri.params, uri.text);
  const port = await openXr232Port(options.platform, uri.target, baud);
  // Ctrl-C must also end a wait for a silent device (the generous policy waits indefinitely).
  let interrupted = false;
  const unsubscribe = options.platform.onInterrupt(() => (interrupted = true));
  const reader = new Xr232Reader(port, {
    baud,
    ...policy,
    now: () => options.platform.now(),
    log: options.log,
    aborted: () => interrupted,
  });
  // qrng's emulator on a pty marks it (emulator_mark.ts): read warns that the data is not random.
  const emulated = port.isEmulator();
  return xr232Source(port, `${emulated ? "emulated " : ""}XR232 on ${port.description}`, emulated, reader, unsubscribe);
}

/** The `xr232:` driver. */
export const xr232Driver: SourceDriver = {
  scheme: "xr232",
  summary: "XR232 / XR232USB on a serial port: xr232:/dev/ttyUSB0[?baud=230400&cts-timeout=wait|MS]",
  open,
};
