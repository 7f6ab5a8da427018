/**
 * Cmd&Ctrl devices as a {@link RandomSource} for `qrng read`:
 *
 * - small reads (sizeHint ≤ ONE_SHOT_MODE_MAX_BYTES) are one-shots within ready_bytes, each
 *   ACK's status checked for health flags; over UDP and TCP+UDP every read is a one-shot,
 *   because only a counted read can tell that a datagram was lost (a shortfall is an error,
 *   never padded);
 * - larger reads stream in continuous mode over byte streams (serial, TCP, in-process): after
 *   STATUS_CHECK_FIRST_MS, then at doubling intervals up to STATUS_CHECK_MAX_MS, the stream is
 *   stopped (the data in flight is kept: it is valid output), the status in the STOP answer is
 *   judged, and the stream restarts;
 * - signed reads: every block's signature is checked against the device key; a mismatch ends
 *   the read before the block is released (kind "device").
 *
 * Every status the device reports is judged (see {@link judgeStatus}): at open (also while
 * its startup test runs), in each one-shot's ACK, at each stop of a stream, and when the read
 * ends ({@link RandomSource.finish}: the final STOP's status, or one last GET_STATUS). A fault
 * ends the read (kind "device"). Every wait ends on the Ctrl-C signal (kind "interrupted").
 */
import { QrngError } from "../../errors.ts";
import { type Info, type Status, statusFaults } from "../../../wasm/cmdctrl.ts";
import type { RandomSource, SourceOptions } from "../device.ts";
import { interruptedError, unlessAborted } from "../../transports/abortable.ts";
import { type CmdCtrlDevice, DATA_TIMEOUT_MS } from "./driver.ts";
import type { OpenedCmdCtrl } from "./connect.ts";
import { EMULATED_SERIAL_PREFIX } from "../../protocol/cmdctrl.ts";
import { importPublicKey, verifySignature } from "./signature.ts";

/** Reads up to this size use one-shots; larger ones continuous mode. */
export const ONE_SHOT_MODE_MAX_BYTES = 64 * 1024;
/**
 * A continuous read stops to judge the device's status this long after it started streaming,
 * then after twice that, and so on up to {@link STATUS_CHECK_MAX_MS}: a fault raised early
 * ends a long read soon, and short reads pay few stops (their end is judged anyway). Each stop
 * idles the stream for a round trip and STOP's 100 ms of quiet (110-150 ms on loopback), so
 * checks 2, 6, 14, 22, ... s into a read cost a 1 GiB read at 100-150 MiB/s two stops, where
 * 1, 3, 7 s cost three.
 */
export const STATUS_CHECK_FIRST_MS = 2000;
/** The longest stretch of a continuous read between two status checks. */
export const STATUS_CHECK_MAX_MS = 8000;
/** How long to wait for a startup test (after a reset or power-up) to finish. */
export const STARTUP_WAIT_MS = 10_000;
/** How long a device may report 0 ready bytes before the read gives up. */
export const READY_WAIT_MS = DATA_TIMEOUT_MS;
/** Poll interval while waiting for ready bytes. */
const POLL_MS = 20;
/** Poll interval while waiting for the startup test (it takes seconds). */
const STARTUP_POLL_MS = 100;
/** The largest one-shot the protocol can ask for (u16 length). */
const MAX_REQUEST_BYTES = 0xffff;

/**
 * Throws kind "device" unless `status` is one data can be taken under: no health or supply
 * flag, and generation running (started, startup test over). While opening, a startup test
 * still running is expected (`opening`): its flags are judged all the same.
 */
function judgeStatus(status: Status, description: string, opening = false): void {
  const faults = statusFaults(status);
  if (faults.length > 0) {
    throw new QrngError(
      "device",
      `${description} reports a failing health test or supply: ${faults.join(", ")}`,
    );
  }
  if (status.startupTestInProgress && !opening) {
    throw new QrngError("device", `${description} restarted its startup test during the read`);
  }
  if (!status.started && !status.startupTestInProgress) {
    throw new QrngError("device", `${description} reports started = 0: it is not generating`);
  }
}

