/**
 * Keeps a long-running Bun process's memory near its working set while it moves a stream.
 * Bun's collector lets short-lived garbage (its sockets' per-read objects, each block's
 * buffers and promises) pile up far beyond what is live: `qrng read 1G` peaked at 102-106 MB
 * where a full collection every 64 MiB keeps it near 75 MB; a fleet publisher reached 276 MB
 * after 128 MiB where one every MiB kept it near 95 MB; `qrng serve` went from 81 MB (its
 * 16 MiB pool full) to 100-110 MB under 16 consumers at full rate (one every 8 MiB read: ~93;
 * once it stopped copying the bytes in flight at each STOP, one every 32 MiB: ~94) and to
 * 136-165 MB under 100 HTTP clients (one every 500 requests: 86-89). A full collection
 * of a small heap costs well under a millisecond to a few. Deno and Node collect soon enough on
 * their own: there it does nothing.
 */

interface BunGlobal {
  readonly Bun?: { gc(synchronous: boolean): void };
}

/** Counts work done and runs a full collection (under Bun) after every `every` units of it. */
export class MemoryReclaimer {
  readonly #every: number;
  readonly #synchronous: boolean;
  readonly #bun = (globalThis as BunGlobal).Bun;
  #since = 0;

  /**
   * `every`: the amount (in the caller's unit: bytes moved, requests answered) between two
   * collections. `synchronous`: collect before going on (the most memory kept back), or let
   * the collector run beside the work (no pause for whoever waits on it).
   */
  constructor(every: number, synchronous = true) {
    if (!(every > 0)) throw new RangeError(`MemoryReclaimer: a period of ${every}`);
    this.#every = every;
    this.#synchronous = synchronous;
  }

  /** Notes `amount` of work done; collects when enough garbage may have piled up. */
  moved(amount: number): void {
    this.#since += amount;
    if (this.#since < this.#every) return;
    this.#since = 0;
    this.#bun?.gc(this.#synchronous);
  }
}
