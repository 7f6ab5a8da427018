/** Every subcommand, in the order `qrng --help` lists them. */
import type { Command } from "../command.ts";
import { modelCommand } from "./model.ts";

export const COMMANDS: readonly Command[] = [
  modelCommand,
];
