/**
 * The wire protocol between `qrng serve` and its stream clients (Unix socket and TCP), shared by
 * the daemon (cli/serve/) and the client driver (cli/sources/daemon_client.ts). Every message
 * is a frame: one type byte, a u32 big-endian payload length, the payload (docs/serve.md).
 *
 *   daemon → client   'H' hello (JSON {@link Hello}, first, at connect)
 *                     'D' data (validated bytes; a read is answered by one or more)
 *                     'E' error (JSON {@link WireError}: the rest of the read is not coming)
 *   client → daemon   'T' token (UTF-8; first, when the hello says one is required)
 *                     'R' read (u32 big-endian byte count)
 */
import { QrngError, type QrngErrorKind } from "../errors.ts";

/** Frame type bytes. */
export const FRAME = {
  hello: 0x48,
  data: 0x44,
  error: 0x45,
  token: 0x54,
  read: 0x52,
} as const;

/** Bytes before each payload: type, then length. */
export const FRAME_HEADER_BYTES = 5;
/** The largest payload of a frame that is not data (hello, error, token, read). */
export const MAX_CONTROL_PAYLOAD_BYTES = 4096;
/** The protocol version the hello announces. */
export const SERVE_PROTOCOL_VERSION = 1;

/** What the daemon says at connect. */
export interface Hello {
  readonly protocol: number;
  /** The daemon's device, for messages. */
  readonly device: string;
  /** True when the device is an emulator (its data is reproducible, not random). */
  readonly emulated: boolean;
  /** The largest read the daemon answers. */
  readonly maxRequestBytes: number;
  /** Whether a token frame must come before any read. */
  readonly tokenRequired: boolean;
}

/** Why a read ended early. */
export interface WireError {
  readonly kind: QrngErrorKind;
  readonly message: string;
}

/** One decoded frame, or a piece of a data frame (data is handed on as it arrives). */
export interface Frame {
  readonly type: number;
  /** A view valid until the next {@link FrameDecoder.push}. */
  readonly payload: Uint8Array;
}

/**
 * Writes the header of a frame with `length` payload bytes at the start of `frame` (in place:
 * the daemon sends thousands of data frames a second from two reused buffers).
 */
export function writeFrameHeader(frame: Uint8Array, type: number, length: number): void {
  frame[0] = type;
  frame[1] = length >>> 24;
  frame[2] = length >>> 16;
  frame[3] = length >>> 8;
  frame[4] = length;
}

/** A whole frame. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(frame, type, payload.length);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** A JSON frame (hello, error). */
export function encodeJsonFrame(type: number, value: Hello | WireError): Uint8Array {
  return encodeFrame(type, new TextEncoder().encode(JSON.stringify(value)));
}

/** A read request for `bytes`. */
export function encodeRead(bytes: number): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, bytes);
  return encodeFrame(FRAME.read, payload);
}

/** The byte count of a read frame's payload, or undefined when malformed. */
export function decodeRead(payload: Uint8Array): number | undefined {
  return payload.length === 4 ? new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0) : undefined;
}

/** Parses a JSON payload; throws kind "protocol" naming `what` when it is not JSON. */
export function decodeJson<T>(payload: Uint8Array, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(payload)) as T;
  } catch {
    throw new QrngError("protocol", `Cannot read the daemon's ${what}: not JSON`);
  }
}

/**
 * Splits a byte stream into frames. Control frames are handed on whole; data frames in pieces
 * as their bytes arrive, so a large read needs no buffer of its size.
 */
export class FrameDecoder {
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #type = 0;
  #remaining = 0;
  #control: Uint8Array | undefined;
  #controlFill = 0;

  /** Whether the decoder is between frames (nothing partial buffered). */
  get idle(): boolean {
    return this.#headerFill === 0 && this.#remaining === 0;
  }

  /**
   * The frames (and data pieces) completed by `chunk`. Throws kind "protocol" on a control
   * frame larger than {@link MAX_CONTROL_PAYLOAD_BYTES} or an unknown type.
   */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining === 0 && this.#control === undefined) {
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + take), this.#headerFill);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill < FRAME_HEADER_BYTES) break;
        this.#headerFill = 0;
        this.#start(frames);
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - at);
      const piece = chunk.subarray(at, at + take);
      at += take;
      this.#remaining -= take;
      if (this.#control) {
        this.#control.set(piece, this.#controlFill);
        this.#controlFill += take;
        if (this.#remaining === 0) {
          frames.push({ type: this.#type, payload: this.#control });
          this.#control = undefined;
        }
      } else {
        frames.push({ type: this.#type, payload: piece });
      }
    }
    return frames;
  }

  #start(frames: Frame[]): void {
    const type = this.#header[0];
    const length = new DataView(this.#header.buffer).getUint32(1);
    if (!Object.values(FRAME).includes(type as never)) {
      throw new QrngError("protocol", `unknown frame type 0x${type.toString(16).padStart(2, "0")}`);
    }
    this.#type = type;
    this.#remaining = length;
    if (type === FRAME.data) return;
    if (length > MAX_CONTROL_PAYLOAD_BYTES) {
      throw new QrngError(
        "protocol",
        `a control frame of ${length} bytes (at most ${MAX_CONTROL_PAYLOAD_BYTES})`,
      );
    }
    this.#control = new Uint8Array(length);
    this.#controlFill = 0;
    if (length === 0) {
      frames.push({ type, payload: this.#control });
      this.#control = undefined;
    }
  }
}
