/** Every subcommand, in the order `qrng --help` lists them. */
import type { Command } from "../command.ts";
import { listCommand } from "./list.ts";
import { modelCommand } from "./model.ts";
import { viewCommand } from "./view.ts";

export const COMMANDS: readonly Command[] = [
  listCommand,
  modelCommand,
  viewCommand,
];
