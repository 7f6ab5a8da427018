/**
 * The release files of `npm run release` (scripts/release.ts), built once into a temporary
 * directory (or taken from QRNG_RELEASE_DIR, which `npm run release -- --check` sets): the
 * executables' formats checked from their headers, the Linux x86-64 one run here, the Linux arm64
 * one run under qemu-user, SHA256SUMS verified by `sha256sum -c`, and the core tarball checked
 * for its contents and rebuilt to show it is reproducible.
 *
 * qemu-user and the arm64 C library come from Debian (`qemu-user`, `libc6-arm64-cross`); this
 * file installs them with apt-get when they are missing and it runs as root, and otherwise skips
 * the arm64 runs, saying why. The musl build needs a musl-built libstdc++, which Debian does not
 * package, so it is checked for its ELF interpreter only.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../cli/version.ts";
import { CORE_TARBALL, release, RELEASE_BINARIES } from "../scripts/release.ts";
import { VECTORS } from "./_support/analysis_vectors.ts";
import { ROOT, runCli, type Runner } from "./_support/cli.ts";
import { readElf, readMachO, readPe } from "./_support/executable_headers.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const QEMU = "/usr/bin/qemu-aarch64";
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
const DATA_SHA1 = VECTORS.find((v) => v.name === "data.sha1")!;
/** A Bun runtime is about 90-120 MB; the CLI bundle adds a few. Much less or more is a broken build. */
const PLAUSIBLE_SIZE_BYTES = { min: 60e6, max: 200e6 };

/** Why the arm64 binary cannot run here, after trying to install qemu-user; undefined when it can. */
function qemuUnavailable(): string | undefined {
  const ready = () => existsSync(QEMU) && existsSync(join(ARM64_SYSROOT, "lib", "ld-linux-aarch64.so.1"));
  if (ready()) return undefined;
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    return "qemu-user and libc6-arm64-cross are not installed and apt-get cannot be run as root here";
  }
  const install = spawnSync(
    "apt-get",
    [
      "install",
      "-y",
      "--no-install-recommends",
      "-o",
      "DPkg::Lock::Timeout=120",
      "qemu-user",
      "libc6-arm64-cross",
    ],
    { encoding: "utf8", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, timeout: 600_000 },
  );
  if (ready()) return undefined;
  const lastLine = `${install.stderr ?? ""}${install.error ?? ""}`.trim().split("\n").pop();
  return `apt-get install qemu-user libc6-arm64-cross failed (${lastLine || `status ${install.status}`})`;
}

const given = process.env.QRNG_RELEASE_DIR;
const dir = given ?? join(testTempDir("qrng-release"), "release");
/** Where the reproducibility test builds the core a second time. */
const again = join(testTempDir("qrng-release-again"), "release");
const qemuMissing = qemuUnavailable();
if (qemuMissing) console.warn(`tests/release.test.ts: skipping the linux-arm64 runs: ${qemuMissing}`);

beforeAll(async () => {
  if (!given) await release(dir);
}, 600_000); // the first build on a machine fetches five Bun runtimes from the npm registry

const path = (file: string) => join(dir, file);
const binary = (file: string, prefix: string[] = []): Runner => ({
  name: "binary",
  command: prefix.length > 0 ? prefix[0] : path(file),
  prefix: prefix.length > 0 ? [...prefix.slice(1), path(file)] : [],
});
const native = binary("qrng-linux-x64");
const arm64 = binary("qrng-linux-arm64", [QEMU, "-L", ARM64_SYSROOT]);

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

it("builds the darwin files as signed Mach-O executables for arm64 and x86-64", () => {
  for (const [file, cpu] of [["qrng-darwin-arm64", 0x0100000c], ["qrng-darwin-x64", 0x01000007]] as const) {
    const macho = readMachO(path(file));
    expect({ file, cpu: macho.cpu, fileType: macho.fileType }).toEqual({ file, cpu, fileType: 2 });
    expect(macho.bytes).toBeGreaterThan(PLAUSIBLE_SIZE_BYTES.min);
    expect(macho.bytes).toBeLessThan(PLAUSIBLE_SIZE_BYTES.max);
    expect(macho.signature, `${file} has no code signature`).toBeDefined();
  }
  // macOS on Apple silicon runs nothing unsigned: the ad-hoc signature must cover the whole file
  // up to itself, the appended CLI included.
  const signature = readMachO(path("qrng-darwin-arm64")).signature!;
  expect(signature).toMatchObject({ adhoc: true, codeLimit: signature.offset });
});

