/**
 * One stream consumer's connection as the stream listener needs it, whatever serves it:
 * node:net here (Deno, Node), Bun's own sockets in stream_bun.ts. Under Bun, node:net's write
 * path (its stream machinery and buffering) took about a third of a busy daemon's time and much
 * of its garbage; Bun.listen's sockets write straight to the kernel and report how much it took.
 */
import * as net from "node:net";
import { listen } from "./listen.ts";
import { bindUnixSocket } from "./unix_socket.ts";

/** How long a hang-up waits for sent bytes to go out before cutting the connection. */
export const HANG_UP_GRACE_MS = 500;

/** A connection to one consumer. */
export interface ByteSocket {
  /** Whether the connection is gone. */
  readonly closed: boolean;
  /** Bytes from the consumer, as they come (a view valid during the call). */
  onData(handler: (chunk: Uint8Array) => void): void;
  /** Called once when the connection is gone. */
  onClose(handler: () => void): void;
  /**
   * Sends `bytes` after everything sent before; resolves true once the kernel took all of them
   * (the caller may then reuse the buffer), false when the connection went first.
   */
  send(bytes: Uint8Array): Promise<boolean>;
  /**
   * Sends `parts` one after the other, after everything sent before, from where they lie as far
   * as the kernel takes them at once; the rest is copied into `spare` (at least as long as all
   * the parts) to wait there, so the parts' memory may be reused when this returns. Resolves as
   * {@link send} does; `spare` may be reused once it resolved.
   */
  sendInPlace(parts: Uint8Array[], spare: Uint8Array): Promise<boolean>;
  /** Sends `bytes` after everything sent before, then closes (a refusal or an error frame). */
  end(bytes: Uint8Array): void;
  /** Closes after what was sent, or cuts after {@link HANG_UP_GRACE_MS}; resolves once gone. */
  hangUp(): Promise<void>;
}

/** Where a stream listener listens. */
export type StreamEndpoint =
  | { readonly kind: "unix"; readonly path: string; readonly groupId?: number }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

/** A listening stream server. */
export interface StreamServer {
  /** unix:/PATH or qrng+tcp://HOST:PORT. */
  readonly uri: string;
  /** Stops accepting connections (open ones stay). */
  stopAccepting(): void;
}

/** Copies `parts` one after the other to the start of `spare`; returns the filled view of it. */
export function gather(parts: readonly Uint8Array[], spare: Uint8Array): Uint8Array {
  let filled = 0;
  for (const part of parts) {
    spare.set(part, filled);
    filled += part.length;
  }
  return spare.subarray(0, filled);
}

/** The URI of a TCP listener at `address`:`port` (IPv6 in brackets). */
export function tcpUri(address: string, port: number): string {
  return `qrng+tcp://${address.includes(":") ? `[${address}]` : address}:${port}`;
}

/** A node:net socket as a {@link ByteSocket}. */
class NodeByteSocket implements ByteSocket {
  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on("error", () => {}); // a reset by the peer: 'close' follows
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  onData(handler: (chunk: Uint8Array) => void): void {
    this.socket.on("data", handler);
  }

  onClose(handler: () => void): void {
    this.socket.on("close", handler);
  }

  send(bytes: Uint8Array): Promise<boolean> {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return Promise.resolve(false);
    return new Promise((resolve) => {
      const gone = () => resolve(false);
      socket.once("close", gone);
      socket.write(bytes, () => {
        socket.off("close", gone);
        resolve(!socket.destroyed);
      });
    });
  }

  /** node:net keeps what it is given until it is written: the parts always go through `spare`. */
  sendInPlace(parts: Uint8Array[], spare: Uint8Array): Promise<boolean> {
    return this.send(gather(parts, spare));
  }

  end(bytes: Uint8Array): void {
    this.socket.end(bytes);
  }

  hangUp(): Promise<void> {
    const socket = this.socket;
    if (socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.destroy(), HANG_UP_GRACE_MS);
      socket.once("close", () => (clearTimeout(timer), resolve()));
      socket.end();
    });
  }
}

/** Listens on `endpoint` with node:net, handing each connection to `accept`. */
export async function listenNodeStream(
  endpoint: StreamEndpoint,
  accept: (socket: ByteSocket) => void,
): Promise<StreamServer> {
  const server = net.createServer((socket) => accept(new NodeByteSocket(socket)));
  let uri: string;
  if (endpoint.kind === "unix") {
    const path = await bindUnixSocket(endpoint.path, endpoint.groupId, async (temporary) => {
      await listen(server, () => server.listen(temporary), endpoint.path);
      return () => server.close();
    });
    uri = `unix:${path}`;
  } else {
    await listen(
      server,
      () => server.listen(endpoint.port, endpoint.host),
      `${endpoint.host}:${endpoint.port}`,
    );
    const address = server.address() as net.AddressInfo;
    uri = tcpUri(address.address, address.port);
  }
  return {
    uri,
    // Its callback would wait for every connection: draining decides when they go.
    stopAccepting: () => void server.close(),
  };
}
