/**
 * The WASM core as the package `qrng/core` (dist/core/, written by `npm run build`): an
 * installed copy of qrng in a scratch project is imported by plain Node, Deno and Bun running
 * docs/embed_example.js (docs/library.md's example), the same example runs in headless Chromium
 * when it is installed, and a TypeScript consumer is checked against the declarations.
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assessNonIid } from "../wasm/assess.ts";
import { VECTORS } from "./_support/analysis_vectors.ts";
import { ROOT } from "./_support/cli.ts";
import { loadSamples } from "./_support/sp800_90b.ts";

const execFileAsync = promisify(execFile);

const BIN = join(ROOT, "node_modules", ".bin");
const BUNDLE = join(ROOT, "dist", "core", "qrng-core.js");
const EXAMPLE = join(ROOT, "docs", "embed_example.js");
const CHECK = join(ROOT, "tests", "_support", "embed_check.js");
const FIXTURE = join(ROOT, "tests", "fixtures", "data.sha1");
const DATA_SHA1 = VECTORS.find((v) => v.name === "data.sha1")!;
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
/** A strict check of the consumer and the example (checkJs) as Node resolves packages. */
const TSC_FLAGS = [
  ...["--noEmit", "--strict", "--allowJs", "--checkJs", "--target", "esnext", "--lib", "esnext,dom"],
  ...["--module", "nodenext", "--moduleResolution", "nodenext"],
];

/** Runs a program; a failure's error carries its output (tsc reports on stdout). */
async function run(command: string, args: readonly string[], cwd = ROOT): Promise<string> {
  try {
    return (await execFileAsync(command, args, { cwd })).stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout ?? ""}${stderr ?? ""}`);
  }
}

/** What tests/_support/embed_check.js finds. */
interface Findings {
  summary: { entropy: number; chiSquare: number; fipsBlocks: number; fipsFailed: number };
  stuck: { released: number; failure: string | null };
}

const RUNTIMES: readonly { name: string; command: string; args: readonly string[] }[] = [
  { name: "node", command: process.execPath, args: [] },
  { name: "deno", command: join(BIN, "deno"), args: ["run", "--allow-read", "--quiet"] },
  { name: "bun", command: join(BIN, "bun"), args: [] },
];

/** A project that depends on qrng, as `npm install <path to qrng>` would lay it out. */
let consumer: string;

beforeAll(async () => {
  // `npm test` builds first; a lone `vitest run` of this file builds what it needs.
  if (!existsSync(BUNDLE)) await run(join(BIN, "bun"), [join(ROOT, "scripts", "build_core_bundle.ts")]);
  consumer = mkdtempSync(join(tmpdir(), "qrng-core-"));
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ type: "module", dependencies: { qrng: "*" } }),
  );
  mkdirSync(join(consumer, "node_modules"));
  symlinkSync(ROOT, join(consumer, "node_modules", "qrng"), "dir");
  cpSync(EXAMPLE, join(consumer, "embed_example.js"));
});

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

/** The known answers of data.sha1 (ent, rngtest) and a stuck source failing closed. */
function expectKnownAnswers({ summary, stuck }: Findings): void {
  const [, , entropy, chiSquare] = DATA_SHA1.entBytes.split(",");
  expect(summary.entropy.toFixed(6)).toBe(entropy);
  expect(summary.chiSquare.toFixed(6)).toBe(chiSquare);
  expect(summary).toMatchObject({ fipsBlocks: DATA_SHA1.fips.blocks, fipsFailed: DATA_SHA1.fips.failed });
  expect(stuck.released).toBe(0);
  expect(stuck.failure).toMatch(/^source failed: \d+ of \d+ windows$/);
}

describe.each(RUNTIMES)("qrng/core under $name", ({ command, args }) => {
  it("reproduces ent's and rngtest's answers for data.sha1 and fails a stuck source closed", async () => {
    const runner = join(ROOT, "tests", "_support", "embed_run.js");
    const example = join(consumer, "embed_example.js");
    expectKnownAnswers(JSON.parse(await run(command, [...args, runner, example, FIXTURE], consumer)));
  });
});

/** A web page that loads the example with an import map, as a site would, and prints its findings. */
const PAGE = `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": { "qrng/core": "/qrng-core.js" } }</script>
<script type="module">
import { checkExample } from "/embed_check.js";
import * as example from "/embed_example.js";
const fixture = new Uint8Array(await (await fetch("/data.sha1")).arrayBuffer());
document.body.textContent = JSON.stringify(checkExample(example, fixture));
</script>`;

/** Serves the page and its files on a loopback port. */
function servePage(): Promise<Server> {
  const files: Record<string, string> = {
    "/qrng-core.js": BUNDLE,
    "/embed_example.js": EXAMPLE,
    "/embed_check.js": CHECK,
    "/data.sha1": FIXTURE,
  };
  const server = createServer((request, response) => {
    const file = files[request.url ?? ""];
    if (request.url === "/") response.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    else if (file) {
      const type = file.endsWith(".js") ? "text/javascript" : "application/octet-stream";
      response.writeHead(200, { "content-type": type }).end(readFileSync(file));
    } else response.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// Chromium comes from Debian (apt-get install chromium); without it the browser check is skipped.
describe.skipIf(!CHROMIUM)("qrng/core in Chromium (main thread, headless)", () => {
  it("reproduces ent's and rngtest's answers for data.sha1 and fails a stuck source closed", async () => {
    const server = await servePage();
    try {
      const { port } = server.address() as AddressInfo;
      const dom = await run(CHROMIUM!, [
        ...["--headless", "--no-sandbox", "--disable-gpu", `--user-data-dir=${join(consumer, "chromium")}`],
        ...["--virtual-time-budget=10000", "--dump-dom", `http://127.0.0.1:${port}/`],
      ]);
      expectKnownAnswers(JSON.parse(/<body>(.*)<\/body>/s.exec(dom)?.[1] ?? "null"));
    } finally {
      server.close();
    }
  });
});

