/**
 * The stream listener's sockets under Bun: Bun.listen (see byte_socket.ts for why), loaded
 * only there. Bun's socket writes are unbuffered: write() reports how many bytes the kernel
 * took, and what it did not take waits here, in order, for the socket's drain event. Typed by
 * the few members used, so every runtime's checker can read it.
 */
import { QrngError } from "../errors.ts";
import {
  type ByteSocket,
  gather,
  HANG_UP_GRACE_MS,
  type StreamEndpoint,
  type StreamServer,
  tcpUri,
} from "./byte_socket.ts";
import { bindUnixSocket } from "./unix_socket.ts";

/** The part of Bun's Socket used here. */
export interface BunSocket {
  data: BunByteSocket;
  /** Bytes the kernel took; -1 when closed or shutting down. */
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
  setNoDelay(noDelay: boolean): boolean;
}

/** The part of Bun's socket handlers used here. */
interface BunSocketHandler {
  binaryType: "uint8array";
  open(socket: BunSocket): void;
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  close(socket: BunSocket): void;
  error(socket: BunSocket, error: Error): void;
}

interface BunListener {
  readonly port?: number;
  readonly hostname?: string;
  stop(closeActiveConnections?: boolean): void;
}

interface BunGlobal {
  readonly Bun: {
    listen(
      options:
        | { unix: string; socket: BunSocketHandler }
        | { hostname: string; port: number; socket: BunSocketHandler },
    ): BunListener;
  };
}

/** Bytes sent but not yet taken by the kernel, and whom to tell when they are. */
interface Unsent {
  rest: Uint8Array;
  taken(sent: boolean): void;
}

/** One Bun socket as a {@link ByteSocket}. */
export class BunByteSocket implements ByteSocket {
  #closed = false;
  #onData: (chunk: Uint8Array) => void = () => {};
  readonly #onClose: Array<() => void> = [];
  readonly #unsent: Unsent[] = [];
  #endAfterSent = false;

  constructor(readonly socket: BunSocket) {
    socket.setNoDelay(true);
  }

  get closed(): boolean {
    return this.#closed;
  }

  onData(handler: (chunk: Uint8Array) => void): void {
    this.#onData = handler;
  }

  onClose(handler: () => void): void {
    this.#onClose.push(handler);
  }

  send(bytes: Uint8Array): Promise<boolean> {
    if (this.#closed || this.#endAfterSent) return Promise.resolve(false);
    if (this.#unsent.length === 0) {
      const written = this.socket.write(bytes);
      if (written === bytes.length) return Promise.resolve(true);
      if (written < 0) return Promise.resolve(false);
      bytes = bytes.subarray(written);
    }
    return new Promise((taken) => this.#unsent.push({ rest: bytes, taken }));
  }

  sendInPlace(parts: Uint8Array[], spare: Uint8Array): Promise<boolean> {
    if (this.#closed || this.#endAfterSent) return Promise.resolve(false);
    let part = 0;
    let written = 0;
    if (this.#unsent.length === 0) {
      for (; part < parts.length; part++) {
        written = this.socket.write(parts[part]);
        if (written < 0) return Promise.resolve(false);
        if (written < parts[part].length) break;
      }
      if (part === parts.length) return Promise.resolve(true);
    }
    const rest = gather([parts[part].subarray(written), ...parts.slice(part + 1)], spare);
    return new Promise((taken) => this.#unsent.push({ rest, taken }));
  }

  end(bytes: Uint8Array): void {
    void this.send(bytes).then(() => this.#end());
  }

  hangUp(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.socket.terminate(), HANG_UP_GRACE_MS);
      this.#onClose.push(() => (clearTimeout(timer), resolve()));
      this.#end();
    });
  }

  /** Closes once everything sent went out. */
  #end(): void {
    if (this.#unsent.length > 0) this.#endAfterSent = true;
    else this.socket.end();
  }

  /** The kernel takes more: send what waits, in order. */
  drained(): void {
    while (this.#unsent.length > 0) {
      const first = this.#unsent[0];
      const written = this.socket.write(first.rest);
      if (written < 0) return this.closedNow();
      if (written < first.rest.length) {
        first.rest = first.rest.subarray(written);
        return;
      }
      this.#unsent.shift();
      first.taken(true);
    }
    if (this.#endAfterSent) this.socket.end();
  }

  received(chunk: Uint8Array): void {
    this.#onData(chunk);
  }

  closedNow(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const unsent of this.#unsent.splice(0)) unsent.taken(false);
    for (const handler of this.#onClose) handler();
  }
}

/** Listens on `endpoint` with Bun.listen, handing each connection to `accept`. */
export async function listenBunStream(
  endpoint: StreamEndpoint,
  accept: (socket: ByteSocket) => void,
): Promise<StreamServer> {
  const socket: BunSocketHandler = {
    binaryType: "uint8array",
    open(raw) {
      raw.data = new BunByteSocket(raw);
      accept(raw.data);
    },
    data: (raw, chunk) => raw.data.received(chunk),
    drain: (raw) => raw.data.drained(),
    close: (raw) => raw.data.closedNow(),
    error: () => {}, // a reset by the peer: close follows
  };
  const { Bun } = globalThis as unknown as BunGlobal;
  const start = (options: Parameters<BunGlobal["Bun"]["listen"]>[0], where: string): BunListener => {
    try {
      return Bun.listen(options);
    } catch (error) {
      throw new QrngError("device", `Cannot listen on ${where}: ${(error as Error).message}`);
    }
  };
  let listener: BunListener | undefined;
  let uri: string;
  if (endpoint.kind === "unix") {
    const path = await bindUnixSocket(endpoint.path, endpoint.groupId, (temporary) => {
      const bound = listener = start({ unix: temporary, socket }, endpoint.path);
      return Promise.resolve(() => bound.stop());
    });
    uri = `unix:${path}`;
  } else {
    listener = start(
      { hostname: endpoint.host, port: endpoint.port, socket },
      `${endpoint.host}:${endpoint.port}`,
    );
    uri = tcpUri(listener.hostname ?? endpoint.host, listener.port ?? endpoint.port);
  }
  const bound = listener;
  return { uri, stopAccepting: () => bound?.stop(false) };
}
