/**
 * XR232 and XR232USB by URI: the port a URI names (a serial port for `xr232:`, the in-process
 * emulator for `sim:xr232usb` and `sim:xr232`), read by the driver (cli/devices/xr232*.ts).
 *
 *   xr232:/dev/ttyUSB0[?baud=230400][&cts-timeout=wait|MS][&reopens=5]
 *   sim:xr232usb[?seed=N][&disturb=1s:40ms][&sigma=0.02 and other model parameters]
 *
 * The baud rate defaults to 230400 (XR232USB); a classic XR232 needs 57600 or less (`qrng ident`
 * tells which is attached). `cts-timeout` chooses the stall policy (see xr232_reader.ts):
 * `wait` (generous, the default) or a number of milliseconds (strict: reopen).
 */
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { baudFromUri, checkUriParams, type DeviceUri } from "../uri.ts";
import type { SerialPort } from "../transports/serial.ts";
import { XR232_CLASSIC_BAUD, XR232USB_BAUD } from "../protocol/xr232.ts";
import type { RandomSource, SourceOptions } from "../devices/device.ts";
import { xr232Source } from "../devices/xr232.ts";
import { type Xr232Port, Xr232Reader, type Xr232ReaderOptions } from "../devices/xr232_reader.ts";
import type { Xr232Kind } from "../emulators/xr232_device.ts";
import { checkedXr232, parseXr232Settings } from "../emulators/xr232_settings.ts";
import { XR232_DEFAULTS } from "../../wasm/xr232.ts";
import { Xr232SimPort } from "./xr232_sim_port.ts";

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

/** What differs between a real and an emulated port when reading one. */
interface OpenedPort {
  readonly port: Xr232Port;
  readonly description: string;
  readonly emulated: boolean;
}

/** The stall policy of a URI, see {@link policyFromParams}. */
type StallPolicy = ReturnType<typeof policyFromParams>;

/** Reads `opened` at `baud` with the stall policy `policy`. */
function readPort(
  opened: OpenedPort,
  baud: number,
  policy: StallPolicy,
  options: SourceOptions,
): RandomSource {
  // Ctrl-C must also end a wait for a silent device (the generous policy waits indefinitely).
  let interrupted = false;
  const unsubscribe = options.platform.onInterrupt(() => (interrupted = true));
  const reader = new Xr232Reader(opened.port, {
    baud,
    ...policy,
    now: () => options.platform.now(),
    log: options.log,
    aborted: () => interrupted || options.signal?.aborted === true,
  });
  return xr232Source(opened.port, opened.description, opened.emulated, reader, unsubscribe);
}

/** Opens `xr232:PATH` as a random source. */
export async function openXr232Source(uri: DeviceUri, options: SourceOptions): Promise<RandomSource> {
  checkUriParams(uri, XR232_URI_PARAMS);
  const baud = baudFromUri(uri, XR232USB_BAUD);
  const policy = policyFromParams(uri.params, uri.text);
  const port = await openXr232Port(options.platform, uri.target, baud);
  // qrng's emulator on a pty marks it (emulator_mark.ts): read warns that the data is not random.
  const emulated = port.isEmulator();
  const description = `${emulated ? "emulated " : ""}XR232 on ${port.description}`;
  return readPort({ port, description, emulated }, baud, policy, options);
}

/** Opens `sim:xr232usb` or `sim:xr232` (the in-process emulator) as a random source. */
export function openSimXr232Source(
  kind: Xr232Kind,
  uri: DeviceUri,
  options: SourceOptions,
): Promise<RandomSource> {
  const where = `device '${uri.text}'`;
  checkUriParams(uri, [...XR232_URI_PARAMS, "seed", "disturb", ...Object.keys(XR232_DEFAULTS)]);
  const baud = baudFromUri(uri, kind === "xr232usb" ? XR232USB_BAUD : XR232_CLASSIC_BAUD);
  const clock = { now: () => options.platform.now(), sleep: (ms: number) => options.platform.sleep(ms) };
  // model parameters may ride along as query parameters: sim:xr232usb?sigma=0.02
  const set = Object.entries(uri.params).filter(([k]) => k in XR232_DEFAULTS).map(([k, v]) => `${k}=${v}`);
  const settings = parseXr232Settings({ seed: uri.params.seed, disturb: uri.params.disturb, set }, where);
  const port = checkedXr232(() => new Xr232SimPort(kind, baud, clock, settings), where);
  const policy = policyFromParams(uri.params, uri.text);
  return Promise.resolve(
    readPort({ port, description: port.description, emulated: true }, baud, policy, options),
  );
}
