/**
 * The HTTP server under the daemon's HTTP listener, one small interface over each runtime's
 * fastest server: Bun.serve under Bun (http_bun.ts: bare, 34 000 requests/s from 100 clients
 * where Bun's node:http answered 22 000, at 44 MB peak instead of 68), node:http elsewhere
 * (Deno, Node). The listener (http_listener.ts) sees only {@link HttpRequest} and
 * {@link HttpAnswer}.
 */
import * as http from "node:http";
import { describeError, QrngError } from "../errors.ts";
import { listen } from "./listen.ts";

/** One request, whichever server parsed it. */
export interface HttpRequest {
  readonly method: string;
  /** The request target: path and query ("/random?bytes=32"). */
  readonly target: string;
  /** The Authorization header, if any. */
  readonly authorization: string | undefined;
  /** The client's address: the per-address rate cap's key. */
  readonly clientAddress: string;
  /** Aborts when the client hangs up before its answer was sent. */
  readonly gone: AbortSignal;
}

/** An answer: a byte body is sent as it is, a string as UTF-8. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | string;
}

/**
 * Answers a request, at once or later; undefined when there is nobody left to answer (the client
 * hung up). Never rejects: failures are answers.
 */
export type HttpHandler = (request: HttpRequest) => HttpAnswer | undefined | Promise<HttpAnswer | undefined>;

/** What the listener asks of a server. */
export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  /** Connections (node:http) or requests in progress (Bun.serve) served at once. */
  readonly maxClients: number;
  readonly handler: HttpHandler;
  /** Told +1 and -1 as consumers (connections, or requests in progress under Bun) come and go. */
  onConsumers(delta: number): void;
}

/** A listening server. */
export interface HttpServer {
  /** The port it listens on (the one chosen for port 0). */
  readonly port: number;
  /** Stops accepting connections; idle kept-alive ones are closed. */
  stopAccepting(): void;
  /** Cuts every connection. */
  closeConnections(): void;
}

/** Starts the runtime's server; rejects kind "device" when it cannot listen. */
export async function startHttpServer(
  runtime: "deno" | "bun" | "node",
  options: HttpServerOptions,
): Promise<HttpServer> {
  if (runtime === "bun") return (await import("./http_bun.ts")).startBunServer(options);
  return await startNodeServer(options);
}

/** The error for a server that cannot listen on `host:port`. */
export function cannotListen(host: string, port: number, error: unknown): QrngError {
  return new QrngError("device", `Cannot listen on ${host}:${port}: ${describeError(error)}`);
}

/** A node:http request, its abort signal made only when a handler waits (most answer at once). */
class NodeRequest implements HttpRequest {
  #gone: AbortController | undefined;

  constructor(readonly req: http.IncomingMessage, readonly res: http.ServerResponse) {}

  get method(): string {
    return this.req.method ?? "GET";
  }

  get target(): string {
    return this.req.url ?? "/";
  }

  get authorization(): string | undefined {
    return this.req.headers.authorization;
  }

  get clientAddress(): string {
    return this.req.socket.remoteAddress ?? "";
  }

  get gone(): AbortSignal {
    if (!this.#gone) {
      const gone = new AbortController();
      this.#gone = gone;
      if (this.res.destroyed) gone.abort();
      else this.res.on("close", () => gone.abort());
    }
    return this.#gone.signal;
  }
}

const utf8 = new TextEncoder();

function sendNode(res: http.ServerResponse, answer: HttpAnswer | undefined): void {
  if (answer === undefined || res.destroyed) return;
  const body = typeof answer.body === "string" ? utf8.encode(answer.body) : answer.body;
  res.writeHead(answer.status, { ...answer.headers, "content-length": String(body.length) });
  res.end(body);
}

async function startNodeServer(options: HttpServerOptions): Promise<HttpServer> {
  const server = http.createServer((req, res) => {
    const answer = options.handler(new NodeRequest(req, res));
    if (answer instanceof Promise) void answer.then((a) => sendNode(res, a));
    else sendNode(res, answer);
  });
  server.maxConnections = options.maxClients;
  server.on("connection", (socket) => {
    options.onConsumers(1);
    socket.on("close", () => options.onConsumers(-1));
  });
  await listen(server, () => server.listen(options.port, options.host), `${options.host}:${options.port}`);
  return {
    port: (server.address() as { port: number }).port,
    stopAccepting() {
      server.close();
      server.closeIdleConnections?.();
    },
    closeConnections() {
      server.closeAllConnections?.(); // not in every runtime: the exit that follows ends them anyway
    },
  };
}
