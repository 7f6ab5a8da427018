/**
 * The few C library calls serial ports, pseudo-terminals and TCP sockets need, as one small interface,
 * built once in `ffi_bind.ts` over a per-runtime FFI dialect (`libc_deno.ts` over
 * `Deno.dlopen`, `libc_bun.ts` over `bun:ffi`). Everything above this (termios packing, the serial Transport, the pty) is plain
 * TypeScript that takes a {@link Libc} as a parameter.
 *
 * Conventions, as in raw system calls: a call that fails returns **minus errno** (read right
 * after the call, before any other JavaScript can run a libc call on this thread), so callers
 * never consult a global errno that something else may have overwritten. Buffers are passed
 * by pointer and may be any `Uint8Array` view (including WASM memory); the call uses the
 * view's own offset and length.
 *
 * Windows has no libc for this: the loaders return a {@link Kernel32} there instead, and
 * `openSerial` dispatches on `os`.
 */
import { QrngError } from "../errors.ts";

/** The POSIX calls qrng uses, for Linux and macOS. */
export interface Libc {
  /** Which kernel's constants and struct layouts apply. */
  readonly os: "linux" | "darwin";
  /** open(2) without O_CREAT: a file descriptor, or minus errno. */
  open(path: string, flags: number): number;
  /** close(2): 0, or minus errno. */
  close(fd: number): number;
  /**
   * read(2) into `buffer`: the count (0 at end of file), or minus errno (-EAGAIN when a
   * non-blocking fd has nothing yet, -EIO on a pty master whose slave is closed).
   */
  read(fd: number, buffer: Uint8Array): number;
  /** write(2) of `data`: how many bytes the kernel took (maybe fewer), or minus errno. */
  write(fd: number, data: Uint8Array): number;
  /**
   * poll(2) over `pollfds`, packed `struct pollfd { int fd; short events; short revents; }`
   * records of {@link POLLFD_BYTES} each: the number of ready records, or minus errno. Only
   * call it with `timeoutMs` 0: a blocking call would stall the event loop (Bun's FFI has no
   * asynchronous calls).
   */
  poll(pollfds: Uint8Array, count: number, timeoutMs: number): number;
  /**
   * ioctl(2) with a pointer argument (`struct termios2 *`, `int *`): the result, or minus
   * errno. ioctl is variadic; each runtime file declares it the way the platform's calling
   * convention passes a variadic pointer (see there).
   */
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  /** tcgetattr(3) into a `struct termios` buffer of the platform's size: 0, or minus errno. */
  tcgetattr(fd: number, termios: Uint8Array): number;
  /** tcsetattr(3) with `action` (TCSANOW = 0): 0, or minus errno. */
  tcsetattr(fd: number, action: number, termios: Uint8Array): number;
  /** tcflush(3) with a queue selector (TCIFLUSH, TCOFLUSH, TCIOFLUSH): 0, or minus errno. */
  tcflush(fd: number, queue: number): number;
  /** posix_openpt(3): a pty master fd, or minus errno. */
  posixOpenpt(flags: number): number;
  /** grantpt(3): 0, or minus errno. */
  grantpt(fd: number): number;
  /** unlockpt(3): 0, or minus errno. */
  unlockpt(fd: number): number;
  /** ptsname_r(3): the slave device path of a pty master, e.g. "/dev/pts/7". Throws on failure. */
  ptsname(fd: number): string;
  /** strerror(3): the C library's text for an errno value. */
  strerror(errno: number): string;
  /** socket(2): a file descriptor, or minus errno. */
  socket(domain: number, type: number, protocol: number): number;
  /** connect(2) to a packed `struct sockaddr`: 0, or minus errno (-EINPROGRESS when non-blocking). */
  connect(fd: number, address: Uint8Array): number;
  /** setsockopt(2) with the option value's bytes: 0, or minus errno. */
  setsockopt(fd: number, level: number, name: number, value: Uint8Array): number;
}

/** The Win32 calls a serial port needs. Handles are opaque values of the runtime's FFI. */
export interface Kernel32 {
  readonly os: "windows";
  /** CreateFileW: a handle, or null (then see {@link Kernel32.lastError}). */
  createFile(path: string, access: number, creation: number, flags: number): unknown | null;
  /** CloseHandle: true on success. */
  closeHandle(handle: unknown): boolean;
  /** GetCommState into a DCB buffer (28 bytes): true on success. */
  getCommState(handle: unknown, dcb: Uint8Array): boolean;
  /** SetCommState from a DCB buffer: true on success. */
  setCommState(handle: unknown, dcb: Uint8Array): boolean;
  /** SetCommTimeouts from a COMMTIMEOUTS buffer (5 DWORDs, 20 bytes): true on success. */
  setCommTimeouts(handle: unknown, timeouts: Uint8Array): boolean;
  /** ReadFile into `buffer`: bytes read, or -1 on failure. */
  readFile(handle: unknown, buffer: Uint8Array): number;
  /** WriteFile of `data`: bytes written, or -1 on failure. */
  writeFile(handle: unknown, data: Uint8Array): number;
  /** PurgeComm with PURGE_* flags: true on success. */
  purgeComm(handle: unknown, flags: number): boolean;
  /** GetCommModemStatus: the MS_* bits, or -1 on failure. */
  getCommModemStatus(handle: unknown): number;
  /** GetLastError right after the failed call. */
  lastError(): number;
}

/** What a runtime offers for device I/O: a libc on Linux and macOS, kernel32 on Windows. */
export type SystemLibrary = Libc | Kernel32;

/** Size of one `struct pollfd` record (same on Linux and macOS). */
export const POLLFD_BYTES = 8;
/** poll(2) event bits (same values on Linux and macOS). */
export const POLLIN = 0x001;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;

/** errno values qrng distinguishes, per OS. */
export const ERRNO = {
  linux: { EPERM: 1, EINTR: 4, EIO: 5, EAGAIN: 11, ENOENT: 2, EACCES: 13, EBUSY: 16, ENOTTY: 25, EINVAL: 22 },
  darwin: {
    EPERM: 1,
    EINTR: 4,
    EIO: 5,
    EAGAIN: 35,
    ENOENT: 2,
    EACCES: 13,
    EBUSY: 16,
    ENOTTY: 25,
    EINVAL: 22,
  },
} as const;

/** open(2) flags qrng uses, per OS. */
export const OPEN_FLAGS = {
  linux: { O_WRONLY: 0x1, O_RDWR: 0x2, O_NOCTTY: 0x100, O_NONBLOCK: 0x800, O_CLOEXEC: 0x80000 },
  darwin: { O_WRONLY: 0x1, O_RDWR: 0x2, O_NOCTTY: 0x20000, O_NONBLOCK: 0x4, O_CLOEXEC: 0x1000000 },
} as const;

/** Narrows a {@link SystemLibrary} to a POSIX libc, or explains that `what` needs one. */
export function requirePosix(library: SystemLibrary, what: string): Libc {
  if (library.os === "windows") {
    throw new QrngError("unsupported", `Cannot ${what}: not available on Windows`);
  }
  return library;
}
