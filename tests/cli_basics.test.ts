import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VERSION } from "../cli/version.ts";
import { binaryBuilt, ROOT, RUNNERS, runCli } from "./_support/cli.ts";

it("every lazily loaded command answers to the name it is listed under", async () => {
  const { COMMANDS } = await import("../cli/commands/mod.ts");
  for (const entry of COMMANDS) expect((await entry.load()).name).toBe(entry.name);
});

it("VERSION matches package.json", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  expect(VERSION).toBe(pkg.version);
});

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(`qrng under ${runner.name}`, () => {
    it("prints its version", async () => {
      const result = await runCli(runner, ["--version"]);
      expect(result.status).toBe(0);
      expect(result.stdout.toString()).toBe(`qrng ${VERSION}\n`);
    });

    it("lists its commands in --help", async () => {
      const result = await runCli(runner, ["--help"]);
      expect(result.status).toBe(0);
      expect(result.stdout.toString()).toContain("Usage: qrng <command>");
    });

    it("rejects an unknown command with one line and status 2", async () => {
      const result = await runCli(runner, ["frobnicate"]);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe("qrng: unknown command 'frobnicate' (see qrng --help)\n");
    });
  });
}

it("runs unbuilt through `deno task qrng`, as the README says", async () => {
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(join(ROOT, "node_modules", ".bin", "deno"), ["task", "--quiet", "qrng", "--version"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  expect(out).toBe(`qrng ${VERSION}\n`);
});
