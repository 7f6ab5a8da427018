/**
 * The Platform built on the `node:` modules, which Node, Deno and Bun all implement, so one
 * implementation serves every runtime. Reads go straight into the caller's buffer (no copies),
 * which matters when that buffer is WASM memory.
 */
import * as fs from "node:fs";
import process from "node:process";
import { isatty } from "node:tty";
import { describeError, QrngError } from "../errors.ts";
import type {
  ByteReader,
  ByteWriter,
  FileInfo,
  InterruptSignal,
  OpenWriterOptions,
  Platform,
  StdStream,
} from "../platform.ts";
import type { SystemLibrary } from "./libc.ts";
import { loadLibc } from "./load_libc.ts";

/** How long to wait before retrying a read or write that would block (a non-blocking fd). */
const RETRY_WAIT_MS = 2;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readOnce(fd: number, buffer: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(
      fd,
      buffer,
      0,
      buffer.length,
      null,
      (error, bytesRead) => error ? reject(error) : resolve(bytesRead),
    )
  );
}

function writeOnce(fd: number, data: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.write(fd, data, 0, data.length, null, (error, written) => error ? reject(error) : resolve(written))
  );
}

const errorCode = (error: unknown) => (error as { code?: string }).code;

/** Whether `fd` is a regular file (reads never block on one). */
function isRegularFile(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether writes to `fd` may be synchronous: a regular file, or a character device other than
 * a terminal (/dev/null, /dev/zero). Those writes never wait for a reader; pipes, sockets and
 * terminals can, so they stay asynchronous (back-pressure, signals and timers keep running).
 */
function writesNeverBlock(fd: number): boolean {
  try {
    const stat = fs.fstatSync(fd);
    return stat.isFile() || (stat.isCharacterDevice() && !isatty(fd));
  } catch {
    return false;
  }
}

/**
 * A reader over a file descriptor; `name` appears in error messages. Regular files are read
 * with readSync: a read from the page cache never blocks, and skipping the thread-pool round
 * trip and promise of each async read cut `qrng test` on 256 MiB (1 MiB reads, Bun) from
 * ~0.77 to ~0.66 CPU seconds. Pipes, terminals and devices keep async reads, so signals and
 * timers still run while waiting for data.
 */
function fdReader(fd: number, name: string, closeFd: boolean): ByteReader {
  let closed = false;
  let regular: boolean | undefined;
  return {
    async read(buffer) {
      while (!closed) {
        try {
          regular ??= isRegularFile(fd);
          if (regular) return fs.readSync(fd, buffer, 0, buffer.length, null);
          return await readOnce(fd, buffer);
        } catch (error) {
          if (errorCode(error) === "EAGAIN") await sleep(RETRY_WAIT_MS);
          else if (errorCode(error) === "EOF") return 0; // Deno reports a closed pipe this way
          else throw new QrngError("input", `Cannot read ${name}: ${describeError(error)}`, { cause: error });
        }
      }
      return 0;
    },
    close() {
      if (!closed && closeFd) fs.closeSync(fd);
      closed = true;
      return Promise.resolve();
    },
  };
}

/**
 * A writer over a file descriptor; `name` appears in error messages. Regular files and
 * non-terminal character devices are written with writeSync (see {@link writesNeverBlock}):
 * an asynchronous write costs a thread-pool round trip and a promise, and under Bun a copy of
 * a WASM-backed buffer first.
 */
function fdWriter(fd: number, name: string, closeFd: boolean): ByteWriter {
  let synchronous: boolean | undefined;
  let closed = false;
  return {
    async write(data) {
      synchronous ??= writesNeverBlock(fd);
      let offset = 0;
      while (offset < data.length) {
        try {
          const rest = data.subarray(offset);
          offset += synchronous ? fs.writeSync(fd, rest) : await writeOnce(fd, rest);
        } catch (error) {
          const code = errorCode(error);
          if (code === "EAGAIN") await sleep(RETRY_WAIT_MS);
          else if (code === "EPIPE" || code === "ECONNRESET") {
            throw new QrngError("closed", `Cannot write ${name}: the reader closed it`, { cause: error });
          } else {throw new QrngError("output", `Cannot write ${name}: ${describeError(error)}`, {
              cause: error,
            });}
        }
      }
    },
    close() {
      // Idempotent: a failed commit is followed by an abort that closes again.
      if (closeFd && !closed) fs.closeSync(fd);
      closed = true;
      return Promise.resolve();
    },
  };
}

function openFd(path: string, flags: string, kind: "input" | "output", mode = 0o644): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.open(
      path,
      flags,
      mode,
      (error, fd) =>
        error
          ? reject(new QrngError(kind, `Cannot open ${path}: ${describeError(error)}`, { cause: error }))
          : resolve(fd),
    )
  );
}

