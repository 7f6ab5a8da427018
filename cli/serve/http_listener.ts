/**
 * The daemon's HTTP listener:
 *
 *   GET /random?bytes=N&format=raw|hex|base64   N validated bytes (all or none): raw as
 *       application/octet-stream, hex and base64 as {"bytes": N, "format": F, "data": "..."}
 *   GET /health    {"status": "ok" | "degraded" | "failed", ...}; 503 once the gate failed
 *   GET /metrics   Prometheus text (metrics.ts)
 *
 * Errors are {"error": "one line"} with 400 (bad request), 401 (token), 404, 405, 413 (over
 * the request cap), 429 (over the client's rate cap, with Retry-After) or 503 (no bytes by the
 * deadline, or the device failed). With a token set, every request needs `Authorization:
 * Bearer TOKEN`. Each client address has its own rate cap.
 */
import { Buffer } from "node:buffer";
import * as http from "node:http";
import { describeError, QrngError } from "../errors.ts";
import { bearerToken, tokenMatches } from "./access.ts";
import type { ServeContext } from "./context.ts";
import { type DaemonListener, listen } from "./listen.ts";
import { ClientBuckets, TokenBucket } from "./rate.ts";

/** The byte count of /random without ?bytes=. */
export const DEFAULT_HTTP_BYTES = 32;

const FORMATS = ["raw", "hex", "base64"] as const;

function reply(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(text);
}

/** Listens for HTTP on `host:port`. */
export async function listenHttp(host: string, port: number, context: ServeContext): Promise<DaemonListener> {
  const { limits, metrics } = context;
  const buckets = new ClientBuckets(() =>
    new TokenBucket(
      limits.clientRateBytesPerS,
      Math.max(limits.clientRateBytesPerS, limits.maxRequestBytes),
      context.now,
    )
  );
  const inFlight = new Set<Promise<void>>();
  const server = http.createServer((req, res) => {
    const handled = handle(req, res).catch((error) => {
      if (!res.headersSent) reply(res, 500, { error: describeError(error) });
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });
  server.maxConnections = limits.maxClients;
  server.on("connection", (socket) => {
    metrics.consumers.http++;
    socket.on("close", () => metrics.consumers.http--);
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const [path, query = ""] = (req.url ?? "/").split("?", 2);
    if (limits.token !== undefined && !tokenMatches(bearerToken(req.headers.authorization), limits.token)) {
      metrics.countError("usage");
      return reply(res, 401, { error: "a bearer token is required (Authorization: Bearer TOKEN)" }, {
        "www-authenticate": "Bearer",
      });
    }
    if (req.method !== "GET") {
      return reply(res, 405, { error: `${req.method} is not served: use GET` }, { allow: "GET" });
    }
    if (path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      return void res.end(metrics.render(context));
    }
    if (path === "/health") return health(res);
    if (path === "/random") return await random(req, res, new URLSearchParams(query));
    reply(res, 404, { error: `no ${path}: GET /random, /health or /metrics` });
  }

  function health(res: http.ServerResponse): void {
    const { pool, filler } = context;
    const status = filler.state === "failed" ? "failed" : filler.state === "reconnecting" ? "degraded" : "ok";
    reply(res, status === "failed" ? 503 : 200, {
      status,
      device: filler.description,
      emulated: filler.emulated,
      deviceState: filler.state,
      ...(status === "ok" ? {} : { problem: filler.whyEmpty() }),
      poolBytes: pool.level,
      poolCapacityBytes: pool.capacityBytes,
      uptimeSeconds: Math.round((context.now() - metrics.startedAtMs) / 1000),
    });
  }

  async function random(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    params: URLSearchParams,
  ): Promise<void> {
    metrics.requests.http++;
    const bytesText = params.get("bytes") ?? String(DEFAULT_HTTP_BYTES);
    const format = params.get("format") ?? "raw";
    const bytes = Number(bytesText);
    const refuse = (status: number, kind: string, error: string, headers?: Record<string, string>) => {
      metrics.countError(kind);
      reply(res, status, { error }, headers);
    };
    if (!/^\d+$/.test(bytesText) || bytes < 1) {
      return refuse(400, "usage", `bytes must be a whole number ≥ 1, not '${bytesText}'`);
    }
    if (bytes > limits.maxRequestBytes) {
      return refuse(
        413,
        "usage",
        `a request of ${bytes} bytes: this daemon answers 1 to ${limits.maxRequestBytes}`,
      );
    }
    if (!(FORMATS as readonly string[]).includes(format)) {
      return refuse(400, "usage", `format must be raw, hex or base64, not '${format}'`);
    }
    const bucket = buckets.of(req.socket.remoteAddress ?? "");
    const delayMs = bucket.delayFor(bytes);
    if (delayMs > 0) {
      return refuse(429, "rate", `over this client's rate cap of ${limits.clientRateBytesPerS} bytes/s`, {
        "retry-after": String(Math.ceil(delayMs / 1000)),
      });
    }
    const taken = context.pool.takeNow(bytes) ?? await waitFor(bytes, res);
    if (taken === undefined) return;
    bucket.spend(bytes);
    if (res.destroyed) {
      metrics.bytesUndelivered += bytes;
      return;
    }
    metrics.bytesServed.http += bytes;
    if (format === "raw") {
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(bytes),
        "cache-control": "no-store",
      });
      return void res.end(taken);
    }
    const data = format === "hex"
      ? Buffer.from(taken).toString("hex")
      : Buffer.from(taken).toString("base64");
    reply(res, 200, { bytes, format, data });
  }

  /** Waits on the pool for `bytes`; answers 503 (and resolves undefined) when none come. */
  async function waitFor(bytes: number, res: http.ServerResponse): Promise<Uint8Array | undefined> {
    // The client hanging up ends the wait; bytes taken for it after all count as undelivered.
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    try {
      return await context.pool.take(bytes, { whole: true, waitMs: limits.waitMs, signal: gone.signal });
    } catch (error) {
      if (gone.signal.aborted) return undefined;
      const kind = error instanceof QrngError ? error.kind : "device";
      metrics.countError(kind);
      reply(res, 503, { error: describeError(error) });
      return undefined;
    }
  }

  await listen(server, () => server.listen(port, host), `${host}:${port}`);
  const address = server.address() as { address: string; port: number };
  const shown = address.address.includes(":") ? `[${address.address}]` : address.address;
  return {
    uri: `http://${shown}:${address.port}`,
    stopAccepting() {
      server.close();
      server.closeIdleConnections?.();
      return Promise.resolve();
    },
    async idle() {
      await Promise.all([...inFlight]);
    },
    closeConnections() {
      server.closeAllConnections?.(); // not in every runtime: the exit that follows ends them anyway
      return Promise.resolve();
    },
  };
}
