/**
 * The library as its users get it (docs/library.md): a project that depends on qrng imports
 * `open` from "qrng" (package.json "exports", dist/lib/ from scripts/build_library.ts) under
 * Node, Deno and Bun, and Deno also from the sources (deno.json "exports"). Every ```js block of
 * docs/library.md's Library section runs in each, against the in-process emulators, and prints
 * exactly the ```text block after it; a TypeScript consumer type-checks against the declarations.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const execFileAsync = promisify(execFile);

const BIN = join(ROOT, "node_modules", ".bin");
const BUNDLE = join(ROOT, "dist", "lib", "qrng.js");
/** Generous: the machine is shared, and each example starts an emulator and a runtime. */
const EXAMPLE_TIMEOUT_MS = 120_000;

/** A project that depends on qrng, as `npm install <path to qrng>` would lay it out. */
const consumer = testTempDir("qrng-library");

/** docs/library.md up to "For embedders": each ```js block with the ```text block that follows it. */
function documentedExamples(): { code: string; output: string }[] {
  const page = readFileSync(join(ROOT, "docs", "library.md"), "utf8");
  const section = page.slice(0, page.indexOf("\n## "));
  return [...section.matchAll(/```js\n(.*?)```\n+```text\n(.*?)```/gs)].map(([, code, output]) => ({
    code,
    output,
  }));
}

const EXAMPLES = documentedExamples();

/**
 * A Deno project beside it that takes "qrng" from the sources, where deno.json "exports" points
 * (Deno's own way in), with qrng's npm dependencies installed.
 */
const denoConsumer = join(consumer, "deno");

function writeDenoConsumer(): void {
  const exported = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports as string;
  mkdirSync(denoConsumer);
  symlinkSync(join(ROOT, "node_modules"), join(denoConsumer, "node_modules"), "dir");
  writeFileSync(
    join(denoConsumer, "deno.json"),
    JSON.stringify({
      imports: { qrng: new URL(exported, `file://${ROOT}/`).href },
      nodeModulesDir: "manual",
    }),
  );
}

const RUNTIMES: readonly { name: string; command: string; args: readonly string[]; cwd: string }[] = [
  { name: "node", command: process.execPath, args: [], cwd: consumer },
  { name: "deno", command: join(BIN, "deno"), args: ["run", "--allow-all", "--quiet"], cwd: consumer },
  {
    name: "deno from the sources (deno.json exports)",
    command: join(BIN, "deno"),
    args: ["run", "--allow-all", "--quiet"],
    cwd: denoConsumer,
  },
  { name: "bun", command: join(BIN, "bun"), args: [], cwd: consumer },
];

/** Runs a program in the consumer; a failure's error carries its output. */
async function run(command: string, args: readonly string[], cwd = consumer): Promise<string> {
  try {
    return (await execFileAsync(command, args, { cwd, timeout: EXAMPLE_TIMEOUT_MS })).stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout ?? ""}${stderr ?? ""}`);
  }
}

beforeAll(async () => {
  // `npm test` builds first; a lone `vitest run` of this file builds what it needs.
  if (!existsSync(BUNDLE)) await run(join(BIN, "bun"), [join(ROOT, "scripts", "build_library.ts")]);
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ type: "module", dependencies: { qrng: "*" } }),
  );
  mkdirSync(join(consumer, "node_modules"));
  symlinkSync(ROOT, join(consumer, "node_modules", "qrng"), "dir");
  writeDenoConsumer();
  for (const dir of [consumer, denoConsumer]) {
    EXAMPLES.forEach(({ code }, i) => writeFileSync(join(dir, `example${i}.mjs`), code));
  }
}, EXAMPLE_TIMEOUT_MS);

describe("docs/library.md's Library section", () => {
  it("has examples, each followed by what it prints", () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(4);
  });
});

describe.each(RUNTIMES)("the library under $name", ({ command, args, cwd }) => {
  it.each(EXAMPLES.map((example, index) => ({ ...example, index })))(
    "runs documented example $index and prints what docs/library.md shows",
    async ({ index, output }) => {
      expect(await run(command, [...args, `example${index}.mjs`], cwd)).toBe(output);
    },
    EXAMPLE_TIMEOUT_MS,
  );
});

describe("the library's declarations", () => {
  it(
    "type-check a TypeScript consumer that narrows on family (tsc as Node resolves packages, deno check of the sources)",
    async () => {
      const code = [
        'import { type CmdCtrlQrng, open, type Qrng, QrngError, type QrngErrorKind, type Status } from "qrng";',
        "export async function statusOf(uri: string): Promise<Status | QrngErrorKind> {",
        "  const qrng: Qrng = await open(uri, { h: 7.5, signal: AbortSignal.timeout(1000) });",
        "  try {",
        "    const bytes: Uint8Array = await qrng.read(32);",
        "    const stream: ReadableStream<Uint8Array> = qrng.readable;",
        "    if (qrng.family === 'cmdctrl') return await (qrng satisfies CmdCtrlQrng).status();",
        "    if (qrng.family === 'xr232') return (await qrng.ident()).kind === 'xr232usb' ? 'device' : 'input';",
        "    return bytes.length > 0 && stream.locked ? 'usage' : 'timeout';",
        "  } catch (error) {",
        "    if (error instanceof QrngError) return error.kind;",
        "    throw error;",
        "  } finally {",
        "    await qrng.close();",
        "  }",
        "}",
        "",
      ].join("\n");
      writeFileSync(join(consumer, "consumer.ts"), code);
      writeFileSync(join(denoConsumer, "consumer.ts"), code);
      const tsc = ["--noEmit", "--strict", "--target", "esnext", "--lib", "esnext,dom"];
      await run(join(BIN, "tsc"), [
        ...tsc,
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "consumer.ts",
      ]);
      await run(join(BIN, "deno"), ["check", "--quiet", "consumer.ts"], denoConsumer);
    },
    EXAMPLE_TIMEOUT_MS,
  );
});
