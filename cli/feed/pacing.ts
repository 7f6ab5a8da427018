/**
 * When `qrng feed` adds its next bytes on its own: a schedule at a minimum rate. Everything fed
 * counts toward it, including what the kernel asked for, so a burst at boot is followed by a
 * pause; a feeder that fell behind (a slow device) catches up without sleeping. Pure: the
 * caller passes the clock's readings.
 */

/** A minimum-rate schedule over a monotonic clock in milliseconds. */
export class Pacer {
  readonly #bytesPerSecond: number;
  readonly #startMs: number;
  #bytes = 0;

  /** `bytesPerSecond` may be Infinity (never wait) or 0 (never due: feed only when asked). */
  constructor(bytesPerSecond: number, startMs: number) {
    if (!(bytesPerSecond >= 0)) {
      throw new RangeError(`Pacer: rate must be ≥ 0 bytes/s, not ${bytesPerSecond}`);
    }
    this.#bytesPerSecond = bytesPerSecond;
    this.#startMs = startMs;
  }

  /** Counts `bytes` fed (on schedule or not). */
  record(bytes: number): void {
    this.#bytes += bytes;
  }

  /** Milliseconds from `nowMs` until the schedule wants more bytes: 0 when due, Infinity never. */
  waitMs(nowMs: number): number {
    if (this.#bytesPerSecond === Infinity) return 0;
    if (this.#bytesPerSecond === 0) return Infinity;
    const dueMs = this.#startMs + (this.#bytes / this.#bytesPerSecond) * 1000;
    return Math.max(0, dueMs - nowMs);
  }
}
