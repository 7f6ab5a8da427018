/**
 * `qrng ident`: tells an XR232USB from a classic XR232. Opens the port at a low rate (1200
 * baud), where an XR232USB answers magic characters with its identification string, repeated;
 * a classic XR232 answers random bytes at any rate. Reports the string's cycle (or "classic
 * XR232") and the baud rate to read at.
 */
import { type Command, parseFlags } from "../command.ts";
import { MAGIC, XR232_CLASSIC_BAUD, XR232USB_BAUD } from "../protocol/xr232.ts";
import { classify, type Xr232Port } from "../devices/xr232_reader.ts";
import { parseSeed } from "../emulators/xr232_settings.ts";
import { openXr232Port } from "../sources/xr232.ts";
import { Xr232SimPort } from "../sources/xr232_sim_port.ts";
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { printable } from "../printable.ts";
import { checkUriParams, isBaudRate, parseDeviceUri } from "../uri.ts";

/** The rate identification uses: well below the XR232USB's 2400 baud threshold. */
export const IDENT_BAUD = 1200;
/** Magic characters sent: enough for two cycles of a string of up to 80 characters. */
export const IDENT_REQUESTS = 160;
/** Allowance for the reset and cold start after opening. */
const STARTUP_MS = 2000;

const HELP = `qrng ident: identify an XR232 / XR232USB and recommend its baud rate

Usage: qrng ident DEVICE [--baud B] [--json]

DEVICE is xr232:/dev/ttyUSB0 (or a bare path), or sim:xr232usb / sim:xr232 (emulated).
Opens the port at ${IDENT_BAUD} baud and sends ${IDENT_REQUESTS} magic characters: an XR232USB answers with its
identification string (repeated, reported once), a classic XR232 with random bytes.

Options:
  --baud B   rate to identify at (default ${IDENT_BAUD}; the XR232USB identifies below 2400)
  --json     print the result as JSON

Example:
  qrng ident xr232:/dev/ttyUSB0
`;

async function openPort(
  device: string,
  baud: number,
  platform: Platform,
): Promise<{ port: Xr232Port; base: string }> {
  const uri = parseDeviceUri(device);
  // The rate is --baud's: ident probes at a low rate whatever the device is later read at.
  checkUriParams(uri, uri.scheme === "sim" ? ["seed"] : []);
  if (uri.scheme === "sim") {
    if (uri.target !== "xr232usb" && uri.target !== "xr232") {
      throw usageError(`qrng ident: no XR232 emulator '${uri.target}' (use sim:xr232usb or sim:xr232)`);
    }
    const clock = { now: () => platform.now(), sleep: (ms: number) => platform.sleep(ms) };
    return {
      port: new Xr232SimPort(uri.target, baud, clock, { seed: parseSeed(uri.params.seed, "qrng ident") }),
      base: `sim:${uri.target}`,
    };
  }
  if (uri.scheme !== "xr232" && uri.scheme !== "serial") {
    throw usageError(`qrng ident: '${device}' is not a serial device (use xr232:/dev/ttyUSB0)`);
  }
  return { port: await openXr232Port(platform, uri.target, baud), base: `xr232:${uri.target}` };
}

/** `qrng ident`. */
export const identCommand: Command = {
  name: "ident",
  summary: "Identify an XR232 / XR232USB (identification string, recommended baud)",
  help: HELP,
  async run(argv: string[], platform: Platform): Promise<number> {
    const { values, positionals } = parseFlags("ident", argv, {
      baud: { type: "string" },
      json: { type: "boolean" },
    }, 1);
    if (!positionals[0]) throw usageError("qrng ident: name the device, e.g. qrng ident xr232:/dev/ttyUSB0");
    const baud = values.baud === undefined ? IDENT_BAUD : Number(values.baud);
    if (!isBaudRate(baud)) throw usageError("qrng ident: --baud must be 50..4000000");
    const { port, base } = await openPort(positionals[0], baud, platform);
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
    const recommended = result.kind === "xr232usb" ? XR232USB_BAUD : XR232_CLASSIC_BAUD;
    const device = `${base}?baud=${recommended}`;
    let text: string;
    if (values.json) {
      text =
        JSON.stringify({ ...result, recommendedBaud: recommended, device, identifiedAt: baud }, null, 2) +
        "\n";
    } else if (result.kind === "xr232usb") {
      const cycle = result.identification!;
      text = `${port.description}: XR232USB\n` +
        `identification: "${printable(cycle)}" (${cycle.length} characters, repeating; ${got} received)\n` +
        `recommended: ${device}\n`;
    } else {
      text = `${port.description}: classic XR232 (random bytes at ${baud} baud, no identification string)\n` +
        `recommended: ${device} (works up to 57600; 19200 if 38400 gives errors)\n`;
    }
    await platform.stdout.write(new TextEncoder().encode(text));
    return 0;
  },
};
