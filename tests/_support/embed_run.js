// Runs an embedding example (docs/embed_example.js) on a fixture and on a stuck source and
// prints what it found as JSON: `embed_run.js EXAMPLE FIXTURE`. Plain JavaScript importing only
// node: modules itself, so Node (no flags), Deno and Bun all run it.
import { readFileSync } from "node:fs";
import process from "node:process";
import { pathToFileURL } from "node:url";

const [example, fixture] = process.argv.slice(2);
const { healthTested, summarize } = await import(pathToFileURL(example).href);
const summary = summarize(new Uint8Array(readFileSync(fixture)));

let released = 0, failure = null;
try {
  for (const bytes of healthTested(Array.from({ length: 64 }, () => new Uint8Array(1024)))) {
    released += bytes.length;
  }
} catch (error) {
  failure = error.message;
}
console.log(JSON.stringify({ summary, stuck: { released, failure } }));
