/**
 * Where `qrng read` puts its bytes (its text forms: text_format.ts); `qrng view` and
 * `qrng model` write their files through the same sink ({@link writeWholeFile}).
 *
 * What FILE is decides, never where it lives (symbolic links followed):
 * - stdout: written as it comes (a closed pipe rejects with kind "closed").
 * - `-o FILE`, a regular file or none yet (in /dev/shm too): written to a temporary file beside
 *   it and renamed over it only on success, so a failed or interrupted read never leaves a
 *   truncated or corrupt FILE. A symbolic link stays: its target is replaced, the temporary
 *   file beside the target.
 * - `-o FILE --append`: appended in place; a failure or interruption cuts FILE back to its old
 *   size, so it gets all the new bytes or none. (Appending to no file creates it, as above.)
 * - `-o` a character or block device (/dev/null, a tty), a FIFO, or an open descriptor
 *   (/dev/stdout, /dev/fd/3): written as it comes, like stdout; what was written stays.
 *
 * Nothing is held back: each write goes out at once, so a slow device's bytes reach a pipe as
 * soon as they passed the health gate. The caller's writes are as large as its reads allow.
 */
import { basename, dirname, join, resolve } from "node:path";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describeError, QrngError } from "../errors.ts";
import type { ByteWriter, Platform } from "../platform.ts";

/**
 * Where a sink's bytes go and how they are published: stdout and streams (character and block
 * devices, FIFOs, descriptors already open) as they come, a regular file by a temporary file
 * renamed over its target, an append in place, cut back to its old size on failure.
 */
type Destination =
  | { kind: "stdout" }
  | { kind: "stream"; path: string }
  | { kind: "replace"; path: string; target: string; temp: string }
  | { kind: "append"; path: string; target: string; bytesBefore: number };

/** Longest file name (NAME_MAX of Linux, macOS and Windows file systems), in UTF-8 bytes. */
const NAME_MAX_BYTES = 255;
/** Symbolic links followed before giving up, as Linux does (ELOOP). */
const MAX_LINK_HOPS = 40;
/**
 * Names of open descriptors: Linux's links into the kernel's descriptor tables (/dev/stdout
 * ends in one) and the BSDs' and macOS's descriptor devices, which stat as what they refer to.
 */
const OPEN_DESCRIPTOR_PATH = /^\/(?:(?:proc\/(?:self|thread-self|\d+)|dev)\/fd\/\d+|dev\/std(?:in|out|err))$/;

/**
 * The file a chain of symbolic links from `path` ends at (`path` itself when it is no link),
 * or undefined when it passes through an open descriptor (/dev/stdout, /dev/fd/3), which is
 * written as it is.
 */
async function linkTarget(platform: Platform, path: string): Promise<string | undefined> {
  let current = path;
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    if (OPEN_DESCRIPTOR_PATH.test(resolve(current))) return undefined;
    const next = await platform.readLink(current);
    if (next === undefined) return current;
    current = resolve(dirname(current), next);
  }
  throw new Error("too many levels of symbolic links");
}

/**
 * A new name beside `target` for its temporary file, within NAME_MAX however long the target's
 * own name is (the name is cut at a character boundary to make room for the suffix).
 */
function temporaryPath(target: string): string {
  const tag = bytesToHex(crypto.getRandomValues(new Uint8Array(4)));
  const suffix = `.qrng-partial-${tag}`;
  const encoder = new TextEncoder();
  let room = NAME_MAX_BYTES - suffix.length;
  let prefix = "";
  for (const char of basename(target)) {
    room -= encoder.encode(char).length;
    if (room < 0) break;
    prefix += char;
  }
  return join(dirname(target), prefix + suffix);
}

/** `opening`, or a rejection of kind "interrupted" once `signal` aborts (the open is left to finish unseen). */
function untilAborted(opening: Promise<ByteWriter>, signal: AbortSignal, path: string): Promise<ByteWriter> {
  return new Promise((resolve, reject) => {
    const stop = () =>
      reject(new QrngError("interrupted", `Cannot write ${path}: interrupted while waiting for its reader`));
    if (signal.aborted) return stop();
    signal.addEventListener("abort", stop, { once: true });
    opening.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
  });
}

