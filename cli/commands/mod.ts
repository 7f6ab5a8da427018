/** Every subcommand, in the order `qrng --help` lists them. */
import type { Command } from "../command.ts";
import { emulateCommand } from "./emulate.ts";
import { identCommand } from "./ident.ts";
import { listCommand } from "./list.ts";
import { modelCommand } from "./model.ts";
import { readCommand } from "./read.ts";
import { viewCommand } from "./view.ts";

export const COMMANDS: readonly Command[] = [
  readCommand,
  emulateCommand,
  listCommand,
  identCommand,
  modelCommand,
  viewCommand,
];
