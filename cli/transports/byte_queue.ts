/**
 * A byte FIFO between event-driven producers (socket 'data' events, an in-process emulator)
 * and the pull-style {@link Transport.read}: chunks are kept as given (no copy), a read copies
 * out as much as fits. Above `highWaterBytes` the producer is told to pause, below half of it
 * to resume, so a slow reader bounds memory.
 */
import type { QrngError } from "../errors.ts";

/** Options of {@link ByteQueue}. */
export interface ByteQueueOptions {
  /** Buffered bytes above which {@link ByteQueueOptions.pause} is called. @default 1 MiB */
  highWaterBytes?: number;
  /** Stop producing (e.g. socket.pause()). */
  pause?(): void;
  /** Produce again. */
  resume?(): void;
}

/** Size of the recycled buffers {@link ByteQueue.lendBuffer} hands out. */
const POOL_CHUNK_BYTES = 65536;

/** A FIFO of received bytes with timed reads; see the module comment. */
export class ByteQueue {
  readonly #chunks: Uint8Array[] = [];
  /** For each chunk, the pooled buffer it lives in (returned to the pool once read), or null. */
  readonly #owners: Array<Uint8Array | null> = [];
  readonly #pool: Uint8Array[] = [];
  #offset = 0;
  #size = 0;
  #paused = false;
  #ended: QrngError | undefined;
  #wake: (() => void) | undefined;
  /** The buffer of a read waiting on an empty queue, and what {@link acceptLent} put in it. */
  #waiting: Uint8Array | undefined;
  #direct = 0;
  #drained: Array<() => void> = [];
  readonly #high: number;
  readonly #options: ByteQueueOptions;

  constructor(options: ByteQueueOptions = {}) {
    this.#options = options;
    this.#high = options.highWaterBytes ?? 1 << 20;
  }

  /** Bytes buffered. */
  get size(): number {
    return this.#size;
  }

  /** Appends `chunk`, which the queue now owns (the producer must not reuse it). */
  push(chunk: Uint8Array): void {
    this.#append(chunk, null);
  }

  /**
   * A recycled buffer for a producer to fill (a socket's `onread` buffer function); hand it
   * back with {@link acceptLent}, which keeps it without copying.
   */
  lendBuffer(): Uint8Array {
    return this.#pool.pop() ?? new Uint8Array(POOL_CHUNK_BYTES);
  }

  /**
   * Takes the first `length` bytes of a buffer from {@link lendBuffer}: a waiting read gets
   * them directly, otherwise the buffer joins the queue as is. Returns false when the producer
   * should pause.
   */
  acceptLent(buffer: Uint8Array, length: number): boolean {
    if (this.#waiting && this.#size === 0 && !this.#ended && length > 0 && length <= this.#waiting.length) {
      this.#waiting.set(buffer.subarray(0, length));
      this.#direct = length;
      this.#waiting = undefined;
      this.#pool.push(buffer);
      this.#notify();
      return true;
    }
    if (length === 0 || this.#ended) this.#pool.push(buffer);
    else this.#append(buffer.subarray(0, length), buffer);
    return this.#size <= this.#high;
  }

  #append(chunk: Uint8Array, owner: Uint8Array | null): void {
    if (this.#ended || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#owners.push(owner);
    this.#size += chunk.length;
    if (!this.#paused && this.#size > this.#high) {
      this.#paused = true;
      this.#options.pause?.();
    }
    this.#notify();
  }

  /** Marks the end: reads reject with `error` once the buffered bytes are consumed. */
  end(error: QrngError): void {
    this.#ended ??= error;
    this.#notify();
    this.#release();
  }

  /** Resolves once the queue holds at most `highWaterBytes` (for in-process producers). */
  belowHighWater(): Promise<void> {
    if (this.#size <= this.#high || this.#ended) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #release(): void {
    for (const resolve of this.#drained.splice(0)) resolve();
  }

  /** Reads up to `buffer.length` bytes, waiting up to `timeoutMs`: see Transport.read. */
  async read(buffer: Uint8Array, timeoutMs: number): Promise<number> {
    if (this.#size === 0) {
      if (this.#ended) throw this.#ended;
      if (timeoutMs <= 0) return 0;
      this.#waiting = buffer;
      this.#direct = 0;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#wake = undefined;
          resolve();
        }, timeoutMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiting = undefined;
      if (this.#direct > 0) {
        const direct = this.#direct;
        this.#direct = 0;
        return direct;
      }
      if (this.#size === 0) {
        if (this.#ended) throw this.#ended;
        return 0;
      }
    }
    let stored = 0;
    while (stored < buffer.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0];
      const take = Math.min(chunk.length - this.#offset, buffer.length - stored);
      buffer.set(chunk.subarray(this.#offset, this.#offset + take), stored);
      stored += take;
      this.#offset += take;
      if (this.#offset === chunk.length) {
        this.#chunks.shift();
        const owner = this.#owners.shift();
        if (owner) this.#pool.push(owner);
        this.#offset = 0;
      }
    }
    this.#size -= stored;
    this.#afterConsume();
    return stored;
  }

  /** Drops everything buffered. */
  discard(): void {
    for (const owner of this.#owners) if (owner) this.#pool.push(owner);
    this.#chunks.length = 0;
    this.#owners.length = 0;
    this.#offset = 0;
    this.#size = 0;
    this.#afterConsume();
  }

  #afterConsume(): void {
    if (this.#paused && this.#size <= this.#high / 2) {
      this.#paused = false;
      this.#options.resume?.();
    }
    if (this.#size <= this.#high) this.#release();
  }
}
