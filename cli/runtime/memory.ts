/**
 * Keeps a busy process's memory at its working set. Bun's collector lets short-lived garbage
 * pile up far beyond what is live; Deno and Node collect soon enough on their own.
 *
 * - The fleet: publishing and taking allocate a few short-lived buffers per 4 KiB block (the
 *   block, its headers, the client's encoded frame): a publisher measured 276 MB peak after
 *   128 MiB (and growing with what it published) while a full collection left 28 MB of heap (no
 *   leak: garbage). A full collection every MiB keeps the peak flat near the live set
 *   (publisher ~95 MB after 128 MiB; every 2 MiB reached 103 MB, every 8 MiB 141 MB).
 * - `qrng serve`'s HTTP listener: each request leaves a few KiB of the runtime's request and
 *   answer objects; 100 clients at ~20 000 requests/s took the daemon from 81 to 136-165 MB
 *   peak, a collection every 500 requests holds it at 86-89 MB for ~10 % of the request rate.
 * - `qrng serve`'s device reading: the transport's chunks at 200-300 MiB/s took the daemon
 *   from 81 MB (its 16 MiB pool full) to 100-110 MB peak; a collection every 8 MiB read, 93.
 */

/** Bytes moved between two full collections (the fleet's default). */
export const RECLAIM_EVERY_BYTES = 1024 * 1024;

interface BunGlobal {
  readonly Bun?: { gc(synchronous: boolean): void };
}

/** Counts work done and runs a full collection after every `every` units of it. */
export class MemoryReclaimer {
  #since = 0;

  /**
   * `every`: the amount (in the caller's unit: bytes moved, requests answered) between two
   * collections. `synchronous`: collect before going on (the most memory kept back), or let the
   * collector run beside the work (no pause for whoever waits on it).
   */
  constructor(private readonly every = RECLAIM_EVERY_BYTES, private readonly synchronous = true) {}

  /** Notes `amount` of work done; collects when enough garbage may have piled up. */
  moved(amount: number): void {
    this.#since += amount;
    if (this.#since < this.every) return;
    this.#since = 0;
    (globalThis as BunGlobal).Bun?.gc(this.synchronous);
  }
}
