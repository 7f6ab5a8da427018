/**
 * Every subcommand, in the order `qrng --help` lists them. Each loads its module on first use,
 * so `qrng test` never evaluates the device, emulator, PNG or signature code (start-up time).
 */
import type { Command } from "../command.ts";

/** A subcommand known by name whose module is imported only when it runs (or for help). */
export interface CommandEntry {
  /** The word after `qrng` (the loaded command's `name`). */
  readonly name: string;
  /** Imports the command's module and returns the command. */
  load(): Promise<Command>;
}

const queries = () => import("./device_queries.ts");
const controls = () => import("./device_control.ts");

export const COMMANDS: readonly CommandEntry[] = [
  // The main jobs first, then device commands, then emulation and compatibility.
  { name: "read", load: async () => (await import("./read.ts")).readCommand },
  { name: "serve", load: async () => (await import("./serve.ts")).serveCommand },
  { name: "publish", load: async () => (await import("./publish.ts")).publishCommand },
  { name: "test", load: async () => (await import("./randomness_battery.ts")).testCommand },
  { name: "view", load: async () => (await import("./view.ts")).viewCommand },
  { name: "assess", load: async () => (await import("./assess.ts")).assessCommand },
  { name: "feed", load: async () => (await import("./feed.ts")).feedCommand },
  { name: "list", load: async () => (await import("./list.ts")).listCommand },
  { name: "ident", load: async () => (await import("./ident.ts")).identCommand },
  { name: "info", load: async () => (await queries()).infoCommand },
  { name: "status", load: async () => (await queries()).statusCommand },
  { name: "stats", load: async () => (await queries()).statsCommand },
  { name: "config", load: async () => (await import("./device_config.ts")).configCommand },
  { name: "reset", load: async () => (await controls()).resetCommand },
  { name: "stop", load: async () => (await controls()).stopCommand },
  { name: "pubkey", load: async () => (await queries()).pubkeyCommand },
  { name: "cert", load: async () => (await import("./cert.ts")).certCommand },
  { name: "reboot", load: async () => (await controls()).rebootCommand },
  { name: "hash-test", load: async () => (await import("./hash_engine_check.ts")).hashTestCommand },
  { name: "update", load: async () => (await import("./update.ts")).updateCommand },
  { name: "emulate", load: async () => (await import("./emulate.ts")).emulateCommand },
  { name: "model", load: async () => (await import("./model.ts")).modelCommand },
  { name: "pyqcc", load: async () => (await import("./pyqcc.ts")).pyqccCommand },
  { name: "completions", load: async () => (await import("./completions.ts")).completionsCommand },
];
