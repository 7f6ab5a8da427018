/**
 * The daemon's stream listeners (Unix socket and TCP), speaking cli/protocol/serve_wire.ts:
 * a hello at connect, then each read request answered by data frames as the pool yields bytes
 * (at most {@link STREAM_CHUNK_BYTES} taken at a time), or an error frame. A connection takes
 * its next piece only once the last one was written out, so a slow client holds back nobody's
 * bytes but its own; each connection's rate is capped by its own token bucket.
 */
import { describeError, QrngError } from "../errors.ts";
import {
  decodeRead,
  encodeJsonFrame,
  FRAME,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  type Hello,
  SERVE_PROTOCOL_VERSION,
  writeFrameHeader,
} from "../protocol/serve_wire.ts";
import { unlessAborted } from "../transports/abortable.ts";
import { tokenMatches } from "./access.ts";
import type { DaemonListener } from "./listen.ts";
import { type ByteSocket, listenNodeStream, type StreamEndpoint, type StreamServer } from "./byte_socket.ts";
import { removeSocketFile } from "./unix_socket.ts";
import type { ServeContext } from "./context.ts";
import type { ListenerName } from "./metrics.ts";
import { TokenBucket } from "./rate.ts";

/** The most bytes one data frame carries (and one take from the pool asks for). */
export const STREAM_CHUNK_BYTES = 64 * 1024;
/** Read requests a client may queue before it is cut off (they are answered in order). */
const MAX_QUEUED_REQUESTS = 64;

/** One accepted connection's request loop. */
class StreamConnection {
  readonly #decoder = new FrameDecoder();
  readonly #requests: number[] = [];
  readonly #gone = new AbortController();
  readonly #bucket: TokenBucket;
  #authorized: boolean;
  #busy: Promise<void> | undefined;
  /** Resolves true once the hello went out (the device is known), false if it never will. */
  readonly #greeted: Promise<boolean>;
  /** The header of a data frame sent without room for it in the pool (see #send). */
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  /**
   * Where what the kernel did not take of a frame waits (made at the first read): the next
   * piece is taken from the pool only once the socket took all of it.
   */
  #spare: Uint8Array | undefined;
  #lastSent: Promise<boolean> = Promise.resolve(true);

  constructor(
    readonly socket: ByteSocket,
    readonly listener: ListenerName,
    readonly context: ServeContext,
    tokenRequired: boolean,
  ) {
    const { limits, metrics } = context;
    this.#authorized = !tokenRequired;
    this.#bucket = new TokenBucket(
      limits.clientRateBytesPerS,
      Math.max(limits.clientRateBytesPerS, limits.maxRequestBytes),
      context.now,
    );
    metrics.consumers[listener]++;
    socket.onClose(() => {
      metrics.consumers[listener]--;
      this.#gone.abort();
    });
    socket.onData((chunk) => this.#received(chunk));
    this.#greeted = this.#greet(tokenRequired);
  }

