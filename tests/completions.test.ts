/**
 * `qrng completions` and the man page: bash's completion function run in a real bash with the
 * variables bash sets for it (COMP_LINE, COMP_POINT, COMP_WORDS broken at ':' as bash breaks
 * them, COMP_CWORD), and docs/qrng.1 compared with a fresh generation so it cannot drift.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { COMMANDS } from "../cli/commands/mod.ts";
import { freshManPage, MAN_PAGE } from "../scripts/build_man.ts";
import { runCli, RUNNERS } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const bun = RUNNERS.find((runner) => runner.name === "bun")!;
const script = join(testTempDir("qrng-completions"), "qrng.bash");

beforeAll(async () => {
  const result = await runCli(bun, ["completions", "bash"]);
  expect(result.status).toBe(0);
  writeFileSync(script, result.stdout);
});

/** What `_qrng` offers for the command line `line` with the cursor at its end. */
function complete(line: string): string[] {
  // Bash's own split: at blanks, and ':' is a word of its own (COMP_WORDBREAKS).
  const words = line.split(/\s+/).flatMap((word) => word.split(/(:)/)).filter((w, i, all) =>
    w !== "" || i === all.length - 1
  );
  const program = `source "$1"; COMP_LINE="$2"; COMP_POINT=\${#COMP_LINE}; COMP_WORDS=("\${@:3}");
    COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _qrng; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync("bash", ["-c", program, "bash", script, line, ...words], { encoding: "utf8" });
  return out.split("\n").filter((candidate) => candidate !== "").sort();
}

it("completes command names after qrng", () => {
  expect(complete("qrng re")).toEqual(["read", "reboot", "reset"]);
  expect(complete("qrng ")).toEqual([...COMMANDS.map((c) => c.name), "--help", "--version"].sort());
});

it("completes each command's flags from its --help", () => {
  expect(complete("qrng read --f")).toEqual(["--format"]);
  expect(complete("qrng read -")).toEqual(
    expect.arrayContaining(["-o", "--output", "--device", "--signed", "--help"]),
  );
  expect(complete("qrng test --ent")).toEqual(["--ent", "--ent-terse"]);
  expect(complete("qrng pyqcc -")).toEqual(expect.arrayContaining(["-i", "-d", "-s", "-R", "--hash-test"]));
  expect(complete("qrng list --")).toEqual(["--help", "--json"]);
});

it("completes device URI schemes and emulators after --device, across bash's ':' word break", () => {
  expect(complete("qrng read --device ")).toEqual(
    [
      "nats://",
      "qrng+tcp://",
      "serial:",
      "sim:qcicada",
      "sim:xr232",
      "sim:xr232usb",
      "tcp://",
      "tcpudp://",
      "tls://",
      "udp://",
      "unix:",
      "xr232:",
    ],
  );
  expect(complete("qrng read --device tc")).toEqual(["tcp://", "tcpudp://"]);
  // bash replaces only the word after the ':', so the candidates are what follows it.
  expect(complete("qrng info --device sim:x")).toEqual(["xr232", "xr232usb"]);
});

it("prints zsh and fish scripts, and names the shells when given none", async () => {
  const zsh = await runCli(bun, ["completions", "zsh"]);
  expect(zsh.stdout.toString()).toMatch(
    /^#compdef qrng\n[^]*bashcompinit[^]*complete -o filenames -F _qrng qrng\n$/,
  );
  const fish = (await runCli(bun, ["completions", "fish"])).stdout.toString();
  expect(fish).toContain("complete -c qrng -n '__fish_seen_subcommand_from read' -l format\n");
  expect(fish).toContain(
    "complete -c qrng -l device -x -a 'serial: tcp:// udp:// tcpudp:// xr232: unix: qrng+tcp:// nats:// tls:// sim:qcicada",
  );
  const none = await runCli(bun, ["completions"]);
  expect([none.status, none.stderr]).toEqual([2, "qrng completions: name a shell: bash, zsh, fish\n"]);
});

it("keeps docs/qrng.1 equal to the page the commands' --help gives (bun scripts/build_man.ts)", async () => {
  const page = await freshManPage();
  for (const entry of COMMANDS) expect(page).toContain(`\n.SS ${entry.name.replace(/-/g, "\\-")}\n`);
  expect(readFileSync(MAN_PAGE, "utf8"), "docs/qrng.1 is out of date: run bun scripts/build_man.ts").toBe(
    page,
  );
});
