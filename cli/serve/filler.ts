/**
 * Keeps the daemon's pool filled from the device, in bursts behind ONE health gate:
 *
 * - a burst reads into the pool's free room while there is more than the bytes in flight at a
 *   STOP need (consumers free more meanwhile), for at most {@link BURST_MAX_MS}, then stops the
 *   device and judges: the device's status in the STOP's answer and the last health verdict
 *   (GatedReader.checkpoint), as `qrng read -o` does before it commits; the bytes in flight
 *   pass the gate into the pool's room on the way. Only then do the burst's bytes enter the
 *   pool; a burst that fails leaves nothing (and the gate drops what it still held of it). The
 *   device stays open for the next burst (its START follows the STOP's answer on the same
 *   connection): a reopen would add its round trips to every STOP;
 * - a pool without that room pauses the device (stopped; closed once the pause outlasts
 *   {@link PAUSE_HOLD_MS}, and the gate's GatedReader.reopen opens it again), never reads it to
 *   throw away;
 * - a device fault (timeout, disconnect, a status flag) ends the burst; the device is reopened
 *   after a delay that doubles up to {@link RECONNECT_MAX_MS}. The gate's history carries over,
 *   so a device that replays its stream after reconnecting fails the repetition check;
 * - a health failure of the gate fails closed: the pool is emptied and closed, nothing more is
 *   read or served until the daemon is restarted.
 */
