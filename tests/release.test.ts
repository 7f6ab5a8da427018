/**
 * The release files of `npm run release` (scripts/release.ts), built once into a temporary
 * directory (or taken from QRNG_RELEASE_DIR, which `npm run release -- --check` sets):
 * SHA256SUMS verified by `sha256sum -c`, and the core tarball checked for its contents and
 * rebuilt to show it is reproducible.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { VERSION } from "../cli/version.ts";
import { CORE_TARBALL, release, RELEASE_BINARIES } from "../scripts/release.ts";
import { ROOT } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const given = process.env.QRNG_RELEASE_DIR;
const dir = given ?? join(testTempDir("qrng-release"), "release");

beforeAll(async () => {
  if (!given) await release(dir);
}, 600_000); // the first build on a machine fetches five Bun runtimes from the npm registry

const path = (file: string) => join(dir, file);

it("writes every release file, and SHA256SUMS that sha256sum -c verifies", () => {
  expect(readdirSync(dir).sort()).toEqual(
    [...Object.keys(RELEASE_BINARIES), CORE_TARBALL, "SHA256SUMS"].sort(),
  );
  const listed = readFileSync(path("SHA256SUMS"), "utf8").trimEnd().split("\n").map((line) =>
    line.split("  ")[1]
  );
  expect(listed).toEqual([...Object.keys(RELEASE_BINARIES), CORE_TARBALL].sort());
  const check = spawnSync("sha256sum", ["--check", "--strict", "SHA256SUMS"], { cwd: dir, encoding: "utf8" });
  expect(check.stderr).toBe("");
  expect(check.status).toBe(0);
});

it("packs the core with its ESM bundle, types, WASM modules and README, reproducibly", async () => {
  const listing = execFileSync("tar", ["-tzvf", path(CORE_TARBALL)], { encoding: "utf8" }).trimEnd().split(
    "\n",
  );
  const names = listing.map((line) => line.split(/\s+/).pop()).sort();
  const wasm = readdirSync(join(ROOT, "wasm")).filter((name) => name.endsWith(".wasm")).map((n) =>
    `package/wasm/${n}`
  );
  expect(names).toEqual(
    ["package/README.md", "package/package.json", "package/qrng-core.d.ts", "package/qrng-core.js", ...wasm]
      .sort(),
  );
  const manifest = JSON.parse(
    execFileSync("tar", ["-xzOf", path(CORE_TARBALL), "package/package.json"], { encoding: "utf8" }),
  );
  expect(manifest).toMatchObject({ name: "qrng-core", version: VERSION, type: "module" });
  // A second build of the JavaScript parts gives the same bytes.
  const again = join(testTempDir("qrng-release-again"), "release");
  await release(again, ["qrng-core"]);
  expect(readFileSync(join(again, CORE_TARBALL)).equals(readFileSync(path(CORE_TARBALL)))).toBe(true);
}, 120_000);
