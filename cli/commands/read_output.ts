/**
 * Where `qrng read` puts its bytes, and in which text form; `qrng view` and `qrng model` write
 * their files through the same sink ({@link writeWholeFile}).
 *
 * - stdout: written as it comes (a closed pipe rejects with kind "closed").
 * - `-o FILE`: written to a temporary file beside FILE and renamed over it only on success, so
 *   a failed or interrupted read never leaves a truncated or corrupt FILE.
 * - `-o FILE --append`: the new bytes also go to a temporary file first; only on success are
 *   they appended to FILE. On failure FILE is exactly as it was.
 * - `-o /dev/...` (null, stdout, fd/N): written directly, like stdout.
 *
 * Output is batched into OUTPUT_BATCH_BYTES writes (fewer syscalls and awaits on the hot path).
 */
import { describeError, QrngError } from "../errors.ts";
import type { ByteWriter, Platform } from "../platform.ts";

/** Size of the writes made to the destination. */
export const OUTPUT_BATCH_BYTES = 1 << 20;
/** Runs at least this long skip the batch and are written as they are (one copy fewer). */
const DIRECT_WRITE_BYTES = 1 << 17;
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

/** A batched, failure-safe destination; see the module comment. */
export class OutputSink {
  readonly #platform: Platform;
  readonly #writer: ByteWriter;
  readonly #path: string | undefined;
  readonly #temp: string | undefined;
  readonly #append: boolean;
  readonly #batch = new Uint8Array(OUTPUT_BATCH_BYTES);
  #used = 0;

  private constructor(platform: Platform, writer: ByteWriter, path?: string, temp?: string, append = false) {
    this.#platform = platform;
    this.#writer = writer;
    this.#path = path;
    this.#temp = temp;
    this.#append = append;
  }

  /** Opens stdout (no path) or a temporary file beside `path`. */
  static async open(platform: Platform, path: string | undefined, append: boolean): Promise<OutputSink> {
    if (path === undefined || path === "-") return new OutputSink(platform, platform.stdout);
    // Devices and pipes (/dev/null, /dev/stdout, /dev/fd/3) are written directly: a temp file
    // beside them and a rename over them would be wrong (and, as root, replace the device).
    if (path.startsWith("/dev/")) return new OutputSink(platform, await platform.openWriter(path, { append }));
    if (await platform.isDirectory(path)) throw new QrngError("output", `Cannot write ${path}: it is a directory`);
    const tag = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join("");
    const temp = `${path}.qrng-partial-${tag}`;
    // Name FILE, not the temporary file, in the error: that is what the user gave.
    const writer = await platform.openWriter(temp).catch((error: Error) => {
      throw new QrngError("output", `Cannot write ${path}: ${describeError(error.cause ?? error)}`);
    });
    return new OutputSink(platform, writer, path, temp, append);
  }

  /**
   * Queues `data` (copied), writing full batches; a long run with nothing batched is written
   * at once instead (it is only read until this call resolves).
   */
  async write(data: Uint8Array): Promise<void> {
    if (this.#used === 0 && data.length >= DIRECT_WRITE_BYTES) return await this.#writeOut(data);
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(data.length - offset, this.#batch.length - this.#used);
      this.#batch.set(data.subarray(offset, offset + take), this.#used);
      this.#used += take;
      offset += take;
      if (this.#used === this.#batch.length) await this.flush();
    }
  }

  /** Writes what is batched. */
  async flush(): Promise<void> {
    if (this.#used === 0) return;
    const used = this.#used;
    this.#used = 0;
    await this.#writeOut(this.#batch.subarray(0, used));
  }

  /** Writes to the destination; a temporary file's failure names FILE, as the user gave it. */
  async #writeOut(data: Uint8Array): Promise<void> {
    try {
      await this.#writer.write(data);
    } catch (error) {
      if (this.#temp === undefined || !(error instanceof QrngError) || error.kind !== "output") throw error;
      throw new QrngError("output", `Cannot write ${this.#path}: ${describeError(error.cause ?? error)}`, { cause: error });
    }
  }

  /** Success: flushes and publishes the file (rename, or append then remove the temp file). */
  async commit(): Promise<void> {
    await this.flush();
    if (this.#writer === this.#platform.stdout) return;
    if (this.#temp === undefined) return await this.#writer.close();
    await this.#writer.close();
    if (!this.#append) {
      return await this.#platform.rename(this.#temp!, this.#path!).catch((error: Error) => {
        throw new QrngError("output", `Cannot write ${this.#path}: ${describeError(error)}`);
      });
    }
    const reader = await this.#platform.openReader(this.#temp!);
    const target = await this.#platform.openWriter(this.#path!, { append: true });
    const buffer = new Uint8Array(OUTPUT_BATCH_BYTES);
    try {
      for (let n; (n = await reader.read(buffer)) > 0;) await target.write(buffer.subarray(0, n));
    } finally {
      await reader.close();
      await target.close();
    }
    await this.#platform.remove(this.#temp!);
  }

  /** Failure: stdout keeps what was written (flushed, best effort); a file is left untouched. */
  async abort(): Promise<void> {
    if (this.#writer === this.#platform.stdout || this.#temp === undefined) {
      await this.flush().catch(() => {});
      if (this.#temp === undefined && this.#writer !== this.#platform.stdout) await this.#writer.close().catch(() => {});
      return;
    }
    this.#used = 0;
    await this.#writer.close().catch(() => {});
    await this.#platform.remove(this.#temp!).catch(() => {});
  }
}

/**
 * Writes `data` to `path` (or stdout for "-") through an {@link OutputSink}: an existing file
 * is replaced only once all of `data` is written, never left truncated.
 */
export async function writeWholeFile(platform: Platform, path: string, data: Uint8Array): Promise<void> {
  const sink = await OutputSink.open(platform, path, false);
  try {
    await sink.write(data);
    await sink.commit();
  } catch (error) {
    await sink.abort();
    throw error;
  }
}
