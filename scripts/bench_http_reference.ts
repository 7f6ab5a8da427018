/**
 * The reference for scripts/bench-serve.ts's HTTP latency: the least an HTTP server on this
 * runtime can do per request (node:http, 32 bytes from node:crypto, no pool, no checks), so the
 * daemon's latency can be read against what the machine allows in the same run. Prints its URL.
 */
import { randomBytes } from "node:crypto";
import * as http from "node:http";

const server = http.createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/octet-stream" });
  res.end(randomBytes(32));
});
server.listen(
  0,
  "127.0.0.1",
  () => console.log(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
);
