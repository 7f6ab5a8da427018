/** The shape every `qrng` subcommand has, and the flag parsing they share. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { usageError } from "./errors.ts";
import type { Platform } from "./platform.ts";

/** One subcommand of `qrng`. */
export interface Command {
  /** The word after `qrng`. */
  readonly name: string;
  /** One line for `qrng --help`. */
  readonly summary: string;
  /** The full `qrng <name> --help` text: synopsis, flags, examples. */
  readonly help: string;
  /** Runs the command; resolves the process exit status. Expected failures throw QrngError. */
  run(argv: string[], platform: Platform): Promise<number>;
}

/** The flag declarations of {@link parseFlags}: node's `parseArgs` options. */
export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `argv` strictly against `spec` (plus `--help`): unknown flags, missing values and
 * stray positionals become one-line usage errors that name the command.
 */
export function parseFlags<T extends FlagSpec>(
  command: string,
  argv: string[],
  spec: T,
  maxPositionals = 0,
) {
  try {
    const parsed = parseArgs({ args: argv, options: spec, allowPositionals: true, strict: true });
    if (parsed.positionals.length > maxPositionals) {
      throw usageError(`qrng ${command}: unexpected argument '${parsed.positionals[maxPositionals]}'`);
    }
    return parsed;
  } catch (error) {
    if ((error as { kind?: string }).kind === "usage") throw error;
    // parseArgs messages are multi-line and mention "args": keep the first clause.
    const text = (error as Error).message.split(/\.\s|\n/)[0].replace(/^Unknown option/, "unknown option");
    throw usageError(`qrng ${command}: ${text} (see qrng ${command} --help)`);
  }
}
