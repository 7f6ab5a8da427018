/**
 * The reference for scripts/bench-serve.ts's HTTP latency: the least the daemon's own HTTP server
 * (cli/serve/http_server.ts: Bun.serve under Bun, node:http elsewhere) can do per request, 32
 * bytes from node:crypto, no pool, no checks, so the daemon's latency can be read against what
 * the machine allows in the same run. Prints its URL.
 */
import { randomBytes } from "node:crypto";
import { startHttpServer } from "../cli/serve/http_server.ts";

const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const server = await startHttpServer(runtime, {
  host: "127.0.0.1",
  port: 0,
  maxClients: 1024,
  onConsumers: () => {},
  handler: () => ({
    status: 200,
    headers: { "content-type": "application/octet-stream" },
    body: randomBytes(32),
  }),
});
console.log(`http://127.0.0.1:${server.port}`);