/** What a connected device is, for messages, and whether it is an emulator. */
export function describeCmdCtrl(
  opened: OpenedCmdCtrl,
  info: Info,
): { description: string; emulated: boolean } {
  // qrng's emulators say so in their serial, also when reached over a real transport.
  const emulated = opened.emulated || info.serial.startsWith(EMULATED_SERIAL_PREFIX);
  const description = `${
    emulated ? "emulated " : ""
  }QCicada-compatible ${info.serial} (${info.hwInfo}) on ${opened.device.transport.description}`;
  return { description, emulated };
}

/** Sleeps `ms`, or rejects "interrupted" as soon as `signal` aborts. */
function pause(options: SourceOptions, ms: number, what: string): Promise<void> {
  const sleep = options.platform.sleep(ms);
  return options.signal ? unlessAborted(sleep, options.signal, what) : sleep;
}

/**
 * A connected Cmd&Ctrl device (see connect.ts) as a random source, once its startup test is over
 * and its status is good. With `ownsDevice` (the default) the source closes the device when it
 * fails to open or is closed; without, it only stops the device's stream, and the caller goes on
 * using the device for commands.
 */
export async function cmdCtrlSource(
  opened: OpenedCmdCtrl,
  options: SourceOptions,
  ownsDevice = true,
): Promise<RandomSource> {
  const device = opened.device;
  try {
    const { description, emulated } = describeCmdCtrl(opened, await device.info());
    let status = await device.status();
    const started = options.platform.now();
    while (status.startupTestInProgress) {
      judgeStatus(status, description, true);
      if (options.platform.now() - started > STARTUP_WAIT_MS) {
        throw new QrngError("device", `${description} is still running its startup test`);
      }
      await pause(options, STARTUP_POLL_MS, `wait for the startup test of ${description}`);
      status = await device.status();
    }
    judgeStatus(status, description);
    const key = options.signed ? await importPublicKey(await device.publicKey()) : undefined;
    const oneShot = options.sizeHint <= ONE_SHOT_MODE_MAX_BYTES || opened.datagrams;
    const mode = key ? "signed" : oneShot ? "one-shot" : "continuous";
    return new CmdCtrlSource(device, description, emulated, mode, status, options, key, ownsDevice);
  } catch (error) {
    if (ownsDevice) await device.close();
    throw error;
  }
}

class CmdCtrlSource implements RandomSource {
  readonly #pending: Uint8Array[] = [];
  #ready: number;
  /** When the stream started, and how long it may run before the next status check. */
  #streamStarted = 0;
  #checkAfterMs = STATUS_CHECK_FIRST_MS;
  /** No more reads (finished or closed). */
  #closed = false;
  /** The transport was released. */
  #released = false;

  constructor(
    readonly device: CmdCtrlDevice,
    readonly description: string,
    readonly emulated: boolean,
    readonly mode: "signed" | "one-shot" | "continuous",
    status: Status,
    readonly options: SourceOptions,
    readonly key: CryptoKey | undefined,
    readonly ownsDevice: boolean,
  ) {
    this.#ready = status.readyBytes;
  }

  #checkOpen(): void {
    if (this.#closed) throw new QrngError("disconnected", `${this.description}: closed`);
    if (this.options.signal?.aborted) throw interruptedError(`read from ${this.description}`);
  }

  /** Until ready_bytes > 0: ask the device first, sleep only when it has nothing ready. */
  async #waitReady(): Promise<void> {
    const since = this.options.platform.now();
    while (this.#ready <= 0) {
      const status = await this.device.status();
      judgeStatus(status, this.description);
      this.#ready = status.readyBytes;
      if (this.#ready > 0) return;
      if (this.options.platform.now() - since > READY_WAIT_MS) {
        throw new QrngError(
          "timeout",
          `Cannot read data: ${this.description} reported 0 ready bytes for ${READY_WAIT_MS} ms`,
        );
      }
      await pause(this.options, POLL_MS, `wait for data from ${this.description}`);
    }
  }

