/**
 * Writes a release to dist/release/: the CLI compiled for every platform Bun targets, the
 * embeddable WASM core as an npm tarball, and SHA256SUMS over them.
 *
 *   bun scripts/release.ts            (npm run release) everything into dist/release/
 *   bun scripts/release.ts --check    then checks it: `sha256sum -c SHA256SUMS` and
 *                                     tests/release.test.ts against every file
 *   bun scripts/release.ts --out DIR --only qrng-linux-arm64,qrng-core
 *                                     a subset (tests build only what they check)
 *
 * Reproducible: the core tarball (a fixed file order and mtime from `npm pack`, gzip without a
 * timestamp) and its line in SHA256SUMS are byte-identical across runs of one commit. The
 * executables are Bun's runtime for the target with the bundled CLI and its bytecode appended;
 * they are identical across runs with the same Bun version too, but they are Bun's output, which
 * it does not promise to keep reproducible, so only the JavaScript parts are checked as such.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { VERSION } from "../cli/version.ts";
import { digestCore, readCoreModules } from "../cli/runtime/source_build_info.ts";
import { buildBinary } from "./build_binary.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const run = promisify(execFile);

/** Each release executable and the `bun build --target` it is compiled for. */
export const RELEASE_BINARIES: Readonly<Record<string, string>> = {
  "qrng-linux-x64": "bun-linux-x64",
  "qrng-linux-arm64": "bun-linux-arm64",
  "qrng-linux-x64-musl": "bun-linux-x64-musl",
  "qrng-darwin-x64": "bun-darwin-x64",
  "qrng-darwin-arm64": "bun-darwin-arm64",
  "qrng-windows-x64.exe": "bun-windows-x64",
};

/** The embeddable core's tarball; `--only` names it "qrng-core". */
export const CORE_TARBALL = `qrng-core-${VERSION}.tgz`;

/** Two compiles at a time: each is one busy core, and the machine building may have two. */
const PARALLEL_BUILDS = 2;

/** Runs `tasks` with at most `limit` running at once. */
async function inPool(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  const queue = [...tasks];
  const worker = async () => {
    for (let task = queue.shift(); task; task = queue.shift()) await task();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

function coreReadme(): string {
  const core = digestCore(readCoreModules(join(ROOT, "wasm")));
  return `# qrng-core ${VERSION}

The WebAssembly core of qrng (qrng's docs/library.md: "For embedders"): SP 800-90B health tests, FIPS
140-2, ent statistics and the device codecs, as one ES module with
the WASM embedded (\`qrng-core.js\`, no imports, no top-level await: Node, Deno, Bun, browsers)
and its types (\`qrng-core.d.ts\`).

    npm install ./${CORE_TARBALL}
    import { Analyzer, HealthGate } from "qrng-core";

\`wasm/\` holds the same modules as plain \`.wasm\` files, for checking: \`cat wasm/*.wasm |
sha256sum\` gives ${core.sha256},
the core hash \`qrng --version\` prints for this release.
`;
}

/** Builds the core bundle and packs it with the .wasm files and a README as `qrng-core-VERSION.tgz`. */
async function packCore(outDir: string): Promise<void> {
  const stage = mkdtempSync(join(tmpdir(), "qrng-core-pack-"));
  try {
    // Bundled into the staging directory, not dist/core/, which tests may be reading meanwhile.
    await run(join(BIN, "bun"), [join(ROOT, "scripts", "build_core_bundle.ts"), stage], { cwd: ROOT });
    mkdirSync(join(stage, "wasm"));
    for (const { name, bytes } of readCoreModules(join(ROOT, "wasm"))) {
      writeFileSync(join(stage, "wasm", name), bytes);
    }
    writeFileSync(join(stage, "README.md"), coreReadme());
    const manifest = {
      name: "qrng-core",
      version: VERSION,
      description: "The WebAssembly core of qrng: health tests and statistics for hardware random numbers",
      license: "MIT",
      type: "module",
      exports: { ".": { types: "./qrng-core.d.ts", default: "./qrng-core.js" }, "./wasm/*": "./wasm/*" },
      files: ["qrng-core.js", "qrng-core.d.ts", "wasm/"],
    };
    writeFileSync(join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    // npm pack writes every entry with one fixed mtime, in a fixed order, and a gzip without a date.
    await run("npm", ["pack", "--silent", "--pack-destination", outDir], { cwd: stage });
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Writes SHA256SUMS for every other file in `outDir`, by name, in `sha256sum`'s format. */
function writeSums(outDir: string): void {
  const lines = readdirSync(outDir).filter((name) => name !== "SHA256SUMS").sort().map((name) =>
    `${createHash("sha256").update(readFileSync(join(outDir, name))).digest("hex")}  ${name}\n`
  );
  writeFileSync(join(outDir, "SHA256SUMS"), lines.join(""));
}

/** Writes the release files named in `only` (all by default) into a fresh `outDir`. */
export async function release(outDir: string, only?: readonly string[]): Promise<void> {
  const wanted = (name: string) => !only || only.includes(name);
  const unknown = only?.filter((name) => name !== "qrng-core" && !(name in RELEASE_BINARIES)) ?? [];
  if (unknown.length > 0) throw new Error(`Cannot release '${unknown.join(", ")}': no such release file`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const tasks = Object.entries(RELEASE_BINARIES).filter(([file]) => wanted(file))
    .map(([file, target]) => () => buildBinary(target, join(outDir, file)));
  if (wanted("qrng-core")) tasks.push(() => packCore(outDir));
  await inPool(tasks, PARALLEL_BUILDS);
  writeSums(outDir);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const valueOf = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const outDir = valueOf("--out") ?? join(ROOT, "dist", "release");
  await release(outDir, valueOf("--only")?.split(","));
  console.log(readFileSync(join(outDir, "SHA256SUMS"), "utf8").trimEnd());
  if (args.includes("--check")) {
    await run("sha256sum", ["--check", "--quiet", "SHA256SUMS"], { cwd: outDir });
    const tests = await run(join(BIN, "vitest"), ["run", "tests/release.test.ts"], {
      cwd: ROOT,
      env: { ...process.env, QRNG_RELEASE_DIR: outDir },
    }).catch((error: { stdout?: string; stderr?: string }) => {
      console.error(`${error.stdout ?? ""}${error.stderr ?? ""}release check failed`);
      process.exit(1);
    });
    console.log(`${tests.stdout.trimEnd()}\nSHA256SUMS verified; every file checked`);
  }
}
