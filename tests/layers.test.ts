/**
 * The layering of cli/ (README "Architecture"): every module sits in one unit of one layer, and
 * imports only from its own unit or from a lower layer. An import sideways (between units of one
 * layer: drivers and emulators, say) or upwards fails, naming the edge, as does any cycle between
 * units. A new directory or top-level file fails until it is placed in {@link LAYERS}.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Layers from the bottom up; each maps unit names to the paths (directories end in "/") that
 * belong to the unit. The longest matching path decides a module's unit.
 */
const LAYERS: ReadonlyArray<Readonly<Record<string, readonly string[]>>> = [
  { wasm: ["wasm/"] },
  {
    // Foundation every layer uses: errors, the Platform interface and the C library binding it
    // names, units, URIs, byte helpers, version facts.
    base: [
      "cli/errors.ts",
      "cli/platform.ts",
      "cli/runtime/",
      "cli/units.ts",
      "cli/uri.ts",
      "cli/byte_io.ts",
      "cli/printable.ts",
      "cli/version.ts",
      "cli/build_info.ts",
    ],
  },
  { transports: ["cli/transports/"] },
  // Facts of the device protocols that drivers and emulators both need.
  { protocol: ["cli/protocol/"] },
  {
    devices: ["cli/devices/"],
    emulators: ["cli/emulators/"],
    postprocess: ["cli/postprocess/"],
    // qrng feed's pure logic: what to credit the kernel, when to feed.
    feed: ["cli/feed/"],
    // NATS JetStream for fleets: connecting, the shared stream, publishing and claiming blocks.
    fleet: ["cli/fleet/"],
    report: ["cli/report/"],
    view: ["cli/view/"],
    // Where output goes (the failure-safe sink) and in which form (hex, base64, key: value, JSON).
    output: ["cli/output/"],
    // qrng assess on two threads: the Web Worker and the runs it claims alongside the command.
    assess: ["cli/assess/"],
  },
  // Device URI -> open source, sim: wiring, the health gate.
  { sources: ["cli/sources/"] },
  // The library `import { open } from "qrng"`; the daemon's pool, device side and listeners.
  { library: ["cli/library/"], serve: ["cli/serve/"] },
  { commands: ["cli/commands/", "cli/command.ts", "cli/shell_completion.ts", "cli/man_page.ts"] },
  {
    entry: [
      "cli/app.ts",
      "cli/mod.ts",
      "cli/main.ts",
      "cli/runtime/node_platform.ts",
      "cli/runtime/source_build_info.ts",
    ],
  },
];

interface Unit {
  readonly name: string;
  readonly layer: number;
}

const PATHS: ReadonlyArray<{ path: string; unit: Unit }> = LAYERS.flatMap((units, layer) =>
  Object.entries(units).flatMap(([name, paths]) => paths.map((path) => ({ path, unit: { name, layer } })))
).sort((a, b) => b.path.length - a.path.length);

function unitOf(module: string): Unit | undefined {
  return PATHS.find(({ path }) => path.endsWith("/") ? module.startsWith(path) : module === path)?.unit;
}

/** An import of `to` by `from`, both relative to the repository root. */
interface Edge {
  readonly from: string;
  readonly to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Relative module specifiers a file imports (static, re-exported, type-only and dynamic). */
export function importedSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  return [...code.matchAll(pattern)].map((match) => match[1]);
}

function importGraph(): Edge[] {
  return sourceFiles("cli").flatMap((from) =>
    importedSpecifiers(readFileSync(join(ROOT, from), "utf8")).map((specifier) => ({
      from,
      to: relative(ROOT, resolve(ROOT, dirname(from), specifier)),
    }))
  );
}

const describeEdge = (edge: Edge) => {
  const [from, to] = [unitOf(edge.from)!, unitOf(edge.to)!];
  return `${edge.from} (${from.name}) -> ${edge.to} (${to.name})`;
};

/** Cycles between units, each as the edges that close it. */
function unitCycles(edges: readonly Edge[]): string[][] {
  const between = edges.filter((e) => unitOf(e.from)?.name !== unitOf(e.to)?.name && unitOf(e.to));
  const next = new Map<string, Set<string>>();
  for (const e of between) {
    const from = unitOf(e.from)!.name;
    next.set(from, (next.get(from) ?? new Set()).add(unitOf(e.to)!.name));
  }
  const reaches = (from: string, target: string, seen = new Set<string>()): boolean => {
    for (const to of next.get(from) ?? []) {
      if (to === target) return true;
      if (!seen.has(to) && (seen.add(to), reaches(to, target, seen))) return true;
    }
    return false;
  };
  // An edge a -> b lies on a cycle when b reaches a again; group such edges by their unit pair.
  const cyclic = between.filter((e) => reaches(unitOf(e.to)!.name, unitOf(e.from)!.name));
  const pairs = new Map<string, string[]>();
  for (const e of cyclic) {
    const key = [unitOf(e.from)!.name, unitOf(e.to)!.name].sort().join(" <-> ");
    pairs.set(key, [...(pairs.get(key) ?? []), describeEdge(e)]);
  }
  return [...pairs.entries()].map(([pair, list]) => [pair, ...list]);
}

describe("the layers of cli/", () => {
  const edges = importGraph();

  it("place every module of cli/ in a unit", () => {
    const unplaced = sourceFiles("cli").filter((file) => !unitOf(file));
    expect(unplaced, "add these to LAYERS in tests/layers.test.ts").toEqual([]);
  });

  it("import only from their own unit or a lower layer", () => {
    const wrong = edges.filter((e) => {
      const [from, to] = [unitOf(e.from), unitOf(e.to)];
      return from && to && from.name !== to.name && to.layer >= from.layer;
    }).map((e) =>
      `${unitOf(e.to)!.layer > unitOf(e.from)!.layer ? "upward" : "sideways"}: ${describeEdge(e)}`
    );
    expect(wrong).toEqual([]);
  });

  it("have no cycle between units", () => {
    expect(unitCycles(edges)).toEqual([]);
  });

  it("reach nothing but wasm/ outside cli/", () => {
    const outside = edges.filter((e) => !unitOf(e.to)).map((e) => `${e.from} -> ${e.to}`);
    expect(outside).toEqual([]);
  });

  it("are checked against a parser that sees every form of import", () => {
    const text = [
      'import { a } from "./a.ts";',
      'import type {\n  B,\n} from "../b.ts";',
      'export * from "./c.ts";',
      'const d = await import("./d.ts");',
      'import "./e.ts";',
      '// import { x } from "./commented.ts";',
      '/** import { y } from "./documented.ts"; */',
      'import { z } from "node:fs";',
    ].join("\n");
    expect(importedSpecifiers(text)).toEqual(["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./e.ts"]);
  });
});