it("builds the windows file as a PE32+ console program for x86-64", () => {
  const pe = readPe(path("qrng-windows-x64.exe"));
  expect({ machine: pe.machine, pe32Plus: pe.pe32Plus, subsystem: pe.subsystem }).toEqual({
    machine: 0x8664,
    pe32Plus: true,
    subsystem: 3,
  });
  expect(pe.bytes).toBeGreaterThan(PLAUSIBLE_SIZE_BYTES.min);
  expect(pe.bytes).toBeLessThan(PLAUSIBLE_SIZE_BYTES.max);
});

it("builds the linux files for their machines and C libraries", () => {
  expect(readElf(path("qrng-linux-x64"))).toEqual({
    machine: 0x3e,
    interpreter: "/lib64/ld-linux-x86-64.so.2",
  });
  expect(readElf(path("qrng-linux-x64-musl"))).toEqual({
    machine: 0x3e,
    interpreter: "/lib/ld-musl-x86_64.so.1",
  });
  expect(readElf(path("qrng-linux-arm64"))).toEqual({
    machine: 0xb7,
    interpreter: "/lib/ld-linux-aarch64.so.1",
  });
  for (const file of Object.keys(RELEASE_BINARIES)) {
    expect(statSync(path(file)).size, file).toBeGreaterThan(PLAUSIBLE_SIZE_BYTES.min);
  }
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
  await release(again, ["qrng-core"]);
  expect(readFileSync(join(again, CORE_TARBALL)).equals(readFileSync(path(CORE_TARBALL)))).toBe(true);
}, 120_000);

/** Runs the checks a release binary must pass wherever it runs; `runner` starts it. */
function runsItsCommands(runner: Runner, target: string): void {
  it("prints its version with its target and the core hash of the other release files", async () => {
    const result = await runCli(runner, ["--version", "--json"]);
    expect(result.status).toBe(0);
    const info = JSON.parse(result.stdout.toString());
    expect(info).toMatchObject({ version: VERSION, target });
    const wasmDigest = execFileSync("sh", ["-c", "cat wasm/*.wasm | sha256sum"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(info.core.sha256).toBe(wasmDigest.split(" ")[0]);
  });

  it("tests data.sha1 with ent's and rngtest's known answers", async () => {
    const terse = await runCli(runner, ["test", join(ROOT, "tests", "fixtures", "data.sha1"), "--ent-terse"]);
    expect(terse.stdout.toString().split("\n")[1]).toBe(DATA_SHA1.entBytes);
    expect(terse.stdout.toString().split("\n")[3]).toBe(DATA_SHA1.entBits);
    const json = await runCli(runner, ["test", join(ROOT, "tests", "fixtures", "data.sha1"), "--json"]);
    const fips = JSON.parse(json.stdout.toString()).fips;
    expect([fips.blocks, fips.failed, fips.block0.ones]).toEqual([
      DATA_SHA1.fips.blocks,
      DATA_SHA1.fips.failed,
      DATA_SHA1.fips.ones,
    ]);
  });

  it("reads from the emulated QCicada the stream the x86-64 build reads", async () => {
    const args = ["read", "64", "--device", "sim:qcicada?seed=2", "--format", "hex"];
    const [here, reference] = [await runCli(runner, args), await runCli(native, args)];
    expect(here.status).toBe(0);
    expect(here.stdout.toString()).toMatch(/^([0-9a-f]{64}\n){2}$/);
    expect(here.stdout.toString()).toBe(reference.stdout.toString());
  });
}

describe("the linux-x64 binary", () => runsItsCommands(native, "bun-linux-x64"));

describe.skipIf(qemuMissing !== undefined)(
  `the linux-arm64 binary under qemu-user${qemuMissing ? ` (skipped: ${qemuMissing})` : ""}`,
  () => runsItsCommands(arm64, "bun-linux-arm64"),
);
