/**
 * Tells an XR232USB from a classic XR232: opens the port at a low rate (1200 baud), where an
 * XR232USB answers magic characters with its identification string, repeated; a classic XR232
 * answers random bytes at any rate. `qrng ident` and the library's `ident()` report it.
 */
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { checkUriParams, type DeviceUri, parseDeviceUri } from "../uri.ts";
import { MAGIC } from "../protocol/xr232.ts";
import { classify, type Xr232Port } from "../devices/xr232_reader.ts";
import { parseSeed } from "../emulators/xr232_settings.ts";
import { openXr232Port } from "./xr232.ts";
import { Xr232SimPort } from "./xr232_sim_port.ts";

/** The rate identification uses: well below the XR232USB's 2400 baud threshold. */
export const IDENT_BAUD = 1200;
/** Magic characters sent: enough for two cycles of a string of up to 80 characters. */
export const IDENT_REQUESTS = 160;
/** Allowance for the reset and cold start after opening. */
const STARTUP_MS = 2000;

/** What identification found. */
export interface Xr232Identity {
  /** "xr232usb" (it sent its identification string) or "xr232" (a classic XR232: random bytes). */
  readonly kind: "xr232usb" | "xr232";
  /** The repeating identification string (XR232USB). */
  readonly identification?: string;
  /** The port probed, for messages. */
  readonly port: string;
  /** The baud rate to read at. */
  readonly recommendedBaud: number;
  /** The device URI to read with: the probed device at the recommended rate. */
  readonly device: string;
  /** The rate identification ran at. */
  readonly identifiedAt: number;
  /** Answers that came back. */
  readonly received: number;
}

async function openPort(
  uri: DeviceUri,
  baud: number,
  platform: Platform,
): Promise<{ port: Xr232Port; base: string }> {
  // The rate is the caller's: identification probes at a low rate whatever the device is later read at.
  checkUriParams(uri, uri.scheme === "sim" ? ["seed"] : []);
  if (uri.scheme === "sim") {
    if (uri.target !== "xr232usb" && uri.target !== "xr232") {
      throw usageError(`no XR232 emulator '${uri.target}' (use sim:xr232usb or sim:xr232)`);
    }
    const clock = { now: () => platform.now(), sleep: (ms: number) => platform.sleep(ms) };
    const seed = parseSeed(uri.params.seed, `device '${uri.text}'`);
    return { port: new Xr232SimPort(uri.target, baud, clock, { seed }), base: `sim:${uri.target}` };
  }
  if (uri.scheme !== "xr232" && uri.scheme !== "serial") {
    throw usageError(`'${uri.text}' is not a serial device (use xr232:/dev/ttyUSB0)`);
  }
  return { port: await openXr232Port(platform, uri.target, baud), base: `xr232:${uri.target}` };
}

/**
 * Identifies the XR232 `device` names (xr232:PATH, a bare serial path, sim:xr232usb, sim:xr232)
 * at `baud`. Rejects with kind "timeout" when nothing answers and "device" when the answer is
 * neither kind's.
 */
export async function identifyXr232(
  device: string,
  baud: number,
  platform: Platform,
): Promise<Xr232Identity> {
  const { port, base } = await openPort(parseDeviceUri(device), baud, platform);
  const answers = new Uint8Array(IDENT_REQUESTS);
  let got = 0;
  const budgetMs = STARTUP_MS + ((IDENT_REQUESTS * 10) / baud) * 1000 * 1.5;
  const started = platform.now();
  try {
    await port.discardInput();
    await port.write(new Uint8Array(IDENT_REQUESTS).fill(MAGIC));
    while (got < IDENT_REQUESTS && platform.now() - started < budgetMs) {
      got += await port.read(answers.subarray(got), Math.max(1, budgetMs - (platform.now() - started)));
    }
  } finally {
    await port.close();
  }
  const result = classify(answers.subarray(0, got));
  if (result.kind === "unknown") {
    throw new QrngError(
      "timeout",
      `Cannot identify ${port.description}: no answer to ${IDENT_REQUESTS} magic characters in ${
        Math.round(budgetMs)
      } ms`,
    );
  }
  if (result.kind === "other") {
    throw new QrngError(
      "device",
      `Cannot identify ${port.description}: its answer to ${IDENT_REQUESTS} magic characters was ${result.seen}: ` +
        `neither an XR232USB's identification string nor a classic XR232's random bytes`,
    );
  }
  return {
    kind: result.kind,
    identification: result.identification,
    port: port.description,
    recommendedBaud: result.recommendedBaud,
    device: `${base}?baud=${result.recommendedBaud}`,
    identifiedAt: baud,
    received: result.received,
  };
}