import { describeError, QrngError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { GatedReader } from "../sources/gated.ts";
import { unlessAborted } from "../transports/abortable.ts";
import type { Pool } from "./pool.ts";
import { MemoryReclaimer } from "../runtime/memory.ts";

/** The longest burst: bytes of a slow device reach the pool at least this often. */
export const BURST_MAX_MS = 1000;
/** Room a burst waits for (less when the pool is smaller): a burst costs an open and a STOP. */
export const REFILL_MIN_BYTES = 1 << 20;
/**
 * The least room a burst leaves for the bytes still in flight at its STOP, which go through the
 * gate into the pool then; it grows to the most that came in flight so far, up to a quarter of
 * the pool. A burst starts only once there is room for {@link REFILL_MIN_BYTES} besides: an
 * emulator at full rate has its socket buffers full (1-10 MB) at any STOP, however little the
 * burst read. A full pool used to leave them to be copied for the next burst, and that garbage
 * set how often the daemon had to collect.
 */
export const IN_FLIGHT_ROOM_BYTES = 1 << 20;
/**
 * How long a pause may keep the device open (stopped, as its last burst left it): consumers at
 * full rate make room within milliseconds, and a reopen costs a connection and its round trips
 * (at full rate with 16 consumers a quarter of the bursts were followed by one, and nearly all
 * once bursts left room for the bytes in flight). A longer pause releases it, for another
 * daemon that shares it.
 */
export const PAUSE_HOLD_MS = 250;
/**
 * Bytes read between two collections of the garbage reading leaves (see cli/runtime/memory.ts).
 * Each costs the busy daemon ~5 ms of CPU: every 8 MiB that was ~0.6 s per GiB, needed while
 * the bytes in flight at each STOP were copied; without those copies the streaming daemon
 * peaks at ~94 MB collecting every 32 MiB (106 MB never collecting).
 */
export const RECLAIM_EVERY_READ_BYTES = 32 * 1024 * 1024;
/** The first delay before reopening a faulty device; it doubles up to {@link RECONNECT_MAX_MS}. */
export const RECONNECT_FIRST_MS = 250;
/** The longest delay between reopening attempts. */
export const RECONNECT_MAX_MS = 5000;

/** What the filler is doing, for /health and /metrics. */
export type FillerState = "opening" | "reading" | "paused" | "reconnecting" | "failed" | "stopped";

/** Every state, for metrics that list them all. */
export const FILLER_STATES: readonly FillerState[] = [
  "opening",
  "reading",
  "paused",
  "reconnecting",
  "failed",
  "stopped",
];

/** How to read the device. */
export interface FillerOptions {
  readonly uri: string;
  readonly platform: Platform;
  readonly pool: Pool;
  /** Claimed min-entropy per byte (bits). */
  readonly h: number;
  /** log2 of each health test's false-alarm probability. */
  readonly alphaLog2: number;
  /** Lines for stderr. */
  log(line: string): void;
}

/** The device side of the daemon; see the module comment. */
export class PoolFiller {
  #state: FillerState = "opening";
  /** The last fault or failure, for messages ("" while none). */
  #problem = "";
  #description: string;
  #emulated: boolean;
  #reader: GatedReader | undefined;
  /** Whether {@link #reader}'s device is open (between bursts, until the pool fills). */
  #open = false;
  #identify: () => void = () => {};
  /** Resolves once the device was first opened: {@link description} and {@link emulated} are known. */
  readonly identified = new Promise<void>((resolve) => (this.#identify = resolve));
  #session = new AbortController();
  readonly #reclaimer = new MemoryReclaimer(RECLAIM_EVERY_READ_BYTES);
  #stopping = false;
  #reopenAsked = false;
  /** Bytes committed to the pool. */
  bytesCommitted = 0;
  /** Bytes released by the gate in bursts that failed: never committed. */
  bytesUncommitted = 0;
  /** Bytes thrown out of the pool when the gate failed. */
  bytesDropped = 0;
  /** Device faults (each ends a burst and leads to a reopen). */
  deviceFailures = 0;
  /** Bursts committed. */
  bursts = 0;
  /** The most bytes that came in flight at a STOP so far (see IN_FLIGHT_ROOM_BYTES). */
  #inFlightMost = IN_FLIGHT_ROOM_BYTES;

  constructor(private readonly options: FillerOptions) {
    this.#description = options.uri;
    this.#emulated = false;
  }

  /** What the filler is doing. */
  get state(): FillerState {
    return this.#state;
  }

  /** The device, as its driver describes it once opened. */
  get description(): string {
    return this.#description;
  }

  /** Whether the device is an emulator (known once opened). */
  get emulated(): boolean {
    return this.#emulated;
  }

  /** The gate's counts, once the device was opened. */
  get health(): GatedReader["health"] | undefined {
    return this.#reader?.health;
  }

  /** Why the pool may be empty, for a consumer's deadline error. */
  whyEmpty(): string {
    switch (this.#state) {
      case "reconnecting":
        return `the device ${this.#description} is being reopened after: ${this.#problem}`;
      case "failed":
        return `the device failed: ${this.#problem}`;
      case "stopped":
        return "the daemon is stopping";
      default:
        return `the device ${this.#description} has not delivered validated bytes yet`;
    }
  }

  /**
   * Reads until {@link stop}; resolves then. Rejects only when the device cannot be opened at
   * all for a reason no retry mends (a usage error in the URI).
   */
  async run(): Promise<void> {
    const pool = this.options.pool;
    const refillBytes = Math.min(REFILL_MIN_BYTES, pool.capacityBytes / 2);
    let delayMs = RECONNECT_FIRST_MS;
    while (!this.#stopping && this.#state !== "failed") {
      const session = this.#session.signal;
      // Room to read into besides what a STOP brings in flight: whatever a burst reads, a device
      // at full rate has its socket buffers full at the STOP.
      const wanted = refillBytes + this.#inFlightRoom();
      if (pool.free < wanted) {
        this.#state = "paused";
        const room = pool.roomFor(wanted);
        await this.#until(Promise.race([room, this.options.platform.sleep(PAUSE_HOLD_MS)]), session);
        if (pool.free < wanted || session.aborted) await this.#close();
        await this.#until(room, session);
      } else {
        try {
          await this.#burst(session);
          delayMs = RECONNECT_FIRST_MS;
          continue;
        } catch (error) {
          // Anything but a QrngError is a defect, not a device fault: no retry mends it.
          if (!(error instanceof QrngError)) throw error;
          if (await this.#failed(error, session, delayMs)) delayMs = Math.min(2 * delayMs, RECONNECT_MAX_MS);
        }
      }
      if (this.#session.signal.aborted && !this.#stopping) {
        this.#session = new AbortController();
        this.#reopenAsked = false;
      }
    }
    await this.#close();
    if (this.#stopping) this.#state = "stopped";
  }

  /** Reopens the device at once (SIGHUP): the burst in progress is dropped, the gate kept. */
  reopen(): void {
    this.#reopenAsked = true;
    this.#session.abort();
  }

  /** Ends {@link run}: the burst in progress is dropped and the device closed. */
  stop(): void {
    this.#stopping = true;
    this.#session.abort();
  }

  async #burst(signal: AbortSignal): Promise<void> {
    const { pool, platform } = this.options;
    // Every burst ends with a STOP, which costs the device about 100 ms of quiet (spec §4): a
    // burst goes on while there is room, to spread that cost.
    const target = pool.free;
    if (this.#open) {
      await this.#read(this.#reader!);
      return;
    }
    if (this.#state !== "reconnecting") this.#state = "opening";
    if (this.#reader) {
      await this.#reader.reopen({ bytesWanted: target, signal });
    } else {
      this.#reader = await GatedReader.open(this.options.uri, {
        platform,
        bytesWanted: target,
        h: this.options.h,
        alphaLog2: this.options.alphaLog2,
        log: this.options.log,
        signal,
      });
    }
    const reader = this.#reader;
    if (this.#description === this.options.uri) {
      this.options.log(
        `reading ${reader.description}${reader.emulated ? " (an EMULATOR: its data is NOT random)" : ""}`,
      );
    }
    this.#description = reader.description;
    this.#emulated = reader.emulated;
    this.#identify();
    if (this.#state === "reconnecting") this.options.log(`reopened ${reader.description}`);
    this.#open = true;
    await this.#read(reader);
  }

  /** Reads one burst from the open device into the pool and commits it once judged. */
  async #read(reader: GatedReader): Promise<void> {
    const { pool, platform } = this.options;
    this.#state = "reading";
    // Straight into the pool's free space, staged: consumers see none of it before the commit.
    const started = platform.now();
    const inFlightRoom = this.#inFlightRoom();
    try {
      while (pool.free > inFlightRoom && platform.now() - started < BURST_MAX_MS) {
        const space = pool.stageSpace();
        const run = await reader.next(space.length);
        space.set(run);
        pool.stage(run.length);
        this.#reclaimer.moved(run.length);
      }
      // The device's status and the last verdict after these bytes and those still in flight,
      // before anything is committed. What came in flight beyond the pool's room is dropped, as
      // at a close: copies of it kept for the next burst were what made the memory peak.
      const releasedBefore = reader.bytesReleased;
      await reader.checkpoint((released) => this.#reclaimer.moved(pool.stageFrom(released)));
      const inFlight = reader.bytesReleased - releasedBefore;
      this.#inFlightMost = Math.max(this.#inFlightMost, inFlight);
    } catch (error) {
      this.bytesUncommitted += pool.dropStaged();
      await this.#close();
      throw error;
    }
    this.bytesCommitted += pool.commitStaged();
    this.bursts++;
  }

  /** Room a burst leaves for the bytes in flight at its STOP. */
  #inFlightRoom(): number {
    return Math.min(this.#inFlightMost, this.options.pool.capacityBytes / 4);
  }

  /** Releases the device (a STOP if it streams); the gate stays for the next open. */
  async #close(): Promise<void> {
    this.#open = false;
    await this.#reader?.close();
  }

  /**
   * Handles a failed burst: a health failure closes the pool; a stop or reopen request goes on
   * at once; a device fault waits `delayMs` first. Resolves whether that delay was spent.
   */
  async #failed(error: QrngError, session: AbortSignal, delayMs: number): Promise<boolean> {
    if (this.#stopping) return false;
    if (error.kind === "health") {
      this.#state = "failed";
      this.#problem = error.message;
      this.bytesDropped += this.options.pool.close(
        new QrngError("health", `Device failed its health tests: ${error.message}`),
      );
      this.options.log(`FAILED CLOSED: ${error.message}; serving nothing until restarted`);
      return false;
    }
    if (error.kind === "usage" && this.bursts === 0 && !this.#reader) throw error;
    if (this.#reopenAsked && session.aborted) return false;
    this.deviceFailures++;
    this.#problem = describeError(error);
    this.#state = "reconnecting";
    this.options.log(`device fault: ${this.#problem}; reopening in ${delayMs} ms`);
    await this.#until(this.options.platform.sleep(delayMs), session);
    return true;
  }

  /** Waits for `promise`, or until `signal` aborts (stop, reopen). */
  async #until(promise: Promise<void>, signal: AbortSignal): Promise<void> {
    await unlessAborted(promise, signal, "wait").catch(() => {});
  }
}
