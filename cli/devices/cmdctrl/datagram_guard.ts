/**
 * What the Cmd&Ctrl driver adds over datagrams (UDP, TCP+UDP), where the network may duplicate
 * a datagram and anyone may send one: only bytes that answer the current request may count.
 * The guard flushes the data path before a request (strays are discarded with a note), looks
 * for bytes beyond a read's count (the driver settles every counted read with a GET_STATUS
 * round trip: a surplus before its answer fails the read closed), and turns the receiving
 * endpoint's drops (exact duplicates, a full queue; see cli/transports/udp.ts) into notes.
 */
import { setImmediate } from "node:timers";
import { QrngError } from "../../errors.ts";
import type { Transport } from "../../transports/transport.ts";
import type { DatagramDrops } from "../../transports/udp.ts";

/**
 * Resolves at the end of this event-loop turn, once every datagram already at the socket has
 * been queued: before a look for strays or surplus.
 */
export function endOfTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The endpoint datagrams arrive at, as the driver sees it. */
export interface DatagramReceiver {
  readonly description: string;
  dropped(): DatagramDrops;
}

/** See the module comment. */
export class DatagramGuard {
  readonly #receiver: DatagramReceiver;
  readonly #log: (line: string) => void;
  readonly #scratch = new Uint8Array(65536);
  /** Drops already reported. */
  #reported: DatagramDrops = { duplicates: 0, overflowDatagrams: 0, overflowBytes: 0 };

  constructor(receiver: DatagramReceiver, log: (line: string) => void) {
    this.#receiver = receiver;
    this.#log = log;
  }

  /** Before a request whose answer carries data: discards what `channel` holds, with a note. */
  async flush(channel: Transport): Promise<void> {
    await endOfTurn();
    const stray = await this.takeWaiting(channel);
    if (stray > 0) this.#log(`${this.#receiver.description}: discarded ${stray} bytes nobody asked for`);
    this.noteDrops();
  }

  /** Reads and discards everything `channel` holds right now; resolves how many bytes. */
  async takeWaiting(channel: Transport): Promise<number> {
    let taken = 0;
    for (let n; (n = await channel.read(this.#scratch, 0)) > 0;) taken += n;
    return taken;
  }

  /** The error that fails a read closed on a surplus. */
  surplus(what: string): QrngError {
    return new QrngError(
      "protocol",
      `Cannot ${what}: ${this.#receiver.description} sent more bytes than asked for ` +
        `(a duplicated or foreign datagram): refusing them all`,
    );
  }

  /** Notes the drops since the last report, if any. */
  noteDrops(): void {
    const drops = this.newDrops();
    if (drops) this.#log(`${this.#receiver.description}: ${drops}`);
  }

  /** The drops since the last report, as words ("" when none); they count as reported. */
  newDrops(): string {
    const now = this.#receiver.dropped();
    const before = this.#reported;
    this.#reported = now;
    const parts: string[] = [];
    const duplicates = now.duplicates - before.duplicates;
    if (duplicates > 0) {
      const which = duplicates === 1
        ? "datagram that repeats a recent one"
        : "datagrams that repeat recent ones";
      parts.push(`dropped ${duplicates} ${which}: network duplicates, or a device replaying data`);
    }
    const overflow = now.overflowDatagrams - before.overflowDatagrams;
    if (overflow > 0) {
      const bytes = now.overflowBytes - before.overflowBytes;
      parts.push(
        `dropped ${overflow} datagrams (${bytes} bytes) that arrived while the receive queue was full`,
      );
    }
    return parts.join(", ");
  }
}
