/**
 * UDP transports (node:dgram): a client that sends commands as datagrams to a device and reads
 * what comes back to its socket, and the emulator's side that answers whoever wrote last.
 * Datagram boundaries carry no meaning in Cmd&Ctrl, so both present a byte stream. UDP may
 * lose, reorder and duplicate datagrams, and anyone may send one: callers count bytes, treat a
 * shortfall as an error and a surplus as suspect (cli/devices/cmdctrl/driver.ts). Here the
 * receive side stays bounded (at most UDP_QUEUE_MAX_BYTES queued; later datagrams are dropped
 * and counted) and, for hosts, drops exact copies of a recent data-sized datagram (a network
 * duplicate: random data never repeats a datagram).
 */
import * as dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { describeError, QrngError } from "../errors.ts";
import { ByteQueue } from "./byte_queue.ts";
import type { Transport } from "./transport.ts";

/** Largest datagram written: data is split into datagrams of this size. */
export const UDP_DATAGRAM_BYTES = 1400;

/**
 * Most bytes of received datagrams queued unread: room for dozens of the largest one-shot
 * (65,535 bytes); a flood beyond it is dropped, not buffered.
 */
export const UDP_QUEUE_MAX_BYTES = 1 << 20;
/**
 * Datagrams at least this long are checked for being a copy of a recent one. No Cmd&Ctrl
 * response is this long (the longest, a public key, is 65 bytes), so only data is; shorter
 * datagrams (a status answered twice) legitimately repeat.
 */
export const DUPLICATE_MIN_BYTES = 128;
/** How many recent data-sized datagrams a copy is looked for among (about 1.4 MB of data). */
const DUPLICATE_WINDOW_DATAGRAMS = 1024;
/** Bytes at each end of a datagram that its fingerprint covers (with its length). */
const FINGERPRINT_END_BYTES = 64;

/** Received datagrams an endpoint dropped, counted since it opened. */
export interface DatagramDrops {
  /** Exact copies of a recent data-sized datagram. */
  duplicates: number;
  /** Datagrams (and their bytes) that arrived while the queue held UDP_QUEUE_MAX_BYTES. */
  overflowDatagrams: number;
  overflowBytes: number;
}

/** A bound UDP socket as a byte-stream Transport. */
export interface UdpEndpoint extends Transport {
  /** The local port bound. */
  readonly port: number;
  /** What was dropped on receipt so far (see the module comment). */
  dropped(): DatagramDrops;
  /** Sets where writes go. */
  setPeer(host: string, port: number): void;
}

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
  /** Drop exact copies of recent data-sized datagrams (hosts; a device's commands may repeat). @default false */
  dropDuplicates?: boolean;
}

function bind(
  socket: dgram.Socket,
  port: number,
  host: string | undefined,
  description: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once(
      "error",
      (error) =>
        reject(
          new QrngError("device", `Cannot bind UDP port ${port} for ${description}: ${describeError(error)}`),
        ),
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
  const queue = new ByteQueue({ highWaterBytes: UDP_QUEUE_MAX_BYTES });
  const drops: DatagramDrops = { duplicates: 0, overflowDatagrams: 0, overflowBytes: 0 };
  const recent = options.dropDuplicates ? new RecentDatagrams(DUPLICATE_WINDOW_DATAGRAMS) : undefined;
  let peer = options.peer;
  const onlyFromPeer = options.onlyFromPeer ?? peer !== undefined;
  socket.on("message", (message: Uint8Array, remote: dgram.RemoteInfo) => {
    if (onlyFromPeer && peer && remote.address !== peer.host && !sameLoopback(remote.address, peer.host)) {
      return;
    }
    options.onSender?.(remote.address, remote.port);
    if (!options.peer) peer = { host: remote.address, port: remote.port };
    if (queue.size + message.length > UDP_QUEUE_MAX_BYTES) {
      drops.overflowDatagrams++;
      drops.overflowBytes += message.length;
    } else if (recent && message.length >= DUPLICATE_MIN_BYTES && recent.seen(message)) {
      drops.duplicates++;
    } else {
      queue.push(message);
    }
  });
  socket.on("error", () => queue.end(new QrngError("disconnected", `${options.description}: socket error`)));
  const send = (datagram: Uint8Array, to: { host: string; port: number }) =>
    new Promise<void>((resolve, reject) =>
      socket.send(
        datagram,
        to.port,
        to.host,
        (error) =>
          error
            ? reject(new QrngError("disconnected", `${options.description}: ${describeError(error)}`))
            : resolve(),
      )
    );
  let closed = false;
  return {
    description: options.description,
    port: (socket.address() as { port: number }).port,
    dropped: () => ({ ...drops }),
    async write(data) {
      if (closed) throw new QrngError("disconnected", `${options.description}: closed`);
      if (!peer) return; // nobody to answer yet
      if (data.length === 0) return await send(new Uint8Array(0), peer);
      for (let offset = 0; offset < data.length; offset += UDP_DATAGRAM_BYTES) {
        await send(data.slice(offset, offset + UDP_DATAGRAM_BYTES), peer);
      }
    },
    setPeer(host, port) {
      peer = { host, port };
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

/**
 * Fingerprints of the last `capacity` datagrams: the length and two 32-bit hashes of the first
 * and last FINGERPRINT_END_BYTES (random data never agrees in 2 × 64 bytes; hashing every
 * byte cost about 70 ms of CPU per 8 MiB read, a fifth of the read). A false match only drops
 * a datagram, which a counted read reports as a shortfall. (Only a party that sees the data
 * could forge a twin that passes for a copy, and such a party can replace unsigned data anyway.)
 */
class RecentDatagrams {
  readonly #keys = new Set<string>();
  readonly #order: string[] = [];
  #next = 0;

  constructor(readonly capacity: number) {}

  /** Whether `datagram` matches a recent one; remembers it either way. */
  seen(datagram: Uint8Array): boolean {
    let fnv = 0x811c9dc5;
    let murmur = 0x9747b28c;
    const mix = (byte: number) => {
      fnv = Math.imul(fnv ^ byte, 0x01000193);
      murmur = Math.imul(murmur ^ byte, 0x5bd1e995);
      murmur ^= murmur >>> 15;
    };
    const head = Math.min(datagram.length, FINGERPRINT_END_BYTES);
    for (let i = 0; i < head; i++) mix(datagram[i]);
    for (let i = Math.max(head, datagram.length - FINGERPRINT_END_BYTES); i < datagram.length; i++) {
      mix(datagram[i]);
    }
    const key = `${datagram.length}:${fnv >>> 0}:${murmur >>> 0}`;
    if (this.#keys.has(key)) return true;
    const evicted = this.#order[this.#next];
    if (evicted !== undefined) this.#keys.delete(evicted);
    this.#order[this.#next] = key;
    this.#next = (this.#next + 1) % this.capacity;
    this.#keys.add(key);
    return false;
  }
}

function sameLoopback(a: string, b: string): boolean {
  const loop = (x: string) =>
    x === "127.0.0.1" || x === "::1" || x === "localhost" || x === "::ffff:127.0.0.1";
  return loop(a) && loop(b);
}

/** Connects a UDP client to a device at `host:port` (commands and answers by datagram). */
export function connectUdp(host: string, port: number): Promise<UdpEndpoint> {
  const shown = host.includes(":") ? `[${host}]` : host;
  return openUdp({ peer: { host, port }, description: `udp://${shown}:${port}`, dropDuplicates: true });
}
