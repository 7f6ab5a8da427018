/**
 * UDP transports (node:dgram): a client that sends commands as datagrams to a device and reads
 * what comes back to its socket, and the emulator's side that answers whoever wrote last.
 * Datagram boundaries carry no meaning in Cmd&Ctrl, so both present a byte stream. UDP may
 * lose or reorder datagrams: callers count bytes and treat a shortfall as an error.
 */
import * as dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { describeError, QrngError } from "../errors.ts";
import { ByteQueue } from "./byte_queue.ts";
import type { Transport } from "./transport.ts";

/** Largest datagram written: data is split into datagrams of this size. */
export const UDP_DATAGRAM_BYTES = 1400;

/** A bound UDP socket as a byte-stream Transport. */
export interface UdpEndpoint extends Transport {
  /** The local port bound. */
  readonly port: number;
  /**
   * Sets where writes go. With `keepRecent`, a sender heard in the last PEER_FRESH_MS wins
   * (a TCP+UDP host registers its data port with an empty datagram).
   */
  setPeer(host: string, port: number, keepRecent?: boolean): void;
}

/** How long a learned peer is preferred over a default one. */
const PEER_FRESH_MS = 2000;

/** Options of {@link openUdp}. */
export interface UdpOptions {
  /** Local address and port to bind. @default any address, port 0 (ephemeral) */
  bindHost?: string;
  bindPort?: number;
  /** Where writes go; undefined: to the last sender seen (an emulator answering its host). */
  peer?: { host: string; port: number };
  /** Accept datagrams only from `peer`'s address. @default true when peer is given */
  onlyFromPeer?: boolean;
  description: string;
  /** Called for every datagram's sender (the TCP+UDP emulator learns its host's data port). */
  onSender?(host: string, port: number): void;
}

function bind(socket: dgram.Socket, port: number, host: string | undefined, description: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("error", (error) =>
      reject(new QrngError("device", `Cannot bind UDP port ${port} for ${description}: ${describeError(error)}`))
    );
    socket.bind(port, host, () => {
      socket.removeAllListeners("error");
      resolve();
    });
  });
}

/** Opens a UDP socket; see {@link UdpOptions}. */
export async function openUdp(options: UdpOptions): Promise<UdpEndpoint> {
  const v6 = isIPv6(options.peer?.host ?? options.bindHost ?? "");
  const socket = dgram.createSocket({ type: v6 ? "udp6" : "udp4", reuseAddr: false });
  await bind(socket, options.bindPort ?? 0, options.bindHost, options.description);
  // Generous receive buffer: a burst of data datagrams must not overflow it.
  try {
    socket.setRecvBufferSize(4 << 20);
  } catch {
    // Not every runtime supports it; the default is smaller but works.
  }
  const queue = new ByteQueue({ highWaterBytes: 8 << 20 });
  let peer = options.peer;
  const onlyFromPeer = options.onlyFromPeer ?? peer !== undefined;
  let heardAt = -Infinity;
  socket.on("message", (message: Uint8Array, remote: dgram.RemoteInfo) => {
    if (onlyFromPeer && peer && remote.address !== peer.host && !sameLoopback(remote.address, peer.host)) return;
    heardAt = performance.now();
    options.onSender?.(remote.address, remote.port);
    if (!options.peer) peer = { host: remote.address, port: remote.port };
    queue.push(message);
  });
  socket.on("error", () => queue.end(new QrngError("disconnected", `${options.description}: socket error`)));
  const send = (datagram: Uint8Array, to: { host: string; port: number }) =>
    new Promise<void>((resolve, reject) =>
      socket.send(datagram, to.port, to.host, (error) =>
        error
          ? reject(new QrngError("disconnected", `${options.description}: ${describeError(error)}`))
          : resolve())
    );
  let closed = false;
  return {
    description: options.description,
    port: (socket.address() as { port: number }).port,
    async write(data) {
      if (closed) throw new QrngError("disconnected", `${options.description}: closed`);
      if (!peer) return; // nobody to answer yet
      if (data.length === 0) return await send(new Uint8Array(0), peer);
      for (let offset = 0; offset < data.length; offset += UDP_DATAGRAM_BYTES) {
        await send(data.slice(offset, offset + UDP_DATAGRAM_BYTES), peer);
      }
    },
    setPeer(host, port, keepRecent) {
      if (!keepRecent || performance.now() - heardAt > PEER_FRESH_MS) peer = { host, port };
    },
    read: (buffer, timeoutMs) => queue.read(buffer, timeoutMs),
    discardInput() {
      queue.discard();
      return Promise.resolve();
    },
    close() {
      if (!closed) {
        closed = true;
        queue.end(new QrngError("disconnected", `${options.description}: closed`));
        socket.close();
      }
      return Promise.resolve();
    },
  };
}

function sameLoopback(a: string, b: string): boolean {
  const loop = (x: string) => x === "127.0.0.1" || x === "::1" || x === "localhost" || x === "::ffff:127.0.0.1";
  return loop(a) && loop(b);
}

/** Connects a UDP client to a device at `host:port` (commands and answers by datagram). */
export function connectUdp(host: string, port: number): Promise<UdpEndpoint> {
  const shown = host.includes(":") ? `[${host}]` : host;
  return openUdp({ peer: { host, port }, description: `udp://${shown}:${port}` });
}
