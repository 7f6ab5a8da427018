/**
 * A health-gated reader: the one way validated bytes leave a device. `qrng read`, the daemon,
 * the kernel feeder, the fleet publisher and the library all read through it, so they share
 * one fail-closed gate: every byte passes the continuous health tests and the repetition check
 * (health.ts) before any post-processing, and a read counts as good only after {@link
 * GatedReader.finish} judged the device's final status.
 */
import { openSource } from "./registry.ts";
import type { RandomSource, SourceOptions } from "../devices/device.ts";
import { PostprocessChain, type PostprocessOptions } from "../postprocess/mod.ts";
import { DEFAULT_ALPHA_LOG2, DEFAULT_H_PER_BYTE, ReadHealth } from "./health.ts";

/** How to open a {@link GatedReader}. */
export interface GatedReaderOptions extends Omit<SourceOptions, "sizeHint"> {
  /**
   * Validated bytes the caller expects to need, or Infinity for an open-ended stream: drivers
   * use it (scaled by the post-processing's cost) to choose one-shot or continuous reads.
   */
  readonly bytesWanted: number;
  /** Claimed min-entropy per byte, in bits. @default 8 */
  readonly h?: number;
  /** log2 of each health test's false-alarm probability. @default -40 */
  readonly alphaLog2?: number;
  /** Post-processing after the gate. @default none */
  readonly postprocess?: PostprocessOptions;
}

/** What {@link GatedReader.reopen} may change for the next source. */
export interface ReopenOptions {
  /** As {@link GatedReaderOptions.bytesWanted}, for the reopened source. */
  readonly bytesWanted: number;
  /** Ends every wait of the reopened source (see SourceOptions.signal). @default the open's */
  readonly signal?: AbortSignal;
}

/** A device source behind the health gate and post-processing. */
export class GatedReader {
  /** The health gate; its stats are the read's health accounting. */
  readonly health: ReadHealth;
  /** The post-processing after the gate. */
  readonly postprocess: PostprocessChain;
  readonly #open: (options: SourceOptions) => Promise<RandomSource>;
  readonly #sourceOptions: Omit<SourceOptions, "sizeHint">;
  #source: RandomSource;
  /** Whether {@link finish} judged the current source good: only then may the gate keep its bytes. */
  #judged = false;
  /** Bytes into the gate and out of it (before post-processing): what it holds is the difference. */
  #gateIn = 0;
  #gateOut = 0;
  /** Gate output still to be dropped: what an unjudged source left in the gate. */
  #dropBytes = 0;
  #bytesReleased = 0;
  /** Released bytes {@link readInto} has not handed out yet (a view into the gate's memory). */
  #pending: Uint8Array = new Uint8Array(0);

  private constructor(
    open: (options: SourceOptions) => Promise<RandomSource>,
    sourceOptions: Omit<SourceOptions, "sizeHint">,
    source: RandomSource,
    health: ReadHealth,
    postprocess: PostprocessChain,
  ) {
    this.#open = open;
    this.#sourceOptions = sourceOptions;
    this.#source = source;
    this.health = health;
    this.postprocess = postprocess;
  }

  /** Opens the device `uri` names behind a fresh gate. */
  static open(uri: string, options: GatedReaderOptions): Promise<GatedReader> {
    return GatedReader.openWith((sourceOptions) => openSource(uri, sourceOptions), options);
  }

  /**
   * Puts a fresh gate in front of the source `open` opens (the device registry's, or one over a
   * device the caller keeps open for commands); `open` gets the options and the size hint.
   */
  static async openWith(
    open: (options: SourceOptions) => Promise<RandomSource>,
    options: GatedReaderOptions,
  ): Promise<GatedReader> {
    const { bytesWanted, h, alphaLog2, postprocess: postprocessOptions, ...sourceOptions } = options;
    const health = new ReadHealth(h ?? DEFAULT_H_PER_BYTE, alphaLog2 ?? DEFAULT_ALPHA_LOG2);
    const postprocess = new PostprocessChain(postprocessOptions);
    const source = await open({ ...sourceOptions, sizeHint: postprocess.inputFor(bytesWanted) });
    return new GatedReader(open, sourceOptions, source, health, postprocess);
  }

  /**
   * Closes the current source and opens it again (the way it was first opened) behind the SAME
   * gate: its start-up test, failure counts and repetition history carry over, so a device that
   * replays its stream after reconnecting (an emulator restarted with the same seed) fails the
   * repetition check. For a daemon that reads in bursts and reconnects after faults. Bytes the
   * gate still holds from a source that {@link finish} did not judge good are dropped, never
   * released: their device's final status is unknown. Rejects as GatedReader.open does; the
   * reader then stays closed until the next reopen.
   */
  async reopen(options: ReopenOptions): Promise<void> {
    await this.close();
    if (!this.#judged) this.#dropUnjudged();
    this.#judged = false;
    const sourceOptions = { ...this.#sourceOptions, ...(options.signal ? { signal: options.signal } : {}) };
    this.#source = await this.#open({
      ...sourceOptions,
      sizeHint: this.postprocess.inputFor(options.bytesWanted),
    });
  }

