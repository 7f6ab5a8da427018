/**
 * `qrng ident`: tells an XR232USB from a classic XR232. Opens the port at a low rate (1200
 * baud), where an XR232USB answers magic characters with its identification string, repeated;
 * a classic XR232 answers random bytes at any rate. Reports the string's cycle (or "classic
 * XR232") and the baud rate to read at.
 */
import { type Command, parseFlags } from "../command.ts";
import { IDENT_BAUD, IDENT_REQUESTS, identifyXr232 } from "../sources/xr232_ident.ts";
import { usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { printable } from "../printable.ts";
import { isBaudRate } from "../uri.ts";

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
    const found = await identifyXr232(positionals[0], baud, platform);
    let text: string;
    if (values.json) {
      const { port: _, ...result } = found;
      text = JSON.stringify(result, null, 2) + "\n";
    } else if (found.kind === "xr232usb") {
      const cycle = found.identification!;
      text = `${found.port}: XR232USB\n` +
        `identification: "${
          printable(cycle)
        }" (${cycle.length} characters, repeating; ${found.received} received)\n` +
        `recommended: ${found.device}\n`;
    } else {
      text = `${found.port}: classic XR232 (random bytes at ${baud} baud, no identification string)\n` +
        `recommended: ${found.device} (works up to 57600; 19200 if 38400 gives errors)\n`;
    }
    await platform.stdout.write(new TextEncoder().encode(text));
    return 0;
  },
};
