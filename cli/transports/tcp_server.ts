/**
 * A TCP listener for emulators: accepts connections one at a time, like a device that serves a
 * single host, and hands each to a session as a Transport.
 */
import * as net from "node:net";
import { describeError, QrngError } from "../errors.ts";
import { socketTransport } from "./tcp.ts";
import type { Transport } from "./transport.ts";

/** Longest wait for the listening socket to close before giving up on lingering peers. */
const CLOSE_WAIT_MS = 500;

/** An accepted connection and who made it. */
export interface AcceptedConnection extends Transport {
  /** The host's address (where a TCP+UDP device sends its data datagrams). */
  readonly remoteHost: string;
}

/** A listening TCP endpoint. */
export interface TcpListener {
  /** The bound address and port (port 0 asked for resolves to the chosen one). */
  readonly host: string;
  readonly port: number;
  /** Resolves the next connection (one session at a time is the caller's choice). */
  accept(): Promise<AcceptedConnection>;
  close(): Promise<void>;
}

/** Listens on `host:port`; rejects with "device" when the address is taken. */
export function listenTcp(host: string, port: number): Promise<TcpListener> {
  return new Promise((resolve, reject) => {
    const waiting: Array<(t: AcceptedConnection) => void> = [];
    const backlog: AcceptedConnection[] = [];
    const server = net.createServer((socket) => {
      const remoteHost = (socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
      const transport = Object.assign(socketTransport(socket, `tcp://${remoteHost}:${socket.remotePort}`), {
        remoteHost,
      });
      const taker = waiting.shift();
      if (taker) taker(transport);
      else backlog.push(transport);
    });
    server.once(
      "error",
      (error) => reject(new QrngError("device", `Cannot listen on ${host}:${port}: ${describeError(error)}`)),
    );
    server.listen(port, host, () => {
      const address = server.address() as net.AddressInfo;
      resolve({
        host: address.address,
        port: address.port,
        accept: () => {
          const ready = backlog.shift();
          return ready ? Promise.resolve(ready) : new Promise((r) => waiting.push(r));
        },
        // Connections not yet taken are dropped; a close never waits on a peer that lingers.
        close: async () => {
          for (const pending of backlog.splice(0)) await pending.close();
          await new Promise<void>((r) => {
            const timer = setTimeout(r, CLOSE_WAIT_MS);
            server.close(() => (clearTimeout(timer), r()));
          });
        },
      });
    });
  });
}
