/**
 * The entry point: the only module that looks at which runtime runs us (Deno, Bun or Node),
 * builds the Platform for it and hands over to runApp.
 */
import process from "node:process";
import { runApp } from "./app.ts";
import { nodePlatform } from "./runtime/node_platform.ts";
import type { Platform } from "./platform.ts";

function detectRuntime(): Platform["runtime"] {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  return g.Deno ? "deno" : g.Bun ? "bun" : "node";
}

const platform = nodePlatform(detectRuntime(), process.argv.slice(2));
const status = await runApp(platform);
process.exit(status);
