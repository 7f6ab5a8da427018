/**
 * `qrng model xr232usb`: runs the XR232USB firmware model (wasm/xr232.ts) for some seconds of
 * model time with a disturbance schedule, prints the timeline and can write the bytes.
 */
import { type Command, parseFlags } from "../command.ts";
import { runTimeline, type Timeline } from "../emulators/xr232_timeline.ts";
import { usageError } from "../errors.ts";
import { XR232USB_BAUD } from "../protocol/xr232.ts";
import { isBaudRate } from "../uri.ts";
import type { Platform } from "../platform.ts";
import { OutputSink } from "../output/sink.ts";
import { type Disturbance, XR232_DEFAULTS, Xr232Model } from "../../wasm/xr232.ts";
import {
  parseDisturbances,
  parseModelSettings,
  parseSeconds,
  readPulseFile,
} from "../emulators/xr232_settings.ts";

const HELP = `qrng model xr232usb: run the XR232USB sampling/pool model (emulated, seeded)

Usage: qrng model xr232usb [--seconds S] [--disturb T:D,...] [--seed N | --pulses FILE] [--baud B]
                           [--set NAME=VALUE ...] [--json] [-o FILE|-]

Simulates the firmware: pulse widths from a seeded noise source, one bit per level change
(the poll counter's least significant bit), bytes XORed into the pool, long-pulse detection,
the CTS timeline (tR1 detection, tR2 dead time, cold start) and a host that asks for bytes at
the line rate and waits while CTS is off.

Options:
  --seconds S       model time to run (default 5)
  --disturb LIST    disturbances as START:DURATION, e.g. 1.0s:5ms,2.0s:40ms (units s, ms, us)
  --seed N          seed of the emulated noise source (default 1)
  --pulses FILE     play recorded pulse widths instead: microseconds, whitespace- or comma-
                    separated, # starts a comment; after the last one the level stays put
  --baud B          line rate of the host's requests (default ${XR232USB_BAUD})
  --set NAME=VALUE  change a parameter (repeatable): ${Object.keys(XR232_DEFAULTS).join(", ")}
  --json            print the timeline as JSON
  -o, --output F    write the modelled bytes to F (- for stdout; the timeline then goes to stderr)

Example:
  qrng model xr232usb --seconds 5 --disturb 1.0s:5ms,2.0s:40ms -o bytes.bin
`;

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The timeline as the text `qrng model` prints. */
function formatTimeline(
  t: Timeline,
  model: Xr232Model,
  seed: string,
  baud: number,
  schedule: Disturbance[],
): string {
  const p = model.params;
  const seconds = t.slices.reduce((sum, s) => sum + (s.endS - s.startS), 0);
  const lines = [
    `XR232USB model (emulated, seed ${seed}): ${
      fmt(seconds, 3)
    } s at ${baud} baud; pool ${p.poolBytes} bytes, ` +
    `tR1 ${p.tr1Ms} ms, tR2 ${p.tr2Ms} ms, cold start ${p.coldStartMs} ms`,
    schedule.length
      ? `disturbances: ${
        schedule.map((d) => `${fmt(d.startS, 3)} s for ${fmt(d.durationS * 1e3, 1)} ms`).join(", ")
      }`
      : "disturbances: none",
    "",
    "  second   bytes out  pool refreshes  CTS drops  recoveries  CTS off",
    ...t.slices.map((s) =>
      `  ${fmt(s.startS, 0).padStart(6)}  ${fmt(s.bytesServed).padStart(10)}  ${
        fmt(s.refreshes / (s.endS - s.startS), 1).padStart(11)
      }/s` +
      `  ${String(s.ctsDrops).padStart(9)}  ${String(s.ctsRecoveries).padStart(10)}  ${
        fmt(s.ctsOffS * 1e3, 1).padStart(6)
      } ms`
    ),
    "",
    "events:",
    ...t.events.map((e) => `  ${fmt(e.timeS, 6).padStart(11)} s  ${e.kind}`),
    "",
  ];
  const f = t.final;
  lines.push(
    `total: ${fmt(f.bytesServed)} bytes out, ${fmt(f.bytesWritten)} bytes into the pool, ` +
      `${fmt(f.refreshes / (f.nowTicks / p.pollHz), 1)} pool refreshes/s, ` +
      `raw bits ${fmt(f.bits)} with ${fmt((100 * f.ones) / Math.max(1, f.bits), 3)} % ones, ` +
      `${f.longPulses} long pulses, CTS drops ${f.ctsDrops}, CTS on ${f.ctsRises}×`,
    "",
  );
  return lines.join("\n");
}

/** `qrng model`. */
export const modelCommand: Command = {
  name: "model",
  summary: "Run the XR232USB firmware model: byte stream and CTS timeline",
  help: HELP,
  async run(argv: string[], platform: Platform): Promise<number> {
    const { values, positionals } = parseFlags("model", argv, {
      seconds: { type: "string" },
      disturb: { type: "string" },
      seed: { type: "string" },
      pulses: { type: "string" },
      baud: { type: "string" },
      set: { type: "string", multiple: true },
      json: { type: "boolean" },
      output: { type: "string", short: "o" },
    }, 1);
    if (positionals[0] !== "xr232usb") {
      throw usageError(
        `qrng model: name the device to model: xr232usb${positionals[0] ? ` (not '${positionals[0]}')` : ""}`,
      );
    }
    const seconds = values.seconds === undefined ? 5 : parseSeconds(values.seconds);
    if (seconds <= 0 || seconds > 86_400) throw usageError("qrng model: --seconds must be in (0, 86400]");
    const baud = values.baud === undefined ? XR232USB_BAUD : Number(values.baud);
    if (!isBaudRate(baud)) throw usageError("qrng model: --baud must be 50..4000000");
    const seedText = values.seed ?? "1";
    if (!/^\d+$/.test(seedText)) throw usageError("qrng model: --seed must be a non-negative integer");
    const schedule = values.disturb === undefined ? [] : parseDisturbances(values.disturb);
    const recorded = values.pulses === undefined ? undefined : await readPulseFile(platform, values.pulses);
    let model: Xr232Model;
    try {
      model = new Xr232Model(
        BigInt(seedText),
        parseModelSettings(values.set ?? [], "qrng model"),
        schedule,
        recorded,
      );
    } catch (error) {
      if (error instanceof RangeError) {
        throw usageError(`qrng model: ${error.message.replace(/^xr232 model: /, "")}`);
      }
      throw error;
    }
    const toStdout = values.output === "-";
    // The file is replaced only when the whole run is written (a failure leaves it as it was).
    const out = values.output === undefined
      ? undefined
      : await OutputSink.open(platform, values.output, false);
    let timeline: Timeline;
    try {
      timeline = await runTimeline(model, seconds, baud, (bytes) => out?.write(bytes));
      await out?.commit();
    } catch (error) {
      await out?.abort();
      throw error;
    }
    const report = values.json
      ? JSON.stringify(
        {
          device: "xr232usb",
          emulated: true,
          seed: seedText,
          baud,
          params: model.params,
          schedule,
          ...timeline,
        },
        null,
        2,
      ) + "\n"
      : formatTimeline(timeline, model, seedText, baud, schedule);
    if (toStdout) platform.writeStderr(report);
    else await platform.stdout.write(new TextEncoder().encode(report));
    return 0;
  },
};
