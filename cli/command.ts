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
 * The one-line complaint about a string flag given no value or a value that starts with '-'
 * (parseArgs calls both "ambiguous" or "missing" in several lines): found by re-reading `argv`
 * leniently, where such a value is simply taken.
 */
function flagValueProblem(argv: string[], spec: FlagSpec): string | undefined {
  const { tokens } = parseArgs({
    args: argv,
    options: spec,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== "option" || spec[token.name]?.type !== "string" || token.inlineValue) continue;
    const flag = `--${token.name}`;
    if (token.value === undefined) return `${flag} needs a value`;
    if (token.value.length > 1 && token.value.startsWith("-")) {
      // A multi-line value (a PEM key) is shown by its first line, to keep the error one line.
      const [firstLine] = token.value.split("\n");
      const shown = firstLine === token.value ? token.value : "VALUE";
      return `${flag} '${firstLine}${
        shown === "VALUE" ? "..." : ""
      }': a value starting with '-' looks like ` +
        `an option (write ${flag}=${shown} if it is the value)`;
    }
  }
  return undefined;
}

/**
 * Parses `argv` strictly against `spec`: unknown flags, missing or empty values, values that
 * look like options and stray or empty positionals become one-line usage errors that name the
 * command (no flag or argument of qrng means anything when empty).
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
    const emptyFlag = Object.entries(parsed.values).find(([, v]) =>
      v === "" || (Array.isArray(v) && v.includes(""))
    );
    if (emptyFlag) throw usageError(`qrng ${command}: --${emptyFlag[0]} is empty`);
    if (parsed.positionals.includes("")) throw usageError(`qrng ${command}: an argument is empty`);
    return parsed;
  } catch (error) {
    if ((error as { kind?: string }).kind === "usage") throw error;
    const valueProblem = (error as { code?: string }).code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"
      ? flagValueProblem(argv, spec)
      : undefined;
    if (valueProblem) throw usageError(`qrng ${command}: ${valueProblem}`);
    // parseArgs messages are multi-line and mention "args": keep the first clause.
    const text = (error as Error).message.split(/\.\s|\n/)[0].replace(/^Unknown option/, "unknown option");
    throw usageError(`qrng ${command}: ${text} (see qrng ${command} --help)`);
  }
}
