/**
 * The daemon's HTTP server under Bun: Bun.serve (see http_server.ts for why), loaded only there.
 * Typed by the few members it uses, so that every runtime's checker can read it.
 */
import { cannotListen, type HttpAnswer, type HttpServer, type HttpServerOptions } from "./http_server.ts";

/** The part of Bun's Server used here. */
interface BunServer {
  readonly port: number;
  /** Requests in progress, the one being answered included. */
  readonly pendingRequests: number;
  requestIP(request: Request): { readonly address: string } | null;
  /** Stops listening; with `closeActive`, also cuts the connections. */
  stop(closeActive: boolean): Promise<void>;
}

/** The part of Bun.serve's options used here. */
interface BunServeOptions {
  readonly hostname: string;
  readonly port: number;
  readonly development: boolean;
  fetch(request: Request, server: BunServer): Response | Promise<Response>;
}

interface BunGlobal {
  readonly Bun: { serve(options: BunServeOptions): BunServer };
}

/** The request target (path and query) of an absolute URL: "http://host:1/random?b=1" -> "/random?b=1". */
function targetOf(url: string): string {
  const path = url.indexOf("/", url.indexOf("//") + 2);
  return path < 0 ? "/" : url.slice(path);
}

function response(answer: HttpAnswer | undefined): Response {
  // Nobody is left to read an undefined answer: Bun needs a Response all the same.
  if (answer === undefined) return new Response(null, { status: 499 });
  // Every byte body here is a fresh array of its own (Pool.takeNow), never a shared buffer's view.
  const body = answer.body as Uint8Array<ArrayBuffer> | string;
  return new Response(body, { status: answer.status, headers: answer.headers });
}

const BUSY: HttpAnswer = {
  status: 503,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
  body: "",
};

/** Serves `options.handler` with Bun.serve; rejects kind "device" when it cannot listen. */
export function startBunServer(options: HttpServerOptions): HttpServer {
  const busy = {
    ...BUSY,
    body: JSON.stringify({ error: `too many requests in progress (at most ${options.maxClients})` }) + "\n",
  };
  let server: BunServer;
  try {
    server = (globalThis as unknown as BunGlobal).Bun.serve({
      hostname: options.host,
      port: options.port,
      development: false,
      fetch(request, bunServer) {
        if (bunServer.pendingRequests > options.maxClients) return response(busy);
        options.onConsumers(1);
        const answer = options.handler({
          method: request.method,
          target: targetOf(request.url),
          authorization: request.headers.get("authorization") ?? undefined,
          clientAddress: bunServer.requestIP(request)?.address ?? "",
          gone: request.signal,
        });
        if (!(answer instanceof Promise)) return (options.onConsumers(-1), response(answer));
        return answer.then((a) => (options.onConsumers(-1), response(a)));
      },
    });
  } catch (error) {
    throw cannotListen(options.host, options.port, error);
  }
  return {
    port: server.port,
    stopAccepting() {
      void server.stop(false);
    },
    closeConnections() {
      void server.stop(true);
    },
  };
}
