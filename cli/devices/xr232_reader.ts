/**
 * The XR232 / XR232USB host protocol over a port: write magic characters (`U`), read one random
 * byte per `U`. Keeps enough requests in flight to fill the line (the device answers at 10 bit
 * times per byte; round trips through USB and the kernel would otherwise leave it idle), and
 * handles a device that stops answering (CTS off: its noise source is disturbed) by policy:
 *
 * - generous ("wait"): keep waiting; say so on stderr once, and again when data resumes. Suits
 *   unattended generation of large files.
 * - strict (a timeout in ms): after that long without data, close the port, wait, reopen it
 *   (which resets the device) and carry on, up to a number of reopens; then fail.
 *
 * Every open resets the device, which then needs its cold start (~0.1 s) before it answers, so
 * the stall timeout starts counting only after a startup allowance. Bytes are passed on exactly
 * as received: nothing is filled in for a stall and nothing is repeated after a reopen (requests
 * unanswered at a close are simply forgotten; the reopened device answers fresh ones).
 */
import { bytesToHex } from "@noble/hashes/utils.js";
import { QrngError } from "../errors.ts";
import type { Transport } from "../transports/transport.ts";
import { MAGIC, XR232_CLASSIC_BAUD, XR232USB_BAUD } from "../protocol/xr232.ts";
/** Longest single read wait, so stalls are noticed promptly. */
const READ_SLICE_MS = 20;
/** A generous host says it is waiting after this long without data. */
const WAIT_NOTICE_MS = 200;

/** What the driver needs from a port: a Transport that can reset the device by reopening. */
export interface Xr232Port extends Transport {
  /** Closes and opens again (RTS resets the device); pending requests are lost. */
  reopen(): Promise<void>;
  /** CTS where the port has modem lines; undefined on a pty. */
  cts?(): boolean | undefined;
}

/** Options of {@link Xr232Reader}. */
export interface Xr232ReaderOptions {
  /** Line rate, for sizing the requests in flight. */
  baud: number;
  /** "wait" (generous) or a stall timeout in ms (strict: reopen). @default "wait" */
  ctsTimeout?: "wait" | number;
  /** Strict policy: most reopens in a row without data in between. @default 5 */
  maxReopens?: number;
  /** Time an open device may take to answer at all (cold start ~0.1 s). @default 2000 */
  startupMs?: number;
  /** Requests kept in flight; the default covers about 25 ms of line time (at least 64). */
  inFlight?: number;
  /** Most requests in total (a reader that knows how much it needs asks no further). @default unlimited */
  budget?: number;
  /** Monotonic milliseconds. */
  now(): number;
  /** Status lines (stall, reopen, resume) for stderr. */
  log(line: string): void;
  /** Polled while the device is silent: true ends the read with an "interrupted" QrngError (Ctrl-C). */
  aborted?(): boolean;
}

/** Reads random bytes from an XR232 / XR232USB. */
export class Xr232Reader {
  readonly #port: Xr232Port;
  readonly #options:
    & Required<Omit<Xr232ReaderOptions, "log" | "now" | "aborted">>
    & Pick<Xr232ReaderOptions, "log" | "now" | "aborted">;
  #outstanding = 0;
  #requested = 0;
  #openedAt: number;
  #lastDataAt: number;
  #gotSinceOpen = false;
  #reopensInARow = 0;
  #waiting = false;
  #reopens = 0;

  constructor(port: Xr232Port, options: Xr232ReaderOptions) {
    this.#port = port;
    this.#options = {
      ctsTimeout: "wait",
      maxReopens: 5,
      startupMs: 2000,
      inFlight: Math.max(64, Math.ceil((options.baud / 10) * 0.025)),
      budget: Infinity,
      ...options,
    };
    this.#openedAt = this.#lastDataAt = options.now();
  }

  /** How many times the strict policy reopened the port. */
  get reopens(): number {
    return this.#reopens;
  }

  /**
   * Stores random bytes from the device into `buffer`, at least `least` of them (by default
   * all: fills it); resolves how many.
   */
  async readInto(buffer: Uint8Array, least = buffer.length): Promise<number> {
    const o = this.#options;
    let got = 0;
    while (got < least) {
      // Requests run ahead across calls, so the line never idles between buffers; answers
      // beyond this buffer wait in the port for the next call.
      const want = Math.min(o.inFlight - this.#outstanding, o.budget - this.#requested);
      if (want > 0) {
        try {
          await this.#port.write(new Uint8Array(want).fill(MAGIC));
          this.#outstanding += want;
          this.#requested += want;
        } catch (error) {
          // A port with RTS/CTS holds writes while CTS is off; that is a stall like any other.
          // Counting none as sent errs towards asking again (an extra answer) over waiting for
          // answers that will never come.
          if ((error as QrngError).kind !== "timeout") throw error;
        }
      }
      const n = await this.#port.read(buffer.subarray(got), READ_SLICE_MS);
      const now = o.now();
      if (n > 0) {
        got += n;
        this.#outstanding = Math.max(0, this.#outstanding - n);
        if (this.#waiting) o.log(`xr232: data resumed after ${Math.round(now - this.#lastDataAt)} ms`);
        this.#waiting = false;
        this.#lastDataAt = now;
        this.#gotSinceOpen = true;
        this.#reopensInARow = 0;
        continue;
      }
      await this.#stalled(now);
    }
    return got;
  }

  async #stalled(now: number): Promise<void> {
    const o = this.#options;
    const since = this.#gotSinceOpen ? this.#lastDataAt : this.#openedAt;
    const silentMs = now - since;
    const cts = this.#port.cts?.();
    const why = cts === false ? "CTS is off: the noise source is disturbed" : "CTS off or device hung?";
    if (o.aborted?.()) {
      throw new QrngError("interrupted", `Interrupted while waiting for ${this.#port.description} (${why})`);
    }
    if (o.ctsTimeout === "wait") {
      if (!this.#waiting && silentMs >= Math.max(WAIT_NOTICE_MS, this.#gotSinceOpen ? 0 : o.startupMs)) {
        o.log(`xr232: no data for ${Math.round(silentMs)} ms (${why}); waiting (--cts-timeout wait)`);
        this.#waiting = true;
      }
      return;
    }
    const limit = this.#gotSinceOpen ? o.ctsTimeout : Math.max(o.ctsTimeout, o.startupMs);
    if (silentMs < limit) return;
    if (this.#reopensInARow >= o.maxReopens) {
      throw new QrngError(
        "timeout",
        `Cannot read from ${this.#port.description}: no data for ${
          Math.round(silentMs)
        } ms after ${o.maxReopens} reopens (${why})`,
      );
    }
    this.#reopensInARow++;
    this.#reopens++;
    o.log(
      `xr232: no data for ${Math.round(silentMs)} ms (${why}): closing, waiting, reopening ` +
        `(${this.#reopensInARow} of ${o.maxReopens})`,
    );
    await this.#port.reopen();
    await this.#port.discardInput();
    this.#requested -= this.#outstanding;
    this.#outstanding = 0;
    this.#gotSinceOpen = false;
    this.#openedAt = o.now();
  }
}

