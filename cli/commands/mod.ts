/** Every subcommand, in the order `qrng --help` lists them. */
import type { Command } from "../command.ts";

export const COMMANDS: readonly Command[] = [];
