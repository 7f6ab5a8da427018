import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitCommit } from "../cli/runtime/source_build_info.ts";
import { VERSION } from "../cli/version.ts";
import { binaryBuilt, ROOT, runCli, RUNNERS } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";

/** The core's modules, in name order. */
const WASM_FILES = readdirSync(join(ROOT, "wasm")).filter((n) => n.endsWith(".wasm")).sort();

/** `cat wasm/*.wasm | sha256sum`, as the README tells a user to check the core. */
function wasmFilesSha256(): string {
  const hash = createHash("sha256");
  for (const name of WASM_FILES) {
    hash.update(readFileSync(join(ROOT, "wasm", name)));
  }
  return hash.digest("hex");
}

const HEAD = execFileSync("git", ["-C", ROOT, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(`qrng --version under ${runner.name}`, () => {
    // The binary is checked against its own build's target; sources name the runtime running them.
    const target = runner.name === "binary"
      ? `bun-${process.platform}-${process.arch}`
      : `${runner.name}-${process.platform}-${process.arch} (sources)`;

    it("prints the version, commit, target and the hash of the WASM core", async () => {
      const result = await runCli(runner, ["--version"]);
      expect(result.status).toBe(0);
      const lines = result.stdout.toString().split("\n");
      expect(lines[0]).toBe(`qrng ${VERSION}`);
      expect(lines[1]).toMatch(/^commit: [0-9a-f]{40}(-dirty)?$/);
      expect(lines[2]).toBe(`target: ${target}`);
      expect(lines[3]).toBe(`core:   sha256 ${wasmFilesSha256()} (${WASM_FILES.join(", ")})`);
      expect(lines.slice(4)).toEqual([""]);
      // A binary may have been built at an earlier commit; sources are the checkout itself.
      if (runner.name !== "binary") expect(lines[1]).toContain(HEAD);
    });

    it("prints the same facts as JSON with --json, each module's hash too", async () => {
      const result = await runCli(runner, ["--version", "--json"]);
      expect(result.status).toBe(0);
      const info = JSON.parse(result.stdout.toString());
      expect(Object.keys(info)).toEqual(["version", "commit", "target", "core"]);
      expect(info).toMatchObject({ version: VERSION, target, core: { sha256: wasmFilesSha256() } });
      for (const [name, sha256] of Object.entries(info.core.modules)) {
        expect(sha256).toBe(
          createHash("sha256").update(readFileSync(join(ROOT, "wasm", name))).digest("hex"),
        );
      }
    });

    it("rejects anything but --json after --version with one line and status 2", async () => {
      const result = await runCli(runner, ["--version", "--long"]);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe("qrng: --version takes only --json (not '--long')\n");
    });
  });
}

// Made at the top level: an afterAll registered inside a running test never runs.
const notACheckout = testTempDir("qrng-version");

it("sources outside a git checkout report the commit as unknown", () => {
  expect(gitCommit(notACheckout)).toBe("unknown");
});