describe("the qrng/core bundle", () => {
  it("is one browser-safe module: no imports, no node: modules, no require, no await", () => {
    const code = readFileSync(BUNDLE, "utf8");
    expect(code).not.toMatch(/\bimport\b|node:|\brequire\(|\bawait\b/);
  });

  it("assesses entropy (SP 800-90B, non-IID) exactly as the source modules do: NIST's rand8_short", async () => {
    const core = await import(BUNDLE);
    const samples = loadSamples("rand8_short");
    const fromBundle = core.assessNonIid(samples, { bitsPerSymbol: 8 });
    expect(fromBundle).toEqual(assessNonIid(samples, { bitsPerSymbol: 8 }));
    expect(fromBundle.estimates.length).toBeGreaterThanOrEqual(10);
  });

  it("has declarations that name exactly its exports and type-check a consumer (tsc, deno check)", async () => {
    const exported = Object.keys(await import(BUNDLE)).sort();
    expect(exported).toContain("HealthGate");
    // An object literal of type Record<keyof typeof core, true> must list every declared value
    // export and nothing else, so the declarations and the bundle agree both ways.
    writeFileSync(
      join(consumer, "consumer.ts"),
      [
        'import * as core from "qrng/core";',
        'import type { AnalysisResults, HealthGateStats } from "qrng/core";',
        `export const allExports: Record<keyof typeof core, true> = { ${
          exported.map((n) => `${n}: true`).join(", ")
        } };`,
        "const results: AnalysisResults = new core.Analyzer({ health: false }).results();",
        'const stats: HealthGateStats = new core.HealthGate({ h: 7.5, alphaLog2: -30, symbols: "bytes" }).stats();',
        "export const blocks: number | undefined = results.fips?.blocks, failed: number = stats.windowsFailed;",
        "",
      ].join("\n"),
    );
    await run(join(BIN, "tsc"), [...TSC_FLAGS, "consumer.ts", "embed_example.js"], consumer);
    await run(join(BIN, "deno"), ["check", "--quiet", "consumer.ts"], consumer);
  });
});

describe("docs/library.md", () => {
  it("quotes docs/embed_example.js as it is", () => {
    const page = readFileSync(join(ROOT, "docs", "library.md"), "utf8");
    const quoted = page.includes(readFileSync(EXAMPLE, "utf8"));
    expect(quoted, "docs/library.md quotes docs/embed_example.js").toBe(true);
  });
});
