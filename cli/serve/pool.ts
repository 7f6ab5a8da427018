/**
 * The daemon's pool of validated bytes: one ring buffer of fixed size (no allocation per burst,
 * so memory stays flat). A burst is staged into the free part of the ring, invisible to
 * consumers, and committed (or dropped) whole once judged. Consumers take committed bytes,
 * each byte exactly once (a take removes what it returns, synchronously, so no two consumers
 * can get the same byte); those that find too little wait in one FIFO queue (no consumer
 * overtakes an earlier one) until bytes come, their deadline passes or they go away. Nothing
 * is persisted.
 *
 *   ring:  [ committed (takes read here) | staged (the burst) | free ]   (wrapping around)
 *            ^head                         ^head+level          ^head+level+staged
 */
import { QrngError } from "../errors.ts";

/** How a consumer takes bytes. */
export interface TakeOptions {
  /** Wait until all the bytes asked for are there and take them at once (an HTTP answer). */
  readonly whole: boolean;
  /** How long to wait on an empty pool before failing with kind "timeout". */
  readonly waitMs: number;
  /** The consumer went away: stop waiting (rejects kind "interrupted"). */
  readonly signal?: AbortSignal;
}

interface Waiter {
  readonly bytes: number;
  readonly whole: boolean;
  /** Takes `count` bytes (there are that many) out of the pool for this waiter. */
  serve(count: number): void;
  reject(error: QrngError): void;
}

/** A bounded FIFO of validated bytes; see the module comment. */
export class Pool {
  readonly #ring: Uint8Array;
  #head = 0;
  #level = 0;
  #staged = 0;
  readonly #waiters: Waiter[] = [];
  #roomWaiters: Array<{ bytes: number; resolve(): void }> = [];
  /** Set when the pool serves nothing more (the gate failed, or the daemon stops). */
  #closedBy: QrngError | undefined;
  /** Set when no more bytes will come: takes the pool cannot answer fail at once with it. */
  #endedBy: QrngError | undefined;

  /**
   * `capacityBytes`: the most it holds. `whyEmpty` explains an empty pool in a deadline error
   * ("the device is reconnecting after: ...").
   */
  constructor(readonly capacityBytes: number, private readonly whyEmpty: () => string) {
    this.#ring = new Uint8Array(capacityBytes);
  }

  /** Committed bytes in the pool. */
  get level(): number {
    return this.#level;
  }

  /** Room left beside the committed and staged bytes. */
  get free(): number {
    return this.capacityBytes - this.#level - this.#staged;
  }

