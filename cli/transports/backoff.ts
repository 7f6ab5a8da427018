/**
 * Cooperative waiting for non-blocking file descriptors. Bun's FFI cannot wait in a thread, so
 * a transport polls with a 0 timeout and, when nothing is ready, yields to the event loop:
 * first a few immediate turns (data usually follows within microseconds when a transfer is
 * flowing), then timer sleeps that double up to {@link MAX_WAIT_MS}. Any progress resets the
 * backoff. Other work in the same process (an emulator on the other end of a pty) keeps running.
 */
import { setImmediate } from "node:timers";

/** Empty polls answered with an immediate turn of the event loop before sleeping. */
export const IMMEDIATE_TURNS = 16;
/** The first timer sleep once the immediate turns are used up. */
export const MIN_WAIT_MS = 1;
/** The longest sleep between polls: bounds the added latency of an idle line. */
export const MAX_WAIT_MS = 4;

/** A backoff for one waiting loop; call {@link Backoff.reset} on progress. */
export class Backoff {
  #turns = 0;
  #waitMs = MIN_WAIT_MS;

  /** Forget earlier empty polls: the next wait is an immediate turn again. */
  reset(): void {
    this.#turns = 0;
    this.#waitMs = MIN_WAIT_MS;
  }

  /**
   * Yields to the event loop, for at most `limitMs` milliseconds when given. With `block`, a
   * sleep is spent in it instead of on a timer (e.g. poll(2) on the descriptor, which the
   * kernel ends the moment data arrives), followed by one immediate turn.
   */
  wait(limitMs = Infinity, block?: (ms: number) => void): Promise<void> {
    if (this.#turns < IMMEDIATE_TURNS) {
      this.#turns++;
      return new Promise((resolve) => setImmediate(resolve));
    }
    const ms = Math.max(0, Math.min(this.#waitMs, limitMs));
    this.#waitMs = Math.min(this.#waitMs * 2, MAX_WAIT_MS);
    if (block) {
      block(ms);
      return new Promise((resolve) => setImmediate(resolve));
    }
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