  /**
   * Says hello once the device was opened, so the client learns what it reads (an emulator?)
   * before any byte; a device not opened within the wait is an error, as an empty pool is.
   */
  async #greet(tokenRequired: boolean): Promise<boolean> {
    const { filler, limits } = this.context;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const known = await Promise.race([
      filler.identified.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), limits.waitMs))),
    ]);
    clearTimeout(timer);
    if (this.socket.closed) return false;
    if (!known) {
      this.#refuse("timeout", `No device within ${limits.waitMs} ms: ${filler.whyEmpty()}`);
      return false;
    }
    const hello: Hello = {
      protocol: SERVE_PROTOCOL_VERSION,
      device: filler.description,
      emulated: filler.emulated,
      maxRequestBytes: limits.maxRequestBytes,
      tokenRequired,
    };
    void this.socket.send(encodeJsonFrame(FRAME.hello, hello));
    return true;
  }

  /** Resolves once no request is in progress. */
  idle(): Promise<void> {
    return this.#busy ?? Promise.resolve();
  }

  #received(chunk: Uint8Array): void {
    let frames;
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      return this.#refuse("protocol", describeError(error));
    }
    for (const frame of frames) {
      if (frame.type === FRAME.token) {
        const token = this.context.limits.token;
        if (token === undefined || !tokenMatches(new TextDecoder().decode(frame.payload), token)) {
          return this.#refuse("usage", "wrong token");
        }
        this.#authorized = true;
      } else if (frame.type === FRAME.read) {
        if (!this.#authorized) return this.#refuse("usage", "this listener needs a token first (QRNG_TOKEN)");
        if (this.#requests.length >= MAX_QUEUED_REQUESTS) {
          return this.#refuse("protocol", `more than ${MAX_QUEUED_REQUESTS} reads queued`);
        }
        this.#requests.push(decodeRead(frame.payload) ?? 0);
      } else {
        return this.#refuse("protocol", `a client may not send frame type 0x${frame.type.toString(16)}`);
      }
    }
    this.#busy ??= this.#serveQueued().finally(() => (this.#busy = undefined));
  }

  /** Sends an error and hangs up: the client broke the protocol or the access rule. */
  #refuse(kind: QrngError["kind"], message: string): void {
    this.context.metrics.countError(kind);
    this.socket.end(encodeJsonFrame(FRAME.error, { kind, message }));
  }

  async #serveQueued(): Promise<void> {
    if (!(await this.#greeted)) return;
    while (this.#requests.length > 0 && !this.#gone.signal.aborted) {
      await this.#serve(this.#requests.shift()!);
    }
  }

  async #serve(bytes: number): Promise<void> {
    const { pool, limits, metrics } = this.context;
    metrics.requests[this.listener]++;
    if (!(bytes >= 1 && bytes <= limits.maxRequestBytes)) {
      metrics.countError("usage");
      void this.socket.send(encodeJsonFrame(FRAME.error, {
        kind: "usage",
        message:
          `a read of ${bytes} bytes: this daemon answers reads of 1 to ${limits.maxRequestBytes} bytes`,
      }));
      return;
    }
    const signal = this.#gone.signal;
    try {
      for (let remaining = bytes; remaining > 0;) {
        const want = Math.min(remaining, STREAM_CHUNK_BYTES);
        const delayMs = this.#bucket.delayFor(want);
        if (delayMs > 0) await unlessAborted(sleep(delayMs), signal, "wait for the rate cap");
        if (!(await this.#lastSent)) return; // the client went away: take nothing more for it
        let sent = false;
        const taken = await pool.takeInPlace(
          want,
          { waitMs: limits.waitMs, signal },
          (pieces, headed) => (sent = this.#send(pieces, headed)),
          FRAME_HEADER_BYTES,
        );
        this.#bucket.spend(taken);
        if (!sent) return;
        remaining -= taken;
      }
    } catch (error) {
      if (signal.aborted) return;
      const kind = error instanceof QrngError ? error.kind : "device";
      metrics.countError(kind);
      void this.socket.send(encodeJsonFrame(FRAME.error, { kind, message: describeError(error) }));
    }
  }

  /**
   * Sends the bytes just taken, `pieces` of the pool's memory, as one data frame (straight to
   * the kernel where it takes them: a copy of every byte cost ~10 % of a busy daemon's CPU);
   * returns false if the client went away. When `headed`, the first piece starts with room for
   * the frame's header (Pool.takeInPlace), so header and bytes go out in one write: a write of
   * their own cost a system call and a socket buffer per frame.
   */
  #send(pieces: Uint8Array[], headed: boolean): boolean {
    const { metrics } = this.context;
    let length = headed ? -FRAME_HEADER_BYTES : 0;
    for (const piece of pieces) length += piece.length;
    if (this.socket.closed) {
      metrics.bytesUndelivered += length;
      return false;
    }
    const header = headed ? pieces[0] : this.#header;
    writeFrameHeader(header, FRAME.data, length);
    this.#spare ??= new Uint8Array(FRAME_HEADER_BYTES + STREAM_CHUNK_BYTES);
    this.#lastSent = this.socket.sendInPlace(headed ? pieces : [header, ...pieces], this.#spare);
    metrics.bytesServed[this.listener] += length;
    return true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Listens on `endpoint` with the runtime's sockets (byte_socket.ts). A Unix socket is bound under a temporary name, given mode 0600 (0660
 * and the group with `groupId`), then renamed into place, so it is never reachable with looser
 * permissions; a stale socket file left by a dead daemon is replaced, a live one refused.
 */
export async function listenStream(
  endpoint: StreamEndpoint,
  context: ServeContext,
  runtime: "deno" | "bun" | "node",
): Promise<DaemonListener> {
  const connections = new Set<StreamConnection>();
  const listener: ListenerName = endpoint.kind;
  const tokenRequired = endpoint.kind === "tcp" && context.limits.token !== undefined;
  const accept = (socket: ByteSocket) => {
    if (connections.size >= context.limits.maxClients) {
      context.metrics.countError("busy");
      socket.end(
        encodeJsonFrame(FRAME.error, {
          kind: "disconnected",
          message: `too many consumers (at most ${context.limits.maxClients})`,
        }),
      );
      return;
    }
    const connection = new StreamConnection(socket, listener, context, tokenRequired);
    connections.add(connection);
    socket.onClose(() => connections.delete(connection));
  };
  const server: StreamServer = runtime === "bun"
    ? await (await import("./stream_bun.ts")).listenBunStream(endpoint, accept)
    : await listenNodeStream(endpoint, accept);
  return {
    uri: server.uri,
    stopAccepting() {
      server.stopAccepting();
      if (endpoint.kind === "unix") removeSocketFile(endpoint.path);
      return Promise.resolve();
    },
    async idle() {
      await Promise.all([...connections].map((c) => c.idle()));
    },
    async closeConnections() {
      await Promise.all([...connections].map((c) => c.socket.hangUp()));
    },
  };
}
