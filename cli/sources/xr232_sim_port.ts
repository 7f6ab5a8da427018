/**
 * The in-process emulated XR232 / XR232USB (`sim:xr232usb`, `sim:xr232`): a port whose other
 * end is an {@link Xr232Device} instead of a wire. Answers come at once (no line pacing, so
 * tests and `qrng read --device sim:...` run at model speed); the device's cold start and
 * CTS-off periods take real time, so a driver's stall policy sees them as on hardware.
 */
import type { Xr232Port } from "../devices/xr232_reader.ts";
import { QrngError } from "../errors.ts";
import { Xr232Device, type Xr232DeviceOptions, type Xr232Kind } from "../emulators/xr232_device.ts";

/** What the sim port needs from outside. */
export interface Xr232SimClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** An emulated device behind an in-process port, opened (and so reset) at `baud`. */
export class Xr232SimPort implements Xr232Port {
  readonly device: Xr232Device;
  readonly description: string;
  #baud: number;
  #clock: Xr232SimClock;
  #closed = false;
  #last: number;

  constructor(kind: Xr232Kind, baud: number, clock: Xr232SimClock, options: Xr232DeviceOptions = {}) {
    this.device = new Xr232Device(kind, options);
    this.description = `sim:${kind} (emulated, seed ${options.seed ?? 1n}) at ${baud} baud`;
    this.#baud = baud;
    this.#clock = clock;
    this.device.open(baud);
    this.#last = clock.now();
  }

  /** The host's requests reach the device at once. */
  write(data: Uint8Array): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new QrngError("disconnected", `Cannot write to ${this.description}: it was closed`),
      );
    }
    this.device.receive(data);
    return Promise.resolve();
  }

  async read(buffer: Uint8Array, timeoutMs: number): Promise<number> {
    if (this.#closed) return 0;
    const deadline = this.#clock.now() + timeoutMs;
    while (true) {
      const now = this.#clock.now();
      this.device.wait((now - this.#last) / 1000);
      this.#last = now;
      if (this.device.cts && this.device.pending > 0) {
        const bytes = this.device.answer(buffer.length);
        buffer.set(bytes);
        return bytes.length;
      }
      if (now >= deadline || this.#closed) return 0;
      await this.#clock.sleep(Math.min(5, deadline - now));
    }
  }

  discardInput(): Promise<void> {
    return Promise.resolve();
  }

  cts(): boolean | undefined {
    return this.device.cts;
  }

  async reopen(): Promise<void> {
    this.device.close();
    await this.#clock.sleep(10);
    this.device.open(this.#baud);
    this.#last = this.#clock.now();
  }

  close(): Promise<void> {
    this.#closed = true;
    this.device.close();
    return Promise.resolve();
  }
}