  /** Consumers waiting for bytes. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Where the next staged bytes go: the free part of the ring up to its end or the head (a view;
   * empty when full). Fill a prefix, then {@link stage} its length.
   */
  stageSpace(): Uint8Array {
    const tail = (this.#head + this.#level + this.#staged) % this.capacityBytes;
    return this.#ring.subarray(tail, Math.min(this.capacityBytes, tail + this.free));
  }

  /** Marks `bytes` written at the start of {@link stageSpace} as staged: kept, not yet served. */
  stage(bytes: number): void {
    if (!(bytes >= 0 && bytes <= this.stageSpace().length)) {
      throw new RangeError(`Pool: ${bytes} bytes beyond the stage space`);
    }
    this.#staged += bytes;
  }

  /** Stages as much of `bytes` as there is room for (see {@link stage}); returns how many. */
  stageFrom(bytes: Uint8Array): number {
    let staged = 0;
    while (staged < bytes.length) {
      const space = this.stageSpace(); // up to the ring's end: a second pass wraps
      if (space.length === 0) break;
      const take = Math.min(space.length, bytes.length - staged);
      space.set(bytes.subarray(staged, staged + take));
      this.#staged += take;
      staged += take;
    }
    return staged;
  }

  /** Makes the staged bytes available to consumers; resolves how many they were. */
  commitStaged(): number {
    const staged = this.#staged;
    this.#staged = 0;
    if (this.#closedBy) return 0;
    this.#level += staged;
    this.#serveWaiters();
    return staged;
  }

  /** Forgets the staged bytes (their burst failed); resolves how many they were. */
  dropStaged(): number {
    const staged = this.#staged;
    this.#staged = 0;
    this.#wakeRoomWaiters();
    return staged;
  }

  /** Exactly `bytes` bytes taken now, if the pool has them and nobody waits before; else undefined. */
  takeNow(bytes: number): Uint8Array | undefined {
    if (this.#closedBy || this.#waiters.length > 0 || this.#level < bytes) return undefined;
    return this.#takeNow(bytes);
  }

  /**
   * Resolves up to `bytes` bytes, at least one (exactly `bytes` with `whole`), taken out of the
   * pool for this consumer alone. Rejects kind "timeout" when none come within `waitMs`,
   * "interrupted" when `signal` aborts, or the error the pool was closed or ended with.
   */
  take(bytes: number, options: TakeOptions): Promise<Uint8Array> {
    return this.#take(bytes, options, (count) => this.#takeNow(count));
  }

  /**
   * As {@link take} (not `whole`), but nothing is copied: `send` gets the taken bytes where they
   * lie in the pool (one piece, or two where the ring wraps), synchronously, and must be done
   * with them when it returns (their room is refilled later). Resolves how many it got.
   *
   * With `headroom`, the first piece starts with that many bytes of the ring's free room right
   * before the taken bytes when there is that much (`headed` is then true): room for a header
   * that then goes out with the bytes in one write. Free room holds nothing served or staged,
   * and staging writes it before it counts, so what a header leaves there is never served.
   */
  takeInPlace(
    bytes: number,
    options: Omit<TakeOptions, "whole">,
    send: (pieces: Uint8Array[], headed: boolean) => void,
    headroom = 0,
  ): Promise<number> {
    return this.#take(bytes, { ...options, whole: false }, (count) => {
      const pieces = this.#front(count);
      // Free room ends where the committed bytes start: the bytes before the head, if it has them.
      const headed = headroom > 0 && this.free >= headroom && this.#head >= headroom;
      if (headed) pieces[0] = this.#ring.subarray(this.#head - headroom, this.#head + pieces[0].length);
      send(pieces, headed);
      this.#remove(count);
      return count;
    });
  }

  /** Takes for one consumer: `takeOut(count)` removes `count` bytes and makes the result. */
  #take<T>(bytes: number, options: TakeOptions, takeOut: (count: number) => T): Promise<T> {
    if (this.#closedBy) return Promise.reject(this.#closedBy);
    if (options.whole && bytes > this.capacityBytes) {
      return Promise.reject(new RangeError(`Pool: ${bytes} bytes exceed the capacity`));
    }
    if (this.#waiters.length === 0 && this.#level >= (options.whole ? bytes : 1)) {
      return Promise.resolve(takeOut(Math.min(bytes, this.#level)));
    }
    if (this.#endedBy) return Promise.reject(this.#endedBy);
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
      };
      const waiter: Waiter = {
        bytes,
        whole: options.whole,
        serve: (count) => {
          finish();
          resolve(takeOut(count));
        },
        reject: (error) => (finish(), reject(error)),
      };
      const timer = setTimeout(() => {
        waiter.reject(
          new QrngError("timeout", `No validated bytes within ${options.waitMs} ms: ${this.whyEmpty()}`),
        );
        // A whole take at the head may have held back smaller ones behind it.
        this.#serveWaiters();
      }, options.waitMs);
      const onAbort = () => waiter.reject(new QrngError("interrupted", "the consumer went away"));
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      if (options.signal?.aborted) onAbort();
    });
  }

  /** Resolves once at least `bytes` are free (or the pool closed). */
  roomFor(bytes: number): Promise<void> {
    if (this.free >= bytes || this.#closedBy) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push({ bytes, resolve }));
  }

  /**
   * No more bytes will come (the daemon is draining): what the pool holds is still served, but
   * a take it cannot answer, now or waiting, fails at once with `error`.
   */
  end(error: QrngError): void {
    this.#endedBy ??= error;
    this.#serveWaiters();
    for (const waiter of this.#waiters.slice()) waiter.reject(error);
  }

  /**
   * Serves nothing more: empties the pool, rejects every waiting and later take with `error`;
   * resolves how many committed bytes were thrown away.
   */
  close(error: QrngError): number {
    const dropped = this.#level;
    this.#closedBy ??= error;
    this.#level = 0;
    for (const waiter of this.#waiters.slice()) waiter.reject(this.#closedBy);
    this.#wakeRoomWaiters();
    return dropped;
  }

  #serveWaiters(): void {
    while (this.#waiters.length > 0 && this.#level > 0) {
      const head = this.#waiters[0];
      if (head.whole && this.#level < head.bytes) break;
      head.serve(Math.min(head.bytes, this.#level));
    }
  }

  /** Removes the first `count` committed bytes (there are that many), copied out of the ring. */
  #takeNow(count: number): Uint8Array {
    const taken = new Uint8Array(count);
    let at = 0;
    for (const piece of this.#front(count)) {
      taken.set(piece, at);
      at += piece.length;
    }
    this.#remove(count);
    return taken;
  }

  /** The first `count` committed bytes where they lie: one piece, or two where the ring wraps. */
  #front(count: number): Uint8Array[] {
    const first = Math.min(count, this.capacityBytes - this.#head);
    const pieces = [this.#ring.subarray(this.#head, this.#head + first)];
    if (first < count) pieces.push(this.#ring.subarray(0, count - first));
    return pieces;
  }

  /** Forgets the first `count` committed bytes (they were handed out). */
  #remove(count: number): void {
    this.#head = (this.#head + count) % this.capacityBytes;
    this.#level -= count;
    this.#wakeRoomWaiters();
  }

  #wakeRoomWaiters(): void {
    if (this.#roomWaiters.length === 0) return;
    const ready = this.#roomWaiters.filter((w) => this.free >= w.bytes || this.#closedBy);
    this.#roomWaiters = this.#roomWaiters.filter((w) => !ready.includes(w));
    for (const waiter of ready) waiter.resolve();
  }
}