/** A failure-safe destination; see the module comment. */
export class OutputSink {
  readonly #platform: Platform;
  readonly #writer: ByteWriter;
  readonly #destination: Destination;

  private constructor(platform: Platform, writer: ByteWriter, destination: Destination) {
    this.#platform = platform;
    this.#writer = writer;
    this.#destination = destination;
  }

  /**
   * Opens stdout (no path or "-") or `path`, deciding by what it names (links followed): a
   * directory is refused, devices and FIFOs are streams, a regular or new file gets a
   * temporary file beside it (beside a link's target), an existing one with `append` is
   * appended to in place. Opening a FIFO waits for its reader; `signal` ends that wait (kind
   * "interrupted").
   */
  static async open(
    platform: Platform,
    path: string | undefined,
    append: boolean,
    signal?: AbortSignal,
  ): Promise<OutputSink> {
    if (path === undefined || path === "-") {
      return new OutputSink(platform, platform.stdout, { kind: "stdout" });
    }
    // Name FILE, as the user gave it, in every error (not its target or temporary file).
    const fail = (error: unknown): never => {
      throw new QrngError(
        "output",
        `Cannot write ${path}: ${describeError((error as Error).cause ?? error)}`,
        { cause: error },
      );
    };
    const target = await linkTarget(platform, path).catch(fail);
    const info = await platform.fileInfo(path).catch(fail);
    if (info.type === "directory") throw new QrngError("output", `Cannot write ${path}: it is a directory`);
    if (target === undefined || (info.type !== "file" && info.type !== "missing")) {
      // Written in place: a rename would replace the device or FIFO (whose reader would get
      // nothing). An open descriptor is appended to (it may be a file the shell opened with >>);
      // a block device is not (an append would start at its end).
      const opening = platform.openWriter(path, { append: target === undefined }).catch(fail);
      const writer = await (info.type === "fifo" && signal ? untilAborted(opening, signal, path) : opening);
      return new OutputSink(platform, writer, { kind: "stream", path });
    }
    if (append && info.type === "file") {
      const writer = await platform.openWriter(target, { append: true }).catch(fail);
      return new OutputSink(platform, writer, { kind: "append", path, target, bytesBefore: info.bytes });
    }
    const temp = temporaryPath(target);
    const mode = info.type === "file" ? info.mode : undefined; // a replaced file keeps its permissions
    const writer = await platform.openWriter(temp, { mode }).catch(fail);
    return new OutputSink(platform, writer, { kind: "replace", path, target, temp });
  }

  /** Whether bytes go out as they are written (stdout, devices, FIFOs): an abort keeps them. */
  get streams(): boolean {
    return this.#destination.kind === "stdout" || this.#destination.kind === "stream";
  }

  /** Writes all of `data` to the destination (nothing is held back). */
  async write(data: Uint8Array): Promise<void> {
    try {
      await this.#writer.write(data);
    } catch (error) {
      throw this.#named(error);
    }
  }

  /** A file's failure names FILE as the user gave it; stdout's (and a closed pipe) pass as they are. */
  #named(error: unknown): unknown {
    const d = this.#destination;
    if (d.kind === "stdout" || (error instanceof QrngError && error.kind !== "output")) return error;
    return new QrngError(
      "output",
      `Cannot write ${d.path}: ${describeError((error as Error).cause ?? error)}`,
      { cause: error },
    );
  }

  /** Success: publishes the output (a replaced file is renamed over its target). */
  async commit(): Promise<void> {
    const d = this.#destination;
    if (d.kind === "stdout") return;
    try {
      await this.#writer.close();
      if (d.kind === "replace") await this.#platform.rename(d.temp, d.target);
    } catch (error) {
      throw this.#named(error);
    }
  }

  /**
   * Failure: stdout and streams keep what was written; a file is left as it was (the temporary
   * file removed, an append cut back). Best effort: never rejects.
   */
  async abort(): Promise<void> {
    const d = this.#destination;
    if (d.kind === "stdout") return;
    await this.#writer.close().catch(() => {});
    if (d.kind === "replace") await this.#platform.remove(d.temp).catch(() => {});
    if (d.kind === "append") await this.#platform.truncate(d.target, d.bytesBefore).catch(() => {});
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
