/**
 * The XR232 / XR232USB as the host sees it, with no I/O: a state machine an adapter (a pty, or
 * the in-process `sim:` transport) drives. It counts magic characters (`U`), answers exactly one
 * byte per `U` from the firmware model, resets on every open (CTS off through the cold start),
 * withholds answers while CTS is off (pending requests wait, as they would in the bridge's
 * buffer behind an inactive CTS) and, for XR232USB, enters identification mode when the first
 * `U` after an open arrives below 2400 baud: a repeating ASCII identification string until the
 * port closes. A classic XR232 has no identification mode and answers random bytes at any rate.
 *
 * Time: the model's clock advances by 10 bit times per answered byte and, while CTS is off, by
 * the wall time the adapter reports through {@link Xr232Device.wait}. So the bytes depend only on
 * seed, parameters, baud and how many were asked for, not on how fast the host reads.
 */
import { type Disturbance, Xr232Model, type Xr232Params } from "../../wasm/xr232.ts";
import { MAGIC } from "../protocol/xr232.ts";

/** Below this baud rate the XR232USB answers with its identification string. */
export const IDENT_BELOW_BAUD = 2400;
/**
 * The emulator's identification string. The real string is not published (it names the device
 * and its firmware build date); hosts must detect the repeating cycle, not this text.
 */
export const EMULATED_IDENTIFICATION = "XR232USB V1.1 (qrng emulator) firmware 2026-11-22\r\n";

/** Which device to emulate. */
export type Xr232Kind = "xr232usb" | "xr232";

/** Options of {@link Xr232Device}. */
export interface Xr232DeviceOptions {
  /** Seed of the emulated noise source. @default 1n */
  seed?: bigint;
  /** Model parameters. @default the published values */
  params?: Partial<Xr232Params>;
  /** Disturbances in model seconds. @default none */
  schedule?: readonly Disturbance[];
  /** Recorded pulse widths in microseconds to play instead of the seeded source. @default none */
  recordedWidthsUs?: ArrayLike<number>;
  /** Identification string (XR232USB). @default EMULATED_IDENTIFICATION */
  identification?: string;
}

/** One emulated device. */
export class Xr232Device {
  readonly kind: Xr232Kind;
  readonly model: Xr232Model;
  readonly identification: Uint8Array;
  #open = false;
  #baud = 0;
  #pending = 0;
  #mode: "undecided" | "random" | "identification" = "undecided";
  #identIndex = 0;
  #served = 0;

  constructor(kind: Xr232Kind, options: Xr232DeviceOptions = {}) {
    this.kind = kind;
    this.model = new Xr232Model(
      options.seed ?? 1n,
      options.params,
      options.schedule,
      options.recordedWidthsUs,
    );
    this.identification = new TextEncoder().encode(options.identification ?? EMULATED_IDENTIFICATION);
    if (this.identification.length === 0) throw new RangeError("identification string must not be empty");
  }

  /** Whether a host has the port open. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Requests received and not yet answered. */
  get pending(): number {
    return this.#pending;
  }

  /** Whether the device lets data flow (the model's CTS). */
  get cts(): boolean {
    return this.#open && this.model.cts;
  }

  /** "identification" once the first `U` came below 2400 baud (XR232USB), else "random"/"undecided". */
  get mode(): "undecided" | "random" | "identification" {
    return this.#mode;
  }

  /** Random bytes answered since power-on (identification characters not counted). */
  get served(): number {
    return this.#served;
  }

  /** The host opened the port at `baud`: RTS resets the controller (cold start, CTS off). */
  open(baud: number): void {
    this.#open = true;
    this.#baud = baud;
    this.#pending = 0;
    this.#mode = "undecided";
    this.#identIndex = 0;
    this.model.reset();
  }

  /** The host closed the port: unanswered requests are lost, identification mode ends. */
  close(): void {
    this.#open = false;
    this.#pending = 0;
    this.#mode = "undecided";
  }

  /** The host changed the line rate while the port is open. */
  setBaud(baud: number): void {
    this.#baud = baud;
  }

  /** Takes bytes the host sent; every `U` is one request, anything else is ignored. */
  receive(data: Uint8Array): void {
    if (!this.#open) return;
    let count = 0;
    for (let i = 0; i < data.length; i++) if (data[i] === MAGIC) count++;
    if (count > 0 && this.#mode === "undecided") {
      this.#mode = this.kind === "xr232usb" && this.#baud < IDENT_BELOW_BAUD ? "identification" : "random";
    }
    this.#pending += count;
  }

  /** Lets `seconds` of wall time pass: the firmware's timers run while CTS is off. */
  wait(seconds: number): void {
    if (this.#open && !this.model.cts && seconds > 0) this.model.advance(seconds, true);
  }

  /** Answers up to `max` pending requests (fewer when CTS goes off); returns a fresh array. */
  answer(max: number): Uint8Array {
    const n = Math.min(max, this.#pending);
    if (!this.#open || n <= 0 || !this.model.cts) return new Uint8Array(0);
    if (this.#mode === "identification") {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = this.identification[this.#identIndex];
        this.#identIndex = (this.#identIndex + 1) % this.identification.length;
      }
      this.#pending -= n;
      return out;
    }
    const out = this.model.serve(Math.min(n, 65536), this.#baud).slice();
    this.#pending -= out.length;
    this.#served += out.length;
    return out;
  }
}
