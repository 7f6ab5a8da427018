/** `qrng emulate <kind>`: serve an emulated device (one line per kind in EMULATED_KINDS). */
import type { Command } from "../command.ts";
import { usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { emulateQcicada } from "./emulate_qcicada.ts";
import { emulateXr232, emulateXr232usb } from "./emulate_xr232.ts";

/** An emulated device kind as `qrng emulate` offers it. */
interface EmulatedKind {
  /** The word after `qrng emulate` (and after `sim:`). */
  readonly kind: string;
  /** One line for `qrng emulate --help`. */
  readonly summary: string;
  /** The kind's flags, for the help text. */
  readonly help: string;
  /** Runs `qrng emulate <kind> ...argv` until interrupted; resolves the exit status. */
  run(argv: string[], platform: Platform): Promise<number>;
}

/** The emulators, in the order `qrng emulate --help` lists them. */
const EMULATED_KINDS: readonly EmulatedKind[] = [emulateQcicada, emulateXr232usb, emulateXr232];

const help = () =>
  [
    "Usage: qrng emulate <kind> [options]",
    "",
    "Serves an emulated device that a real client cannot tell from hardware, except that its",
    "data is a seeded, reproducible stream (never random) and it says so on stderr.",
    "",
    "Kinds:",
    ...EMULATED_KINDS.map((e) => `  ${e.kind.padEnd(10)}  ${e.summary}`),
    "",
    ...EMULATED_KINDS.map((e) => `\n${e.help}`),
  ].join("\n");

/** The emulate command. */
export const emulateCommand: Command = {
  name: "emulate",
  summary: "Serve an emulated device (qcicada, xr232usb, xr232) on a pty, TCP or UDP",
  get help() {
    return help();
  },
  async run(argv, platform) {
    const [kind, ...rest] = argv;
    const emulator = EMULATED_KINDS.find((e) => e.kind === kind);
    if (!emulator) {
      throw usageError(
        `qrng emulate: ${kind ? `unknown kind '${kind}'` : "name a kind"} (known: ${
          EMULATED_KINDS.map((e) => e.kind).join(", ")
        })`,
      );
    }
    return await emulator.run(rest, platform);
  },
};