  /** Marks everything the gate holds (untested, held back, released but not handed out) for dropping. */
  #dropUnjudged(): void {
    const stats = this.health.stats();
    const untested = this.#gateIn - stats.windowsTested * this.health.gate.windowBytes;
    const heldBack = stats.bytesReleased - this.#gateOut;
    this.#dropBytes = untested + heldBack;
    this.#pending = this.#pending.subarray(this.#pending.length);
  }

  /** What is being read, for messages. */
  get description(): string {
    return this.#source.description;
  }

  /** True for emulators: their data is reproducible, not random. */
  get emulated(): boolean {
    return this.#source.emulated;
  }

  /** Validated bytes released by the gate and post-processing so far. */
  get bytesReleased(): number {
    return this.#bytesReleased;
  }

  /**
   * Resolves the next run of validated bytes, at most `limit` (the rest waits for the next
   * call), possibly empty (the gate holds bytes back until their window passed): a view valid
   * until the next call. Rejects with a QrngError on any
   * device fault (see RandomSource.next) or health failure (kind "health").
   */
  async next(limit = Infinity): Promise<Uint8Array> {
    if (this.#pending.length === 0) this.#pending = await this.#nextReleased();
    const run = this.#pending.subarray(0, limit);
    this.#pending = this.#pending.subarray(run.length);
    return run;
  }

  async #nextReleased(): Promise<Uint8Array> {
    const source = this.#source;
    // Straight into the gate's staging memory where the source can (one copy fewer).
    if (source.nextInto) return this.#committed(await source.nextInto(this.health.inputSpace()));
    const run = await source.next();
    this.#gateIn += run.length;
    return this.#released(this.health.push(run));
  }

  /** Tests the `stored` bytes just written to the gate's input space; returns what it releases. */
  #committed(stored: number): Uint8Array {
    this.#gateIn += stored;
    return this.#released(this.health.commit(stored));
  }

  /** The gate's output `tested` after the drops still due and post-processing. */
  #released(tested: Uint8Array): Uint8Array {
    this.#gateOut += tested.length;
    if (this.#dropBytes > 0) {
      const dropped = Math.min(this.#dropBytes, tested.length);
      this.#dropBytes -= dropped;
      tested = tested.subarray(dropped);
    }
    const released = this.postprocess.push(tested);
    this.#bytesReleased += released.length;
    return released;
  }

  /** Fills `buffer` with validated bytes. */
  async readInto(buffer: Uint8Array): Promise<void> {
    let filled = 0;
    while (filled < buffer.length) {
      const run = await this.#nextAtMost(buffer.length - filled);
      buffer.set(run, filled);
      filled += run.length;
    }
  }

  /** Resolves exactly `n` validated bytes in a new array. */
  async read(n: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`read: byte count must be a whole number ≥ 0, not ${n}`);
    }
    const bytes = new Uint8Array(n);
    await this.readInto(bytes);
    return bytes;
  }

  /**
   * The validated bytes as a stream of fresh chunks; cancelling it closes the device. The stream
   * errors with the QrngError that ended the read; it never ends by itself.
   */
  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          let run = await this.next();
          while (run.length === 0) run = await this.next();
          controller.enqueue(run.slice());
        } catch (error) {
          await this.close();
          controller.error(error);
        }
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
  }

  /**
   * Ends a read that got all it needs: the health verdict on the last bytes, then the device's
   * final status (RandomSource.finish). Only after it resolves do the bytes read count as good;
   * on rejection nothing read may be committed. The device is released either way.
   */
  async finish(): Promise<void> {
    try {
      this.health.finish();
    } catch (error) {
      await this.close();
      throw error;
    }
    await this.#source.finish();
    this.#judged = true;
  }

  /**
   * Judges everything released so far without ending the read: the device's status where the
   * source has one (RandomSource.checkpoint), then the health verdict. Only after it resolves
   * do the bytes released before it count as good (a publisher sends them on then); on
   * rejection none of them may be used, and the device is released.
   *
   * With `sink`, the bytes released but not yet handed out and those the device still had in
   * flight pass the gate now and go to `sink`, in order, each a view valid during the call:
   * they are judged by this checkpoint too. The caller keeps what it has room for (a daemon's
   * pool, without a copy) and drops the rest, as it would drop them at a close: nothing is held
   * for the next reads.
   */
  async checkpoint(sink?: (released: Uint8Array) => void): Promise<void> {
    try {
      if (sink) {
        // First: a view of the gate's memory, which the bytes in flight are about to overwrite.
        sink(this.#pending);
        this.#pending = this.#pending.subarray(this.#pending.length);
      }
      await this.#source.checkpoint?.(sink && ((data) => this.#passInFlight(data, sink)));
      this.health.finish();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Passes `data` (any length) through the gate, handing what it releases to `sink`. */
  #passInFlight(data: Uint8Array, sink: (released: Uint8Array) => void): void {
    for (let at = 0; at < data.length;) {
      const space = this.health.inputSpace();
      const take = Math.min(space.length, data.length - at);
      space.set(data.subarray(at, at + take));
      at += take;
      sink(this.#committed(take));
    }
  }

  /** Releases the device without judging anything; safe to call more than once. */
  close(): Promise<void> {
    return this.#source.close();
  }

  /** Up to `limit` validated bytes, at least one; leftovers wait for the next call. */
  async #nextAtMost(limit: number): Promise<Uint8Array> {
    let run = await this.next(limit);
    while (run.length === 0) run = await this.next(limit);
    return run;
  }
}
