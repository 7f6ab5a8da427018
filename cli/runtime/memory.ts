/**
 * Keeps a long-running Bun process's memory near its working set while it moves a stream.
 * Bun's collector lets short-lived garbage (its sockets' per-read objects, each block's
 * buffers and promises) pile up far beyond what is live: `qrng read 1G` peaked at 102-106 MB
 * where a full collection every 64 MiB keeps it near 75 MB; a fleet publisher reached 276 MB
 * after 128 MiB where one every MiB kept it near 95 MB. A full collection of a small heap costs
 * well under a millisecond to a few. Deno and Node collect soon enough on their own: there it
 * does nothing.
 */

interface BunGlobal {
  readonly Bun?: { gc(synchronous: boolean): void };
}

/** Counts bytes moved and runs a full collection (under Bun) after every `everyBytes`. */
export class MemoryReclaimer {
  readonly #everyBytes: number;
  readonly #bun = (globalThis as BunGlobal).Bun;
  #sinceBytes = 0;

  constructor(everyBytes: number) {
    if (!(everyBytes > 0)) throw new RangeError(`MemoryReclaimer: a period of ${everyBytes} bytes`);
    this.#everyBytes = everyBytes;
  }

  /** Notes `bytes` moved; collects when enough garbage may have piled up. */
  moved(bytes: number): void {
    this.#sinceBytes += bytes;
    if (this.#sinceBytes < this.#everyBytes) return;
    this.#sinceBytes = 0;
    this.#bun?.gc(true);
  }
}
