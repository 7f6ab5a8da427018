/** `qrng emulate <kind>`: serve an emulated device (kinds in cli/emulators/registry.ts). */
import type { Command } from "../command.ts";
import { usageError } from "../errors.ts";
import { EMULATORS } from "../emulators/registry.ts";

const help = () =>
  [
    "Usage: qrng emulate <kind> [options]",
    "",
    "Serves an emulated device that a real client cannot tell from hardware, except that its",
    "data is a seeded, reproducible stream (never random) and it says so on stderr.",
    "",
    "Kinds:",
    ...EMULATORS.map((e) => `  ${e.kind.padEnd(10)}  ${e.summary}`),
    "",
    ...EMULATORS.map((e) => `\n${e.help}`),
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
    const emulator = EMULATORS.find((e) => e.kind === kind);
    if (!emulator) {
      throw usageError(`qrng emulate: ${kind ? `unknown kind '${kind}'` : "name a kind"} (known: ${EMULATORS.map((e) => e.kind).join(", ")})`);
    }
    return await emulator.serve(rest, platform);
  },
};