  /** Whether the stream has run its time until the next status check. */
  #statusCheckDue(): boolean {
    return this.options.platform.now() - this.#streamStarted > this.#checkAfterMs;
  }

  /**
   * Continuous mode between status checks reads straight into `buffer` (see
   * CmdCtrlDevice.nextDataInto); otherwise the next run is copied (the rest waits its turn).
   */
  async nextInto(buffer: Uint8Array): Promise<number> {
    const streamingOn = this.mode === "continuous" && this.device.streaming && this.#pending.length === 0 &&
      !this.#statusCheckDue();
    if (streamingOn) {
      this.#checkOpen();
      return await this.device.nextDataInto(buffer);
    }
    const run = await this.next();
    if (run.length > buffer.length) this.#pending.unshift(run.slice(buffer.length));
    buffer.set(run.subarray(0, buffer.length));
    return Math.min(run.length, buffer.length);
  }

  async next(): Promise<Uint8Array> {
    this.#checkOpen();
    const queued = this.#pending.shift();
    if (queued) return queued;
    if (this.mode === "continuous") {
      if (!this.device.streaming) {
        judgeStatus(await this.device.startContinuous(), this.description);
        this.#streamStarted = this.options.platform.now();
      } else if (this.#statusCheckDue()) {
        await this.#stopAndJudge();
        this.#checkAfterMs = Math.min(2 * this.#checkAfterMs, STATUS_CHECK_MAX_MS);
        return this.#pending.shift() ?? await this.next();
      }
      return await this.device.nextData();
    }
    await this.#waitReady();
    const length = Math.min(this.#ready, MAX_REQUEST_BYTES);
    if (this.mode === "signed") {
      const { data, signature, settled } = await this.device.signedRead(length);
      this.#ready -= length;
      if (!(await verifySignature(this.key!, data, signature))) {
        throw new QrngError(
          "device",
          `Signed read of ${length} bytes from ${this.description} failed verification: refusing the data`,
        );
      }
      if (settled) this.#settledBy(settled);
      return data;
    }
    const { data, status, settled } = await this.device.oneShot(length);
    judgeStatus(status, this.description);
    this.#ready = status.readyBytes - length;
    if (settled) this.#settledBy(settled);
    return data;
  }

  /** Over datagrams a read ends with a status (see CmdCtrlDevice): judged like every status. */
  #settledBy(status: Status): void {
    judgeStatus(status, this.description);
    this.#ready = status.readyBytes;
  }

  /**
   * The data in flight is valid output: it goes to `keep` (by default a copy for the next
   * reads), then the STOP's status is judged (the next read streams on).
   */
  async #stopAndJudge(
    keep: (data: Uint8Array) => void = (data) => void this.#pending.push(data.slice()),
  ): Promise<void> {
    judgeStatus(await this.device.stop(keep), this.description);
  }

  async checkpoint(keep?: (data: Uint8Array) => void): Promise<void> {
    this.#checkOpen();
    if (keep) {
      for (const run of this.#pending.splice(0)) keep(run);
    }
    if (this.device.streaming) await this.#stopAndJudge(keep);
    else judgeStatus(await this.device.status(), this.description);
  }

  async finish(): Promise<void> {
    this.#checkOpen();
    this.#closed = true;
    try {
      // The final status: the STOP's answer after a stream, else one more GET_STATUS (a
      // one-shot's ACK predates its data; signed reads report no status at all).
      const status = this.device.streaming ? await this.device.stop() : await this.device.status();
      judgeStatus(status, this.description);
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.#released) return;
    this.#closed = true;
    this.#released = true;
    try {
      if (this.device.streaming) await this.device.stop();
    } catch {
      // Aborting: the device may be gone or misbehaving; closing must still release the transport.
    } finally {
      if (this.ownsDevice) await this.device.close();
    }
  }
}
