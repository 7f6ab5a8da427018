/** The text forms `qrng read --format` writes bytes in: raw, hex lines, base64 lines. */

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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function hexLines(bytes: Uint8Array, final: boolean): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += HEX_LINE_BYTES) {
    const line = bytes.subarray(i, i + HEX_LINE_BYTES);
    let out = "";
    for (const b of line) out += HEX[b];
    text += line.length === HEX_LINE_BYTES || final ? out + "\n" : out;
  }
  return text;
}

function base64Lines(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += BASE64_LINE_BYTES) {
    const line = bytes.subarray(i, i + BASE64_LINE_BYTES);
    let out = "";
    for (let j = 0; j < line.length; j += 3) {
      const n = line[j] << 16 | (line[j + 1] ?? 0) << 8 | (line[j + 2] ?? 0);
      out += B64[n >> 18 & 63] + B64[n >> 12 & 63] +
        (j + 1 < line.length ? B64[n >> 6 & 63] : "=") + (j + 2 < line.length ? B64[n & 63] : "=");
    }
    text += out + "\n";
  }
  return text;
}

/** Encodes a byte stream as raw, hex or base64 lines, whatever the chunking. */
export class Formatter {
  readonly #format: OutputFormat;
  readonly #line: number;
  #carry = new Uint8Array(0);
  readonly #encoder = new TextEncoder();

  constructor(format: OutputFormat) {
    this.#format = format;
    this.#line = format === "hex" ? HEX_LINE_BYTES : BASE64_LINE_BYTES;
  }

  /** The output for `bytes` (raw: the bytes themselves; a view valid until the next call). */
  push(bytes: Uint8Array): Uint8Array {
    if (this.#format === "raw") return bytes;
    const all = new Uint8Array(this.#carry.length + bytes.length);
    all.set(this.#carry);
    all.set(bytes, this.#carry.length);
    const whole = all.length - all.length % this.#line;
    this.#carry = all.slice(whole);
    return this.#encode(all.subarray(0, whole), false);
  }

  /** The output for what remains at the end. */
  end(): Uint8Array {
    if (this.#format === "raw" || this.#carry.length === 0) return new Uint8Array(0);
    const rest = this.#carry;
    this.#carry = new Uint8Array(0);
    return this.#encode(rest, true);
  }

  #encode(bytes: Uint8Array, final: boolean): Uint8Array {
    return this.#encoder.encode(this.#format === "hex" ? hexLines(bytes, final) : base64Lines(bytes));
  }
}
