/** Every subcommand, in the order `qrng --help` lists them. */
import type { Command } from "../command.ts";
import { certCommand } from "./cert.ts";
import { configCommand } from "./device_config.ts";
import { rebootCommand, resetCommand, stopCommand } from "./device_control.ts";
import { infoCommand, pubkeyCommand, statsCommand, statusCommand } from "./device_queries.ts";
import { emulateCommand } from "./emulate.ts";
import { hashTestCommand } from "./hash_test.ts";
import { identCommand } from "./ident.ts";
import { listCommand } from "./list.ts";
import { modelCommand } from "./model.ts";
import { pyqccCommand } from "./pyqcc.ts";
import { readCommand } from "./read.ts";
import { updateCommand } from "./update.ts";
import { testCommand } from "./test.ts";
import { viewCommand } from "./view.ts";

export const COMMANDS: readonly Command[] = [
  // The main jobs first, then device commands, then emulation and compatibility.
  readCommand,
  testCommand,
  viewCommand,
  listCommand,
  identCommand,
  infoCommand,
  statusCommand,
  statsCommand,
  configCommand,
  resetCommand,
  stopCommand,
  pubkeyCommand,
  certCommand,
  rebootCommand,
  hashTestCommand,
  updateCommand,
  emulateCommand,
  modelCommand,
  pyqccCommand,
];