const STREAM_FD: Record<StdStream, number> = { stdin: 0, stdout: 1, stderr: 2 };

/** The signals {@link Platform.onInterrupt} catches. */
const INTERRUPT_SIGNALS: readonly InterruptSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

async function fileInfo(path: string): Promise<FileInfo> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return { type: "missing", bytes: 0, mode: 0 };
    throw error;
  }
  const type = stat.isFile()
    ? "file"
    : stat.isDirectory()
    ? "directory"
    : stat.isCharacterDevice()
    ? "character-device"
    : stat.isBlockDevice()
    ? "block-device"
    : stat.isFIFO()
    ? "fifo"
    : "other";
  return { type, bytes: type === "file" ? stat.size : 0, mode: stat.mode & 0o7777 };
}

async function readLink(path: string): Promise<string | undefined> {
  try {
    return await fs.promises.readlink(path);
  } catch (error) {
    // EINVAL: not a link; ENOENT: nothing there (Windows says UNKNOWN for a plain file).
    if (["EINVAL", "ENOENT", "UNKNOWN"].includes(errorCode(error) ?? "")) return undefined;
    throw error;
  }
}

/** Builds the platform for this process; `runtime` is decided by the entry point. */
export function nodePlatform(runtime: Platform["runtime"], args: readonly string[]): Platform {
  // A closed pipe must surface as EPIPE on write, not kill us, so we can stop a device cleanly.
  if (runtime === "node") process.on("SIGPIPE", () => {});
  let libc: Promise<SystemLibrary> | undefined;
  return {
    libc: () => (libc ??= loadLibc(runtime)),
    runtime,
    args,
    env: (name) => process.env[name],
    stdin: fdReader(0, "standard input", false),
    stdout: fdWriter(1, "standard output", false),
    writeStderr(text) {
      try {
        fs.writeSync(2, text);
      } catch {
        // Nowhere left to report a failure to report.
      }
    },
    // isatty(3) rather than process.stderr.isTTY: creating the stream object costs ~13 ms.
    isTerminal: (stream) => isatty(STREAM_FD[stream]),
    terminalColumns: () => process.stderr.columns || 80,
    async openReader(path) {
      if ((await fileInfo(path).catch(() => undefined))?.type === "directory") {
        throw new QrngError("input", `Cannot read ${path}: it is a directory`);
      }
      return fdReader(await openFd(path, "r", "input"), path, true);
    },
    async openWriter(path, options: OpenWriterOptions = {}) {
      return fdWriter(await openFd(path, options.append ? "a" : "w", "output", options.mode), path, true);
    },
    fileInfo,
    readLink,
    rename: (from, to) => fs.promises.rename(from, to),
    truncate: (path, bytes) => fs.promises.truncate(path, bytes),
    remove: (path) => fs.promises.rm(path, { force: true }),
    now: () => performance.now(),
    sleep,
    onInterrupt(handler) {
      // Some runtimes cannot listen to every signal on every system (Deno on Windows: SIGINT only).
      const listeners = INTERRUPT_SIGNALS.flatMap((signal) => {
        const listener = () => handler(signal);
        try {
          process.on(signal, listener);
          return [{ signal, listener }];
        } catch {
          return [];
        }
      });
      return () => listeners.forEach(({ signal, listener }) => process.off(signal, listener));
    },
  };
}
