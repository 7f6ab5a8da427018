/**
 * A running `qrng serve` as a source: `unix:/PATH` and `qrng+tcp://HOST[:PORT]`, so pipelines
 * and programs share one device (`qrng read 1M --device unix:/run/qrng.sock`). Speaks
 * cli/protocol/serve_wire.ts: reads the hello, presents the token when the daemon wants one
 * (QRNG_TOKEN, or the file `?token-file=PATH` names), and keeps a read request ahead of what it
 * has received so the stream does not stall between requests. The daemon's bytes were validated
 * and committed there; they go through the reader's gate here all the same.
 */
import { QrngError } from "../errors.ts";
import { readAll } from "../byte_io.ts";
import {
  decodeJson,
  encodeFrame,
  encodeRead,
  FRAME,
  type Frame,
  FrameDecoder,
  type Hello,
  SERVE_PROTOCOL_VERSION,
  type WireError,
} from "../protocol/serve_wire.ts";
import { abortableTransport } from "../transports/abortable.ts";
import { connectTcp, connectUnix } from "../transports/tcp.ts";
import type { Transport } from "../transports/transport.ts";
import { checkUriParams, type DeviceUri, parseHostPort } from "../uri.ts";
import type { RandomSource, SourceOptions } from "../devices/device.ts";
import type { SourceDriver } from "./registry.ts";

/** The TCP port of `qrng+tcp://HOST` without one. */
export const SERVE_TCP_PORT = 54937;
/** How long the daemon may stay silent (it answers an empty pool with an error at its own deadline). */
const DAEMON_REPLY_TIMEOUT_MS = 60_000;
/** The smallest read asked for: covers the reader's own gate start-up and hold-back. */
const MIN_REQUEST_BYTES = 16 * 1024;
/** Bytes read from the socket at a time. */
const RECEIVE_BUFFER_BYTES = 256 * 1024;

async function tokenFor(uri: DeviceUri, options: SourceOptions): Promise<string | undefined> {
  const file = uri.params["token-file"];
  if (file === undefined) return options.platform.env("QRNG_TOKEN") || undefined;
  return new TextDecoder().decode(await readAll(await options.platform.openReader(file))).trim();
}

/** The driver of one daemon URI scheme. */
function daemonDriver(scheme: "unix" | "qrng+tcp", summary: string): SourceDriver {
  return {
    scheme,
    summary,
    async open(uri, options) {
      checkUriParams(uri, ["token-file"]);
      const endpoint = scheme === "unix"
        ? uri.target
        : parseHostPort(uri.target, SERVE_TCP_PORT, `device '${uri.text}'`);
      const connected = typeof endpoint === "string"
        ? await connectUnix(endpoint)
        : await connectTcp(endpoint.host, endpoint.port);
      const transport = options.signal ? abortableTransport(connected, options.signal) : connected;
      const where = `qrng serve at ${
        scheme === "unix" ? uri.text : connected.description.replace(/^tcp:/, "qrng+tcp:")
      }`;
      try {
        const source = new DaemonSource(transport, where, options.sizeHint);
        await source.greet(await tokenFor(uri, options));
        return source;
      } catch (error) {
        await transport.close();
        throw error;
      }
    },
  };
}

/** `unix:/PATH`: a daemon's Unix socket. */
export const unixDaemonDriver = daemonDriver(
  "unix",
  "a running 'qrng serve' on a Unix socket: unix:/run/qrng.sock",
);
/** `qrng+tcp://HOST[:PORT]`: a daemon's TCP listener. */
export const tcpDaemonDriver = daemonDriver(
  "qrng+tcp",
  `a running 'qrng serve' over TCP: qrng+tcp://host[:${SERVE_TCP_PORT}]`,
);

class DaemonSource implements RandomSource {
  description: string;
  emulated = false;
  readonly #decoder = new FrameDecoder();
  readonly #frames: Frame[] = [];
  readonly #buffer = new Uint8Array(RECEIVE_BUFFER_BYTES);
  #maxRequestBytes = 0;
  /** Bytes asked for, and received, so far. */
  #requested = 0;
  #received = 0;
  /** What the caller expects to need, plus the gate's start-up and hold-back. */
  readonly #budget: number;
  #closed = false;

  constructor(readonly transport: Transport, readonly where: string, sizeHint: number) {
    this.description = where;
    this.#budget = sizeHint + MIN_REQUEST_BYTES;
  }

  /** Reads the hello and presents `token` when the daemon asks for one. */
  async greet(token: string | undefined): Promise<void> {
    const frame = await this.#nextFrame();
    if (frame.type !== FRAME.hello) {
      throw new QrngError("protocol", `${this.where} did not greet (is it a qrng serve?)`);
    }
    const hello = decodeJson<Hello>(frame.payload, "hello");
    if (hello.protocol !== SERVE_PROTOCOL_VERSION) {
      throw new QrngError(
        "protocol",
        `${this.where} speaks protocol ${hello.protocol}, this qrng ${SERVE_PROTOCOL_VERSION}`,
      );
    }
    this.description = `${hello.device} via ${this.where}`;
    this.emulated = hello.emulated;
    this.#maxRequestBytes = hello.maxRequestBytes;
    if (hello.tokenRequired) {
      if (token === undefined) {
        throw new QrngError(
          "usage",
          `${this.where} needs a token: set QRNG_TOKEN or add ?token-file=PATH to the device`,
        );
      }
      await this.transport.write(encodeFrame(FRAME.token, new TextEncoder().encode(token)));
    }
  }

  async next(): Promise<Uint8Array> {
    if (this.#closed) throw new QrngError("disconnected", `${this.where}: closed`);
    await this.#askAhead();
    for (;;) {
      const frame = await this.#nextFrame();
      if (frame.type === FRAME.data) {
        if (frame.payload.length === 0) continue;
        this.#received += frame.payload.length;
        return frame.payload;
      }
      if (frame.type === FRAME.error) {
        const error = decodeJson<WireError>(frame.payload, "error");
        throw new QrngError(error.kind, `${this.where}: ${error.message}`);
      }
      throw new QrngError(
        "protocol",
        `${this.where} sent frame type 0x${frame.type.toString(16)} mid-stream`,
      );
    }
  }

  /**
   * Keeps a request ahead: a new one once less than half the last is outstanding, while the
   * budget lasts; past it (the gate dropped windows), one small request at a time.
   */
  async #askAhead(): Promise<void> {
    const outstanding = this.#requested - this.#received;
    const size = Math.min(this.#maxRequestBytes, Math.max(MIN_REQUEST_BYTES, this.#budget));
    const withinBudget = this.#requested < this.#budget;
    if (withinBudget ? outstanding > size / 2 : outstanding > 0) return;
    const bytes = withinBudget ? size : Math.min(this.#maxRequestBytes, MIN_REQUEST_BYTES);
    this.#requested += bytes;
    await this.transport.write(encodeRead(bytes));
  }

  async #nextFrame(): Promise<Frame> {
    while (this.#frames.length === 0) {
      const count = await this.transport.read(this.#buffer, DAEMON_REPLY_TIMEOUT_MS);
      if (count === 0) {
        throw new QrngError("timeout", `${this.where} sent nothing for ${DAEMON_REPLY_TIMEOUT_MS} ms`);
      }
      this.#frames.push(...this.#decoder.push(this.#buffer.subarray(0, count)));
    }
    return this.#frames.shift()!;
  }

  /** The daemon committed every byte it sent: nothing is left to judge. */
  async finish(): Promise<void> {
    if (this.#closed) throw new QrngError("disconnected", `${this.where}: closed`);
    await this.close();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.transport.close();
  }
}
