/**
 * `qrng completions bash|zsh|fish`: prints a completion script built from every command's
 * `--help` and the device drivers' URI schemes (cli/shell_completion.ts).
 */
import type { Command } from "../command.ts";
import { parseFlags } from "../command.ts";
import { SIM_KINDS, SOURCE_DRIVERS } from "../sources/registry.ts";
import { usageError } from "../errors.ts";
import {
  bashCompletion,
  type CompletionTable,
  fishCompletion,
  flagsInHelp,
  zshCompletion,
} from "../shell_completion.ts";
import { COMMANDS } from "./mod.ts";

const GENERATORS: Readonly<Record<string, (table: CompletionTable) => string>> = {
  bash: bashCompletion,
  zsh: zshCompletion,
  fish: fishCompletion,
};

const HELP = `Usage: qrng completions bash|zsh|fish

Prints a completion script for the shell: commands, each command's flags and the device URIs
of --device. Load it for this shell, or install it:

  source <(qrng completions bash)        # in ~/.bashrc
  source <(qrng completions zsh)         # in ~/.zshrc
  qrng completions fish > ~/.config/fish/completions/qrng.fish
`;

/**
 * What `--device` completes to: each scheme, network ones with "//" (their summaries spell
 * them so), and the emulators by name.
 */
function devicePrefixes(): string[] {
  return SOURCE_DRIVERS.flatMap((driver) =>
    driver.scheme === "sim"
      ? SIM_KINDS.map((sim) => `sim:${sim.kind}`)
      : [driver.summary.includes(`${driver.scheme}://`) ? `${driver.scheme}://` : `${driver.scheme}:`]
  );
}

/** The commands, flags and device prefixes completion offers. */
export async function completionTable(): Promise<CompletionTable> {
  const commands = await Promise.all(COMMANDS.map((entry) => entry.load()));
  return {
    commands: commands.map((c) => ({ name: c.name, summary: c.summary, flags: flagsInHelp(c.help) })),
    devicePrefixes: devicePrefixes(),
  };
}

export const completionsCommand: Command = {
  name: "completions",
  summary: "print a bash, zsh or fish completion script",
  help: HELP,
  async run(argv, platform) {
    const { positionals } = parseFlags("completions", argv, {}, 1);
    const generate = GENERATORS[positionals[0] ?? ""];
    if (!generate) {
      throw usageError(`qrng completions: name a shell: ${Object.keys(GENERATORS).join(", ")}`);
    }
    await platform.stdout.write(new TextEncoder().encode(generate(await completionTable())));
    return 0;
  },
};
