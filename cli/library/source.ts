/**
 * What every source the library opens offers: validated bytes through the health gate (the same
 * fail-closed gate as `qrng read`, cli/sources/gated.ts) by `read`, `readInto` or a
 * `ReadableStream`, `AbortSignal`s, and `close`.
 *
 * Reads happen in a read session: a gate in front of the device's data, opened by the first read
 * and kept for the next ones. Device commands (Cmd&Ctrl's status, config, ...; XR232's ident)
 * end the session first, and so does a read whose own signal aborts: the device's stream is
 * stopped, bytes in flight are dropped, and the next read opens a fresh gate (which tests its
 * start-up samples again before it releases anything). Operations on one source run one at a
 * time, in the order they were called.
 */
import { QrngError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { interruptedError, unlessAborted } from "../transports/abortable.ts";
import type { PostprocessOptions } from "../postprocess/mod.ts";
import { GatedReader, type GatedReaderOptions } from "../sources/gated.ts";
import type { HealthGateStats } from "../../wasm/health.ts";

/** Options of `open()`. */
export interface OpenOptions {
  /**
   * Aborting ends every wait of the source (opening, reads, commands) with a QrngError of kind
   * "interrupted"; {@link QrngSource.close} still releases the device afterwards.
   */
  readonly signal?: AbortSignal;
  /** Claimed min-entropy per byte, in bits: sets the health tests' cutoffs. @default 8 */
  readonly h?: number;
  /** log2 of each health test's false-alarm probability. @default -40 */
  readonly alphaLog2?: number;
  /** Post-processing after the gate: `{ xorFold: 2 }`, `{ debias: "von-neumann" }`. @default none */
  readonly postprocess?: PostprocessOptions;
  /**
   * Validated bytes a read session is expected to need: up to 64 KiB, a Cmd&Ctrl device is read
   * in one-shots rather than streamed. @default Infinity (stream)
   */
  readonly bytesWanted?: number;
  /** Read with signatures, every one verified (Cmd&Ctrl devices; others refuse). @default false */
  readonly signed?: boolean;
  /** Warnings and recovery notes, one line each. @default discarded */
  log?(line: string): void;
}

/** Options of one operation. */
export interface CallOptions {
  /**
   * Aborting rejects this call with kind "interrupted" at once. A read cut short ends its read
   * session (see the module comment); a command cut short may still reach the device.
   */
  readonly signal?: AbortSignal;
}

/** Bytes a read fills between looks at its signal. */
const READ_SLICE_BYTES = 64 * 1024;

/** What a source needs from the runtime; the package entry supplies it. */
export interface LibraryContext {
  readonly platform: Platform;
}

/** A source of validated random bytes (every device URI, and daemons' clients). */
export class QrngSource {
  /** The device URI this source was opened with. */
  readonly uri: string;
  protected readonly context: LibraryContext;
  protected readonly options: OpenOptions;
  /** Ends every wait of the source: the caller's signal, or close() (a silent device must not hold it up). */
  protected readonly signal: AbortSignal;
  readonly #closing = new AbortController();
  #session: GatedReader | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #readable: ReadableStream<Uint8Array> | undefined;
  #description = "";
  #emulated = false;

  /** Use `open()`. */
  protected constructor(uri: string, context: LibraryContext, options: OpenOptions) {
    this.uri = uri;
    this.context = context;
    this.options = options;
    this.signal = options.signal
      ? AbortSignal.any([options.signal, this.#closing.signal])
      : this.#closing.signal;
  }

  /** Opens a source with no device commands, its first read session at once (errors surface here). */
  static async openPlain(uri: string, context: LibraryContext, options: OpenOptions): Promise<QrngSource> {
    const source = new QrngSource(uri, context, options);
    await source.exclusive("open", () => source.session());
    return source;
  }

  /** What is read, for messages ("emulated QCicada-compatible EMUQC0000000001 (...) on sim:qcicada"). */
  get description(): string {
    return this.#description;
  }

  /** True for emulators: their data is a reproducible stream, not random. */
  get emulated(): boolean {
    return this.#emulated;
  }

  /** Resolves `n` validated bytes in a new array. */
  async read(n: number, options: CallOptions = {}): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`read: byte count must be a whole number ≥ 0, not ${n}`);
    }
    const bytes = new Uint8Array(n);
    await this.readInto(bytes, options);
    return bytes;
  }

  /** Fills `buffer` with validated bytes. */
  readInto(buffer: Uint8Array, options: CallOptions = {}): Promise<void> {
    const what = `read ${buffer.length} bytes from ${this.uri}`;
    return this.reading(what, async (session) => {
      for (let at = 0; at < buffer.length; at += READ_SLICE_BYTES) {
        // A read whose caller gave up stops here; its session ends (see reading).
        if (options.signal?.aborted) throw interruptedError(what);
        await session.readInto(buffer.subarray(at, at + READ_SLICE_BYTES));
      }
    }, options);
  }

  /**
   * The validated bytes as a stream of fresh chunks, the same stream on every access. It errors
   * with the QrngError that ended a read; cancelling it closes the source.
   */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          controller.enqueue(
            await this.reading(`read from ${this.uri}`, async (session) => {
              let run = await session.next();
              while (run.length === 0) run = await session.next();
              return run.slice();
            }),
          );
        } catch (error) {
          controller.error(error);
        }
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
  }

  /** The health gate's counts in the current read session, or undefined between sessions. */
  get health(): HealthGateStats | undefined {
    return this.#session?.health.stats();
  }

  /**
   * Ends what is pending (kind "interrupted"), stops any read session and releases the device;
   * safe to call more than once.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    await this.#queue;
    await this.endSession();
    await this.release();
  }

  /** For `await using source = await open(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Releases what the source holds besides its read session (a device kept for commands). */
  protected release(): Promise<void> {
    return Promise.resolve();
  }

  /** Opens a read session: the registry's source for {@link uri} behind a fresh gate. */
  protected openSession(options: GatedReaderOptions): Promise<GatedReader> {
    return GatedReader.open(this.uri, options);
  }

  /** The open read session, opened now if there is none. */
  protected async session(): Promise<GatedReader> {
    if (this.#session) return this.#session;
    const { platform } = this.context;
    const { h, alphaLog2, postprocess, signed } = this.options;
    const session = await this.openSession({
      platform,
      bytesWanted: this.options.bytesWanted ?? Infinity,
      h,
      alphaLog2,
      postprocess,
      signed,
      signal: this.signal,
      log: (line) => this.options.log?.(line),
    });
    this.describe(session.description, session.emulated);
    return this.#session = session;
  }

  /** Sets {@link description} and {@link emulated}. */
  protected describe(description: string, emulated: boolean): void {
    this.#description = description;
    this.#emulated = emulated;
  }

  /** Ends the read session, if any: the device stops streaming and stays open. */
  protected async endSession(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.close();
  }

  /**
   * Runs `operation` after every operation called before it; with a signal, the call rejects
   * "interrupted" as soon as it aborts (the operation still finishes before the next one runs).
   */
  protected exclusive<T>(what: string, operation: () => Promise<T>, options: CallOptions = {}): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new QrngError("disconnected", `Cannot ${what}: ${this.uri} is closed`));
    }
    if (options.signal?.aborted) return Promise.reject(interruptedError(what));
    const run = this.#queue.then(operation);
    this.#queue = run.catch(() => {});
    return options.signal ? unlessAborted(run, options.signal, what) : run;
  }

  /** Runs a device command: the read session ends first. */
  protected command<T>(what: string, operation: () => Promise<T>, options: CallOptions = {}): Promise<T> {
    return this.exclusive(what, async () => {
      await this.endSession();
      return await operation();
    }, options);
  }

  /**
   * Runs a read in the session. A read that fails (a device fault, a health failure, its caller
   * gave up) ends the session: the next read opens a fresh gate.
   */
  private reading<T>(
    what: string,
    read: (session: GatedReader) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    return this.exclusive(what, async () => {
      const session = await this.session();
      try {
        return await read(session);
      } catch (error) {
        await this.endSession();
        throw error;
      }
    }, options);
  }
}
