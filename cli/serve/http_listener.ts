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
import { describeError, QrngError } from "../errors.ts";
import { bearerToken, tokenMatches } from "./access.ts";
import type { ServeContext } from "./context.ts";
import type { DaemonListener } from "./listen.ts";
import { ClientBuckets, TokenBucket } from "./rate.ts";
import { type HttpAnswer, type HttpRequest, startHttpServer } from "./http_server.ts";
import { MemoryReclaimer } from "../runtime/memory.ts";

/** The byte count of /random without ?bytes=. */
export const DEFAULT_HTTP_BYTES = 32;

const FORMATS = ["raw", "hex", "base64"] as const;

/** Requests between two collections of the garbage they leave (see cli/runtime/memory.ts). */
export const RECLAIM_EVERY_REQUESTS = 500;

/** The headers of every raw answer: made once, not per request. */
const RAW_HEADERS = { "content-type": "application/octet-stream", "cache-control": "no-store" } as const;

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
    body: JSON.stringify(body) + "\n",
  };
}

/** Listens for HTTP on `host:port` with the server of `runtime` (see http_server.ts). */
export async function listenHttp(
  host: string,
  port: number,
  context: ServeContext,
  runtime: "deno" | "bun" | "node",
): Promise<DaemonListener> {
  const { limits, metrics } = context;
  const buckets = new ClientBuckets(() =>
    new TokenBucket(
      limits.clientRateBytesPerS,
      Math.max(limits.clientRateBytesPerS, limits.maxRequestBytes),
      context.now,
    )
  );
  const inFlight = new Set<Promise<HttpAnswer | undefined>>();
  // Beside the requests, not before them: a client waits for no collection.
  const reclaimer = new MemoryReclaimer(RECLAIM_EVERY_REQUESTS, false);
  const server = await startHttpServer(runtime, {
    host,
    port,
    maxClients: limits.maxClients,
    onConsumers: (delta) => void (metrics.consumers.http += delta),
    handler(request) {
      reclaimer.moved(1);
      let answer: HttpAnswer | undefined | Promise<HttpAnswer | undefined>;
      try {
        answer = handle(request);
      } catch (error) {
        return json(500, { error: describeError(error) });
      }
      if (!(answer instanceof Promise)) return answer;
      const handled = answer.catch((error) => json(500, { error: describeError(error) }));
      inFlight.add(handled);
      void handled.finally(() => inFlight.delete(handled));
      return handled;
    },
  });

  function handle(request: HttpRequest): HttpAnswer | undefined | Promise<HttpAnswer | undefined> {
    const [path, query = ""] = request.target.split("?", 2);
    if (limits.token !== undefined && !tokenMatches(bearerToken(request.authorization), limits.token)) {
      metrics.countError("usage");
      return json(401, { error: "a bearer token is required (Authorization: Bearer TOKEN)" }, {
        "www-authenticate": "Bearer",
      });
    }
    if (request.method !== "GET") {
      return json(405, { error: `${request.method} is not served: use GET` }, { allow: "GET" });
    }
    if (path === "/metrics") {
      return {
        status: 200,
        headers: { "content-type": "text/plain; version=0.0.4" },
        body: metrics.render(context),
      };
    }
    if (path === "/health") return health();
    if (path === "/random") return random(request, new URLSearchParams(query));
    return json(404, { error: `no ${path}: GET /random, /health or /metrics` });
  }

  function health(): HttpAnswer {
    const { pool, filler } = context;
    const status = filler.state === "failed" ? "failed" : filler.state === "reconnecting" ? "degraded" : "ok";
    return json(status === "failed" ? 503 : 200, {
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

  function random(
    request: HttpRequest,
    params: URLSearchParams,
  ): HttpAnswer | undefined | Promise<HttpAnswer | undefined> {
    metrics.requests.http++;
    const bytesText = params.get("bytes") ?? String(DEFAULT_HTTP_BYTES);
    const format = params.get("format") ?? "raw";
    const bytes = Number(bytesText);
    const refuse = (status: number, kind: string, error: string, headers?: Record<string, string>) => {
      metrics.countError(kind);
      return json(status, { error }, headers);
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
    const bucket = buckets.of(request.clientAddress);
    const delayMs = bucket.delayFor(bytes);
    if (delayMs > 0) {
      return refuse(429, "rate", `over this client's rate cap of ${limits.clientRateBytesPerS} bytes/s`, {
        "retry-after": String(Math.ceil(delayMs / 1000)),
      });
    }
    const deliver = (taken: Uint8Array): HttpAnswer | undefined => {
      bucket.spend(bytes);
      if (request.gone.aborted) {
        metrics.bytesUndelivered += bytes;
        return undefined;
      }
      metrics.bytesServed.http += bytes;
      if (format === "raw") return { status: 200, headers: RAW_HEADERS, body: taken };
      const data = format === "hex"
        ? Buffer.from(taken).toString("hex")
        : Buffer.from(taken).toString("base64");
      return json(200, { bytes, format, data });
    };
    const taken = context.pool.takeNow(bytes);
    return taken ? deliver(taken) : waitFor(bytes, request, deliver);
  }

  /** Waits on the pool for `bytes` and answers with `deliver`, or 503 when none come. */
  async function waitFor(
    bytes: number,
    request: HttpRequest,
    deliver: (taken: Uint8Array) => HttpAnswer | undefined,
  ): Promise<HttpAnswer | undefined> {
    let taken: Uint8Array;
    try {
      // The client hanging up ends the wait; bytes taken for it after all count as undelivered.
      taken = await context.pool.take(bytes, { whole: true, waitMs: limits.waitMs, signal: request.gone });
    } catch (error) {
      if (request.gone.aborted) return undefined;
      metrics.countError(error instanceof QrngError ? error.kind : "device");
      return json(503, { error: describeError(error) });
    }
    return deliver(taken);
  }

  const uri = `http://${host.includes(":") ? `[${host}]` : host}:${server.port}`;
  return {
    uri,
    stopAccepting() {
      server.stopAccepting();
      return Promise.resolve();
    },
    async idle() {
      await Promise.all([...inFlight]);
    },
    closeConnections() {
      server.closeConnections();
      return Promise.resolve();
    },
  };
}
