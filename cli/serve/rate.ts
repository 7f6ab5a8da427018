/**
 * Per-client rate caps: a token bucket of bytes that refills at the cap's rate and holds at
 * most a second's worth (or one largest request, if more), so a client that paused may take
 * one burst, and none takes more than the cap on average.
 */

/** A token bucket of bytes. */
export class TokenBucket {
  #tokens: number;
  #at: number;

  /** `rateBytesPerS` may be Infinity (no cap); `now` is a monotonic millisecond clock. */
  constructor(
    readonly rateBytesPerS: number,
    readonly burstBytes: number,
    private readonly now: () => number,
  ) {
    this.#tokens = burstBytes;
    this.#at = now();
  }

  #refill(): void {
    const now = this.now();
    this.#tokens = Math.min(this.burstBytes, this.#tokens + (now - this.#at) / 1000 * this.rateBytesPerS);
    this.#at = now;
  }

  /** Milliseconds until `bytes` may be spent: 0 when they may be now. */
  delayFor(bytes: number): number {
    if (this.rateBytesPerS === Infinity) return 0;
    this.#refill();
    const short = Math.min(bytes, this.burstBytes) - this.#tokens;
    return short <= 0 ? 0 : Math.ceil(short / this.rateBytesPerS * 1000);
  }

  /** Spends `bytes` (the balance may go below zero: the next delay then covers it). */
  spend(bytes: number): void {
    if (this.rateBytesPerS === Infinity) return;
    this.#refill();
    this.#tokens -= bytes;
  }

  /** Whether the bucket is full (an idle client's bucket can be forgotten). */
  get full(): boolean {
    this.#refill();
    return this.#tokens >= this.burstBytes;
  }
}

/** The most client buckets an HTTP listener remembers before it forgets the full ones. */
const REMEMBERED_CLIENTS = 4096;

/** Buckets by client key (an HTTP client's address). */
export class ClientBuckets {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(private readonly make: () => TokenBucket) {}

  /** The bucket of `client`. */
  of(client: string): TokenBucket {
    let bucket = this.#buckets.get(client);
    if (!bucket) {
      if (this.#buckets.size >= REMEMBERED_CLIENTS) {
        for (const [key, b] of this.#buckets) if (b.full) this.#buckets.delete(key);
      }
      bucket = this.make();
      this.#buckets.set(client, bucket);
    }
    return bucket;
  }
}