/** What {@link classify} made of an answer. */
export interface Identification {
  /** "other": answers that are neither (see `seen`); "unknown": no answer at all. */
  kind: "xr232usb" | "xr232" | "other" | "unknown";
  /** The repeating identification string (XR232USB). */
  identification?: string;
  /** What an "other" device answered, in words. */
  seen?: string;
  /** The baud rate to use for reading. */
  recommendedBaud: number;
  /** Bytes that came back. */
  received: number;
}

/** The cycle of a repeating printable-ASCII answer, or undefined. */
export function repeatingCycle(bytes: Uint8Array): string | undefined {
  const printable = bytes.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0d || b === 0x0a || b === 0x09);
  if (!printable) return undefined;
  for (let period = 4; period * 2 <= bytes.length; period++) {
    let ok = true;
    for (let i = period; i < bytes.length && ok; i++) ok = bytes[i] === bytes[i - period];
    if (ok) return new TextDecoder().decode(bytes.subarray(0, period));
  }
  return undefined;
}

/** Fewer answers than this cannot show that they are random. */
const MIN_RANDOM_ANSWERS = 32;

/** `bytes` as hex, a space between bytes. */
const hexBytes = (bytes: Uint8Array) => bytesToHex(bytes).replace(/..(?!$)/g, "$& ");

/**
 * Why `answers` are not the random bytes of a classic XR232, in words, or undefined when they
 * may be. Random bytes repeat with a period of at most half their length, or show fewer than
 * half the distinct values they should (256 (1 - (255/256)^n) on average), with a chance below
 * 2^-100 for the 32 or more answers judged.
 */
function notRandom(answers: Uint8Array): string | undefined {
  const n = answers.length;
  if (n < MIN_RANDOM_ANSWERS) {
    return `only ${n} byte(s) (${hexBytes(answers)}), too few to be an XR232's random bytes`;
  }
  if (answers.every((b) => b === answers[0])) return `0x${hexBytes(answers.subarray(0, 1))}, ${n} times`;
  for (let period = 2; period * 2 <= n; period++) {
    if (answers.every((b, i) => i < period || b === answers[i - period])) {
      return `a repeating ${period}-byte pattern (${hexBytes(answers.subarray(0, Math.min(period, 16)))}${
        period > 16 ? " ..." : ""
      }) in ${n} bytes`;
    }
  }
  const distinct = new Set(answers).size;
  const expected = 256 * (1 - (255 / 256) ** n);
  if (distinct < expected / 2) {
    return `only ${distinct} distinct byte values in ${n} bytes (random bytes give about ${
      Math.round(expected)
    })`;
  }
  return undefined;
}

/**
 * Tells an XR232USB (identification string at < 2400 baud) from a classic XR232 (random bytes
 * at any rate) from the answers to magic characters sent at a low rate; anything else (a
 * constant, a pattern, too few answers) is "other", never a guess.
 */
export function classify(answers: Uint8Array): Identification {
  if (answers.length === 0) return { kind: "unknown", recommendedBaud: 0, received: 0 };
  const cycle = repeatingCycle(answers);
  if (cycle !== undefined) {
    return {
      kind: "xr232usb",
      identification: cycle,
      recommendedBaud: XR232USB_BAUD,
      received: answers.length,
    };
  }
  const seen = notRandom(answers);
  if (seen !== undefined) return { kind: "other", seen, recommendedBaud: 0, received: answers.length };
  return { kind: "xr232", recommendedBaud: XR232_CLASSIC_BAUD, received: answers.length };
}
