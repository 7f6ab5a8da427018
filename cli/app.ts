/**
 * Runs one `qrng` invocation on a given platform: global flags, dispatch, and the rule that an
 * expected failure prints one line and exits non-zero, never a stack trace.
 */
import type { Command } from "./command.ts";
import { type CommandEntry, COMMANDS } from "./commands/mod.ts";
import { describeError, QrngError } from "./errors.ts";
import type { Platform } from "./platform.ts";
import { printable } from "./printable.ts";
import { VERSION } from "./version.ts";

/** Exit status for usage errors, as most Unix tools use. */
export const EXIT_USAGE = 2;

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  return [
    `qrng ${VERSION}: read, health-test and stream hardware random numbers`,
    "",
    "Usage: qrng <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run 'qrng <command> --help' for a command's options.",
    "",
  ].join("\n");
}

/** `qrng --version [--json]`: build facts loaded only when asked, to keep start-up near zero. */
async function versionText(platform: Platform, flags: readonly string[]): Promise<string> {
  const unknown = flags.find((flag) => flag !== "--json");
  if (unknown !== undefined) throw new QrngError("usage", `--version takes only --json (not '${unknown}')`);
  const { bakedBuildInfo, formatBuildInfo } = await import("./build_info.ts");
  const info = bakedBuildInfo() ??
    (await import("./runtime/source_build_info.ts")).sourceBuildInfo(platform.runtime);
  return flags.length > 0 ? `${JSON.stringify(info, null, 2)}\n` : formatBuildInfo(info);
}

/** Runs `platform.args` and resolves the exit status; never throws. */
export async function runApp(
  platform: Platform,
  entries: readonly CommandEntry[] = COMMANDS,
): Promise<number> {
  const [name, ...rest] = platform.args;
  try {
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      const commands = await Promise.all(entries.map((entry) => entry.load()));
      const topic = name === "help" ? commands.find((c) => c.name === rest[0]) : undefined;
      if (name === "help" && rest[0] !== undefined && !topic) {
        throw new QrngError("usage", `unknown command '${rest[0]}' (see qrng --help)`);
      }
      await platform.stdout.write(new TextEncoder().encode(topic ? topic.help : overview(commands)));
      return 0;
    }
    if (name === "--version" || name === "-V") {
      await platform.stdout.write(new TextEncoder().encode(await versionText(platform, rest)));
      return 0;
    }
    const command = await entries.find((entry) => entry.name === name)?.load();
    if (!command) {
      throw new QrngError("usage", `unknown command '${name}' (see qrng --help)`);
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      await platform.stdout.write(new TextEncoder().encode(command.help));
      return 0;
    }
    return await command.run(rest, platform);
  } catch (error) {
    if (error instanceof QrngError) {
      if (error.kind === "closed") return 0; // `qrng ... | head`: the reader had enough
      // Command-scoped messages already name themselves ("qrng read: ...").
      const line = error.message.startsWith("qrng ") ? error.message : `qrng: ${error.message}`;
      platform.writeStderr(`${printable(line)}\n`); // messages quote device strings
      return error.kind === "usage" ? EXIT_USAGE : 1;
    }
    platform.writeStderr(`qrng: internal error: ${printable(describeError(error))}\n`);
    if (platform.env("QRNG_DEBUG")) platform.writeStderr(`${(error as Error)?.stack ?? ""}\n`);
    return 1;
  }
}
