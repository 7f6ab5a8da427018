/**
 * What commands need from the outside world, passed in rather than reached for: streams, files,
 * clocks, signals and runtime facilities. Only `cli/main.ts` builds a Platform (from
 * `cli/runtime/`), so every command also runs under vitest with a platform made in the test.
 */
import type { SystemLibrary } from "./runtime/libc.ts";

/** A byte input. */
export interface ByteReader {
  /**
   * Reads into `buffer` (which may be a view of WASM memory): resolves how many bytes were
   * stored, at least one unless the input has ended, and 0 only at the end of input.
   */
  read(buffer: Uint8Array): Promise<number>;
  /** Releases the input; pending reads may resolve 0. */
  close(): Promise<void>;
}

/** A byte output. */
export interface ByteWriter {
  /**
   * Writes all of `data` before resolving. Rejects with a QrngError of kind "closed" when the
   * reader has gone away (a closed pipe), "output" on any other failure.
   */
  write(data: Uint8Array): Promise<void>;
  /** Flushes and releases the output. */
  close(): Promise<void>;
}

/** Options for {@link Platform.openWriter}. */
export interface OpenWriterOptions {
  /** Add to the end of an existing file instead of replacing it. @default false */
  append?: boolean;
  /** Permission bits of a file this creates (before the umask). @default 0o644 */
  mode?: number;
}

/** What a path names, symbolic links followed: decides how an output is written. */
export interface FileInfo {
  /** "missing" when nothing (or a dangling link) is there; "other" for sockets and the like. */
  type: "missing" | "file" | "directory" | "character-device" | "block-device" | "fifo" | "other";
  /** Size in bytes (0 unless a regular file). */
  bytes: number;
  /** Permission bits (0 when missing). */
  mode: number;
}

/** The signals that ask a command to stop cleanly (Ctrl-C, `kill`, a closed terminal). */
export type InterruptSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** The exit status after each {@link InterruptSignal}: 128 + the signal's number, as shells report. */
export const INTERRUPTED_EXIT_STATUS: Readonly<Record<InterruptSignal, number>> = {
  SIGHUP: 128 + 1,
  SIGINT: 128 + 2,
  SIGTERM: 128 + 15,
};

/** The standard stream numbers, for {@link Platform.isTerminal}. */
export type StdStream = "stdin" | "stdout" | "stderr";

/** The host environment of one CLI invocation. */
export interface Platform {
  /** Which runtime runs us, for messages and runtime-specific facilities. */
  readonly runtime: "deno" | "bun" | "node";
  /** Command-line arguments after the program name. */
  readonly args: readonly string[];
  /** An environment variable, or undefined. */
  env(name: string): string | undefined;
  readonly stdin: ByteReader;
  readonly stdout: ByteWriter;
  /** Writes diagnostics (progress, warnings, errors) synchronously, so they are never lost. */
  writeStderr(text: string): void;
  /** Whether a standard stream is an interactive terminal (progress output goes only there). */
  isTerminal(stream: StdStream): boolean;
  /** Width of the terminal on stderr in columns; 80 when unknown. */
  terminalColumns(): number;
  /** Opens a file for reading; rejects with a QrngError of kind "input" naming the path. */
  openReader(path: string): Promise<ByteReader>;
  /** Opens a file for writing; rejects with a QrngError of kind "output" naming the path. */
  openWriter(path: string, options?: OpenWriterOptions): Promise<ByteWriter>;
  /** What `path` names, symbolic links followed (checked before a long read writes to it). */
  fileInfo(path: string): Promise<FileInfo>;
  /** The target of the symbolic link `path` as stored in it, or undefined when `path` is no link. */
  readLink(path: string): Promise<string | undefined>;
  /** Renames a file (used to publish a completed output atomically). */
  rename(from: string, to: string): Promise<void>;
  /** Cuts a regular file back to `bytes` long (undoes a failed append). */
  truncate(path: string, bytes: number): Promise<void>;
  /** Removes a file if it exists. */
  remove(path: string): Promise<void>;
  /** Monotonic milliseconds. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /**
   * Calls `handler` on Ctrl-C (SIGINT), SIGTERM and SIGHUP instead of dying, so every one ends
   * as cleanly as Ctrl-C; returns a function that unsubscribes.
   */
  onInterrupt(handler: (signal: InterruptSignal) => void): () => void;
  /**
   * Loads the C library (kernel32 on Windows) for serial ports and ptys, on first use; rejects
   * with a QrngError of kind "unsupported" where there is no FFI (Node). Absent in test platforms.
   */
  libc?: () => Promise<SystemLibrary>;
}
