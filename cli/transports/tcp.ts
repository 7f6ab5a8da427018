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

/** Wraps a connected socket as a Transport; `description` names the endpoint. */
export function socketTransport(socket: net.Socket, description: string): Transport {
  socket.setNoDelay(true);
  const queue = new ByteQueue({ pause: () => socket.pause(), resume: () => socket.resume() });
  const gone = () => new QrngError("disconnected", `${description}: the connection closed`);
  socket.on("data", (chunk: Uint8Array) => queue.push(chunk));
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

/** Connects to `host:port`; rejects with "disconnected" when nobody answers. */
export function connectTcp(host: string, port: number): Promise<Transport> {
  const description = `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new QrngError("timeout", `Cannot connect to ${description}: no answer in ${TCP_CONNECT_TIMEOUT_MS} ms`));
    }, TCP_CONNECT_TIMEOUT_MS);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(new QrngError("disconnected", `Cannot connect to ${description}: ${describeError(error)}`));
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socketTransport(socket, description));
    });
  });
}
