/**
 * TCP transport (node:net, which Node, Deno and Bun implement): one connection carrying
 * commands, responses and data, as to a Crypta Labs network unit on port 54936. The same
 * wrapper serves the emulator's side of an accepted connection.
 */
import * as net from "node:net";
import { describeError, QrngError } from "../errors.ts";
import { ByteQueue } from "./byte_queue.ts";
import type { Transport } from "./transport.ts";

/** How long a connection attempt may take. */
export const TCP_CONNECT_TIMEOUT_MS = 5000;

/** Received bytes a client buffers before pausing the socket: lets a busy reader take big reads. */
const CLIENT_HIGH_WATER_BYTES = 4 << 20;

/**
 * Wraps a connected socket as a Transport; `description` names the endpoint. With `queue`, the
 * socket already feeds it (through `onread`); otherwise its 'data' events do.
 */
export function socketTransport(socket: net.Socket, description: string, given?: ByteQueue): Transport {
  socket.setNoDelay(true);
  const queue = given ?? new ByteQueue({ pause: () => socket.pause(), resume: () => socket.resume() });
  const gone = () => new QrngError("disconnected", `${description}: the connection closed`);
  if (!given) socket.on("data", (chunk: Uint8Array) => queue.push(chunk));
  socket.on("end", () => queue.end(gone()));
  socket.on("close", () => queue.end(gone()));
  socket.on("error", () => queue.end(gone()));
  return {
    description,
    write(data) {
      if (socket.destroyed || !socket.writable) return Promise.reject(gone());
      // The socket keeps a reference to what it is given: hand it a copy the caller cannot reuse.
      const copy = new Uint8Array(data);
      if (socket.write(copy)) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          socket.off("drain", done);
          socket.off("close", done);
          resolve();
        };
        socket.on("drain", done);
        socket.on("close", done);
      });
    },
    read: (buffer, timeoutMs) => queue.read(buffer, timeoutMs),
    discardInput() {
      queue.discard();
      return Promise.resolve();
    },
    close() {
      queue.end(new QrngError("disconnected", `${description}: closed`));
      socket.destroy();
      return Promise.resolve();
    },
  };
}

/**
 * Connects to `host:port`; rejects with "disconnected" when nobody answers. The socket reads
 * (`onread`) into recycled queue buffers that the queue keeps without copying, so a stream of
 * any length allocates nothing per chunk (memory stays flat at hundreds of MB/s).
 */
export function connectTcp(host: string, port: number): Promise<Transport> {
  return connectSocket({ host, port }, `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`);
}

/** Connects to the Unix socket at `path` (a running `qrng serve`), as {@link connectTcp} does. */
export function connectUnix(path: string): Promise<Transport> {
  return connectSocket({ path }, `unix:${path}`);
}

function connectSocket(
  endpoint: { host: string; port: number } | { path: string },
  description: string,
): Promise<Transport> {
  let socket: net.Socket;
  const queue = new ByteQueue({
    highWaterBytes: CLIENT_HIGH_WATER_BYTES,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  });
  return new Promise((resolve, reject) => {
    socket = net.connect({
      ...endpoint,
      // Each read lands in a recycled queue buffer, which the queue then keeps as is.
      onread: {
        buffer: () => queue.lendBuffer(),
        callback: (n: number, buffer: Uint8Array) => queue.acceptLent(buffer, n),
      },
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new QrngError(
          "timeout",
          `Cannot connect to ${description}: no answer in ${TCP_CONNECT_TIMEOUT_MS} ms`,
        ),
      );
    }, TCP_CONNECT_TIMEOUT_MS);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(new QrngError("disconnected", `Cannot connect to ${description}: ${describeError(error)}`));
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socketTransport(socket, description, queue));
    });
  });
}
