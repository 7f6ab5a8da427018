/**
 * Cmd&Ctrl devices as a {@link RandomSource} for `qrng read`:
 *
 * - small reads (sizeHint ≤ ONE_SHOT_MODE_MAX_BYTES) are one-shots within ready_bytes, each
 *   ACK's status checked for health flags; over UDP and TCP+UDP every read is a one-shot,
 *   because only a counted read can tell that a datagram was lost (a shortfall is an error,
 *   never padded);
 * - larger reads stream in continuous mode over byte streams (serial, TCP, in-process): every
 *   STATUS_CHECK_MS the stream is stopped (the data in flight is kept: it is valid output), the
 *   status in the STOP answer is checked, and the stream restarts;
 * - signed reads: every block's signature is checked against the device key; a mismatch ends
 *   the read before the block is released (kind "device").
 *
 * A device-reported fault ends the read (kind "device").
 */
import { QrngError } from "../../errors.ts";
import { type Status, statusFaults } from "../../../wasm/cmdctrl.ts";
import type { RandomSource, SourceOptions } from "../device.ts";
import type { DeviceUri } from "../../uri.ts";
import type { CmdCtrlDevice } from "./driver.ts";
import { openCmdCtrl } from "./open.ts";
import { importPublicKey, verifySignature } from "./signature.ts";

/** The serial prefix that tells hosts a QCicada is qrng's emulator (real serials start "QC"). */
export const EMULATED_SERIAL_PREFIX = "EMU";
/** Reads up to this size use one-shots; larger ones continuous mode. */
export const ONE_SHOT_MODE_MAX_BYTES = 64 * 1024;
/** How often a continuous read pauses to look at the device's health flags. */
export const STATUS_CHECK_MS = 5000;
/** How long to wait for a startup test (after a reset or power-up) to finish. */
export const STARTUP_WAIT_MS = 10_000;
/** Poll interval while waiting for ready bytes. */
const POLL_MS = 20;
/** Poll interval while waiting for the startup test (it takes seconds). */
const STARTUP_POLL_MS = 100;
/** The largest one-shot the protocol can ask for (u16 length). */
const MAX_REQUEST_BYTES = 0xffff;

function checkHealth(status: Status, description: string): void {
  const faults = statusFaults(status);
  if (faults.length > 0) {
    throw new QrngError("device", `${description} reports a failing health test or supply: ${faults.join(", ")}`);
  }
}

/** Opens a Cmd&Ctrl device (any of its URIs) as a random source. */
export async function openCmdCtrlSource(uri: DeviceUri, options: SourceOptions): Promise<RandomSource> {
  const opened = await openCmdCtrl(uri, { platform: options.platform, log: options.log });
  const device = opened.device;
  try {
    const info = await device.info();
    // qrng's emulators say so in their serial, also when reached over a real transport.
    const emulated = opened.emulated || info.serial.startsWith(EMULATED_SERIAL_PREFIX);
    const description = `${emulated ? "emulated " : ""}QCicada-compatible ${info.serial} (${info.hwInfo}) on ${device.transport.description}`;
    let status = await device.status();
    const started = options.platform.now();
    while (status.startupTestInProgress) {
      if (options.platform.now() - started > STARTUP_WAIT_MS) {
        throw new QrngError("device", `${description} is still running its startup test`);
      }
      await options.platform.sleep(STARTUP_POLL_MS);
      status = await device.status();
    }
    checkHealth(status, description);
    const key = options.signed ? await importPublicKey(await device.publicKey()) : undefined;
    const datagrams = uri.scheme === "udp" || uri.scheme === "tcpudp";
    const mode = key ? "signed" : options.sizeHint <= ONE_SHOT_MODE_MAX_BYTES || datagrams ? "one-shot" : "continuous";
    return new CmdCtrlSource(device, description, emulated, mode, status, options, key);
  } catch (error) {
    await device.close();
    throw error;
  }
}

class CmdCtrlSource implements RandomSource {
  readonly #pending: Uint8Array[] = [];
  #ready: number;
  #streamStarted = 0;
  #closed = false;

  constructor(
    readonly device: CmdCtrlDevice,
    readonly description: string,
    readonly emulated: boolean,
    readonly mode: "signed" | "one-shot" | "continuous",
    status: Status,
    readonly options: SourceOptions,
    readonly key: CryptoKey | undefined,
  ) {
    this.#ready = status.readyBytes;
  }

  /** Until ready_bytes > 0: ask the device first, sleep only when it has nothing ready. */
  async #waitReady(): Promise<void> {
    while (this.#ready <= 0) {
      const status = await this.device.status();
      checkHealth(status, this.description);
      this.#ready = status.readyBytes;
      if (this.#ready <= 0) await this.options.platform.sleep(POLL_MS);
    }
  }

  /**
   * Continuous mode between status checks reads straight into `buffer` (see
   * CmdCtrlDevice.nextDataInto); otherwise the next run is copied (the rest waits its turn).
   */
  async nextInto(buffer: Uint8Array): Promise<number> {
    const streamingOn = this.mode === "continuous" && this.device.streaming && this.#pending.length === 0 &&
      this.options.platform.now() - this.#streamStarted <= STATUS_CHECK_MS;
    if (streamingOn && !this.#closed) return await this.device.nextDataInto(buffer);
    const run = await this.next();
    if (run.length > buffer.length) this.#pending.unshift(run.slice(buffer.length));
    buffer.set(run.subarray(0, buffer.length));
    return Math.min(run.length, buffer.length);
  }

  async next(): Promise<Uint8Array> {
    if (this.#closed) throw new QrngError("disconnected", `${this.description}: closed`);
    const queued = this.#pending.shift();
    if (queued) return queued;
    const now = this.options.platform.now();
    if (this.mode === "continuous") {
      if (!this.device.streaming) {
        checkHealth(await this.device.startContinuous(), this.description);
        this.#streamStarted = now;
      } else if (now - this.#streamStarted > STATUS_CHECK_MS) {
        const status = await this.device.stop((data) => void this.#pending.push(data.slice()));
        checkHealth(status, this.description);
        return this.#pending.shift() ?? await this.next();
      }
      return await this.device.nextData();
    }
    await this.#waitReady();
    const length = Math.min(this.#ready, MAX_REQUEST_BYTES);
    if (this.mode === "signed") {
      const { data, signature } = await this.device.signedRead(length);
      this.#ready -= length;
      if (!(await verifySignature(this.key!, data, signature))) {
        throw new QrngError("device", `Signed read of ${length} bytes from ${this.description} failed verification: refusing the data`);
      }
      return data;
    }
    const { data, status } = await this.device.oneShot(length);
    checkHealth(status, this.description);
    this.#ready = status.readyBytes - length;
    return data;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.device.streaming) await this.device.stop();
    } catch {
      // The device may be gone; closing must still release the transport.
    } finally {
      await this.device.close();
    }
  }
}
