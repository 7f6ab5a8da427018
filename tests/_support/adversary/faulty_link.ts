/**
 * The wire half of the adversarial device: a Transport (pty, TCP connection, UDP socket) seen
 * through two views, one for responses and one for random data, that share one ordered
 * delivery line. The line delays every write by the script's latency plus jitter (writes stay
 * in order, as on one connection); on datagram links the data view also splits data into
 * datagrams and duplicates, drops, reorders and injects them (from another port).
 */
import { QrngError } from "../../../cli/errors.ts";
import type { Transport } from "../../../cli/transports/transport.ts";
import { openUdp, type UdpEndpoint } from "../../../cli/transports/udp.ts";
import type { DatagramFaults } from "./script.ts";

/**
 * Data datagram size: below UDP_DATAGRAM_BYTES, and a multiple of the fault matrix's 32-byte
 * check chunk, so that reordered datagrams (which no client can notice: Cmd&Ctrl data carries
 * no sequence numbers) keep every chunk whole while duplicated ones repeat whole chunks.
 */
export const DATA_DATAGRAM_BYTES = 1376;
/** Bytes the delivery line may hold before writes wait (a fast stream must not pile up). */
const LINE_HIGH_WATER_BYTES = 1 << 20;

/** Options of {@link FaultyLink}. */
export interface FaultyLinkOptions {
  latencyMs?: number;
  jitterMs?: number;
  /** Datagram faults; present only on datagram links (UDP, the TCP+UDP data socket). */
  datagrams?: DatagramFaults;
  /** Whether the link carries datagrams (data is split into DATA_DATAGRAM_BYTES pieces). */
  datagramLink: boolean;
  /** Uniform in [0, 1): the jitter's source (seeded, so runs repeat). */
  random(): number;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Foreign bytes for strays and injections. */
  foreign(length: number): Uint8Array;
}

/** See the module comment. */
export class FaultyLink {
  /** Where the device writes responses. */
  readonly commands: Transport;
  /** Where the device writes random data. */
  readonly data: Transport;
  readonly #inner: Transport;
  readonly #o: FaultyLinkOptions;
  readonly #delayed: boolean;
  #tail: Promise<void> = Promise.resolve();
  #lastDue = 0;
  #queued = 0;
  #error: unknown;
  #datagrams = 0;
  #peer: { host: string; port: number } | undefined;
  #injector: Promise<UdpEndpoint> | undefined;

  constructor(inner: Transport, options: FaultyLinkOptions) {
    this.#inner = inner;
    this.#o = options;
    this.#delayed = (options.latencyMs ?? 0) > 0 || (options.jitterMs ?? 0) > 0;
    const view = (write: (bytes: Uint8Array) => Promise<void>): Transport => ({
      description: inner.description,
      write,
      read: (buffer, timeoutMs) => inner.read(buffer, timeoutMs),
      discardInput: () => inner.discardInput(),
      close: () => this.close(),
    });
    this.commands = view((bytes) => this.#send([bytes]));
    this.data = view((bytes) => this.#sendData(bytes));
  }

  /** The host was heard from `host:port` (a UDP sender): injected datagrams go there. */
  notePeer(host: string, port: number): void {
    this.#peer = { host, port };
  }

  async #sendData(bytes: Uint8Array): Promise<void> {
    if (!this.#o.datagramLink) return await this.#send([bytes]);
    const faults = this.#o.datagrams ?? {};
    const every = (n: number | undefined) => n !== undefined && this.#datagrams % n === 0;
    const pieces: Array<Uint8Array | "inject"> = [];
    for (let offset = 0; offset < bytes.length; offset += DATA_DATAGRAM_BYTES) {
      const piece = bytes.subarray(offset, offset + DATA_DATAGRAM_BYTES);
      this.#datagrams++;
      if (every(faults.dropEvery)) continue;
      if (every(faults.reorderEvery) && offset + DATA_DATAGRAM_BYTES < bytes.length) {
        // The next datagram goes first, then this one.
        offset += DATA_DATAGRAM_BYTES;
        this.#datagrams++;
        pieces.push(bytes.subarray(offset, offset + DATA_DATAGRAM_BYTES), piece);
        continue;
      }
      pieces.push(piece);
      if (every(faults.duplicateEvery)) pieces.push(piece);
      if (every(faults.injectEvery)) pieces.push("inject");
    }
    await this.#send(pieces);
  }

  /** Keeps the line silent for `ms` after everything written so far has gone out. */
  async pause(ms: number): Promise<void> {
    if (!this.#delayed) return await this.#o.sleep(ms);
    this.#lastDue = Math.max(this.#lastDue, this.#o.now()) + ms;
  }

  /** Sends `pieces` in order after the latency; "inject" is a foreign datagram from another port. */
  async #send(pieces: Array<Uint8Array | "inject">): Promise<void> {
    if (this.#error) throw this.#error;
    const deliver = (piece: Uint8Array | "inject") =>
      piece === "inject" ? this.#inject() : this.#inner.write(piece);
    if (!this.#delayed) {
      for (const piece of pieces) await deliver(piece);
      return;
    }
    for (const shared of pieces) {
      // The caller reuses its buffer once this resolves: a delayed piece must be a copy.
      const piece = shared === "inject" ? shared : shared.slice();
      const { latencyMs = 0, jitterMs = 0 } = this.#o;
      const due = Math.max(this.#lastDue, this.#o.now() + latencyMs + jitterMs * this.#o.random());
      this.#lastDue = due;
      const length = piece === "inject" ? 0 : piece.length;
      this.#queued += length;
      this.#tail = this.#tail.then(async () => {
        try {
          const wait = due - this.#o.now();
          if (wait > 0) await this.#o.sleep(wait);
          if (!this.#error) await deliver(piece);
        } catch (error) {
          this.#error = error;
        } finally {
          this.#queued -= length;
        }
      });
    }
    if (this.#queued > LINE_HIGH_WATER_BYTES) await this.#tail;
  }

  /** One foreign datagram to the host from a socket of its own (another port). */
  async #inject(): Promise<void> {
    const peer = this.#peer;
    if (!peer) return;
    this.#injector ??= openUdp({
      bindHost: "127.0.0.1",
      peer,
      onlyFromPeer: false,
      description: "foreign sender",
    });
    await (await this.#injector).write(this.#o.foreign(DATA_DATAGRAM_BYTES));
  }

  /** Closes the transport (and the foreign sender); deliveries still pending are dropped. */
  async close(): Promise<void> {
    this.#error ??= new QrngError("disconnected", `${this.#inner.description}: closed`);
    await this.#inner.close();
    await (await this.#injector)?.close();
  }
}
