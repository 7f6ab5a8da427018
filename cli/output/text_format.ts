/** The text forms `qrng read --format` writes bytes in: raw, hex lines, base64 lines. */
import { Buffer } from "node:buffer";

/** Bytes per hex line (64 hex digits). */
const HEX_LINE_BYTES = 32;
/** Bytes per base64 line (76 characters, as MIME and `base64` use). */
const BASE64_LINE_BYTES = 57;

/** The text forms of `--format`. */
export const OUTPUT_FORMATS = ["raw", "hex", "base64"] as const;
export type OutputFormat = typeof OUTPUT_FORMATS[number];

/** Whether `text` names an {@link OutputFormat}. */
export function isOutputFormat(text: string): text is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(text);
}

/** Newline, ending every line of text output. */
const NEWLINE = 0x0a;

/**
 * `bytes` in `format` (node:buffer's native encoders), cut into lines of `lineChars`, each ending
 * in a newline. A whole base64 line encodes a multiple of 3 bytes, so the text of many lines at
 * once is the lines' texts joined: padding ('=') can appear only in a last, short line.
 */
function encodedLines(bytes: Uint8Array, format: "hex" | "base64", lineChars: number): Uint8Array {
  const text = Buffer.from(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString(format),
    "latin1",
  );
  const out = Buffer.allocUnsafe(text.length + Math.ceil(text.length / lineChars));
  let at = 0;
  for (let i = 0; i < text.length; i += lineChars) {
    at += text.copy(out, at, i, i + lineChars);
    out[at++] = NEWLINE;
  }
  return out;
}

/** Encodes a byte stream as raw, hex or base64 lines, whatever the chunking. */
export class Formatter {
  readonly #format: OutputFormat;
  /** Bytes and characters per line. */
  readonly #lineBytes: number;
  readonly #lineChars: number;
  #carry = new Uint8Array(0);

  constructor(format: OutputFormat) {
    this.#format = format;
    this.#lineBytes = format === "hex" ? HEX_LINE_BYTES : BASE64_LINE_BYTES;
    this.#lineChars = format === "hex" ? HEX_LINE_BYTES * 2 : BASE64_LINE_BYTES / 3 * 4;
  }

  /** The output for `bytes` (raw: the bytes themselves; a view valid until the next call). */
  push(bytes: Uint8Array): Uint8Array {
    if (this.#format === "raw") return bytes;
    const all = new Uint8Array(this.#carry.length + bytes.length);
    all.set(this.#carry);
    all.set(bytes, this.#carry.length);
    const whole = all.length - all.length % this.#lineBytes;
    this.#carry = all.slice(whole);
    return this.#encode(all.subarray(0, whole));
  }

  /** The output for what remains at the end. */
  end(): Uint8Array {
    if (this.#format === "raw" || this.#carry.length === 0) return new Uint8Array(0);
    const rest = this.#carry;
    this.#carry = new Uint8Array(0);
    return this.#encode(rest);
  }

  #encode(bytes: Uint8Array): Uint8Array {
    return encodedLines(bytes, this.#format === "hex" ? "hex" : "base64", this.#lineChars);
  }
}
