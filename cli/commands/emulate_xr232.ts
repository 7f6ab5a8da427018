/** `qrng emulate xr232usb|xr232`: its flags and help; the emulator is cli/emulators/xr232_serve.ts. */
import { parseFlags } from "../command.ts";
import { usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import type { Xr232Kind } from "../emulators/xr232_device.ts";
import { parseXr232Settings, readPulseFile } from "../emulators/xr232_settings.ts";
import { XR232_DEFAULTS } from "../../wasm/xr232.ts";

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

async function run(kind: Xr232Kind, argv: string[], platform: Platform): Promise<number> {
  const where = `qrng emulate ${kind}`;
  const { values } = parseFlags(`emulate ${kind}`, argv, FLAGS);
  if (!values.serial) throw usageError(`${where}: give --serial (the XR232 is a serial device)`);
  const device = parseXr232Settings(values, where);
  if (values.pulses !== undefined) device.recordedWidthsUs = await readPulseFile(platform, values.pulses);
  const { serveXr232 } = await import("../emulators/xr232_serve.ts");
  return await serveXr232(kind, { device, recordPath: values.record }, platform);
}

function emulateKind(kind: Xr232Kind, summary: string) {
  return {
    kind,
    summary,
    help: help(kind),
    run: (argv: string[], platform: Platform) => run(kind, argv, platform),
  };
}

/** `qrng emulate xr232usb`. */
export const emulateXr232usb = emulateKind(
  "xr232usb",
  "XR232USB V1.1: firmware model behind a pty, identification below 2400 baud",
);
/** `qrng emulate xr232`. */
export const emulateXr232 = emulateKind(
  "xr232",
  "classic XR232: the same pool model, random bytes at any rate",
);
