// `embed_run.js EXAMPLE FIXTURE`: prints checkExample's findings as JSON. Imports only node:
// modules itself, so Node (no flags), Deno and Bun all run it.
import { readFileSync } from "node:fs";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { checkExample } from "./embed_check.js";

const [example, fixture] = process.argv.slice(2);
const findings = checkExample(
  await import(pathToFileURL(example).href),
  new Uint8Array(readFileSync(fixture)),
);
console.log(JSON.stringify(findings));
