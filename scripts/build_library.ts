/**
 * Builds the library, the package's main export (`import { open } from "qrng"`, cli/mod.ts):
 *
 *   dist/lib/qrng.js          cli/mod.ts bundled for Node, Deno and Bun (ES modules; the
 *   dist/lib/qrng-*.js        runtime-specific parts, e.g. Bun's FFI, stay separate chunks that
 *                             load only where they run)
 *   dist/lib/types/**.d.ts    its declarations, with their doc comments; cli/mod.d.ts is the entry
 *
 * Deno can also import cli/mod.ts itself (deno.json "exports"). `npm run build` runs
 * `bun scripts/build_library.ts`; offline, a few seconds.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { freshDir, ROOT, runBin as run, withDeclarations } from "./build_tools.ts";

const ENTRY = join(ROOT, "cli", "mod.ts");
const OUT_DIR = join(ROOT, "dist", "lib");
const TYPES_DIR = join(OUT_DIR, "types");

function bundle(): void {
  run("bun", [
    ...["build", ENTRY, "--target", "node", "--format", "esm", "--splitting", "--outdir", OUT_DIR],
    ...["--entry-naming", "qrng.[ext]", "--chunk-naming", "qrng-[hash].[ext]", "--external", "bun:ffi"],
  ], "bundle cli/mod.ts");
}

/** Relative module specifiers in a declaration file: `from "./x.ts"` and `import("./x.ts")`. */
const SPECIFIER = /(\bfrom\s+|\bimport\(\s*)"(\.{1,2}\/[^"]+)\.ts"/g;

/**
 * The declarations the entry's reach, and nothing else (the compiler emits one per module of the
 * program, the CLI's too). Their `.ts` specifiers become `.js`, which TypeScript maps to `.d.ts`.
 */
function declarations(): void {
  // Not type-checked here (`deno check` does that): the runtime dialects under cli/runtime/ name
  // Deno's and Bun's own types, which no single compiler setting has.
  withDeclarations(ENTRY, ["--noCheck", "--rootDir", ROOT], (emitted) => {
    const pending = [join(emitted, "cli", "mod.d.ts")];
    const done = new Set<string>();
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (done.has(file)) continue;
      done.add(file);
      const text = readFileSync(file, "utf8").replace(SPECIFIER, (_, lead: string, path: string) => {
        pending.push(resolve(dirname(file), `${path}.d.ts`));
        return `${lead}"${path}.js"`;
      });
      const target = join(TYPES_DIR, relative(emitted, file));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
    }
  });
}

freshDir(OUT_DIR);
bundle();
declarations();
