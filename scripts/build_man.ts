/**
 * Writes docs/qrng.1, the man page, from the commands' `--help` (cli/man_page.ts).
 *
 *   bun scripts/build_man.ts           write it
 *   bun scripts/build_man.ts --check   exit 1 when the committed page differs from a fresh one
 *
 * Read it with `man ./docs/qrng.1`.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { COMMANDS } from "../cli/commands/mod.ts";
import { SOURCE_DRIVERS } from "../cli/sources/registry.ts";
import { manPage } from "../cli/man_page.ts";
import { VERSION } from "../cli/version.ts";

/** Where the committed man page lives. */
export const MAN_PAGE = join(fileURLToPath(new URL("..", import.meta.url)), "docs", "qrng.1");

/** The man page the current commands give. */
export async function freshManPage(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((entry) => entry.load()));
  return manPage({ version: VERSION, commands, devices: SOURCE_DRIVERS });
}

if (import.meta.main) {
  const page = await freshManPage();
  if (process.argv.includes("--check")) {
    if (!existsSync(MAN_PAGE) || readFileSync(MAN_PAGE, "utf8") !== page) {
      console.error("docs/qrng.1 is out of date: run bun scripts/build_man.ts and commit it");
      process.exit(1);
    }
  } else {
    writeFileSync(MAN_PAGE, page);
  }
}
