/**
 * The C signatures qrng calls and the {@link Libc} / {@link Kernel32} objects built on them,
 * written once for every runtime. A runtime file (`libc_deno.ts`, `libc_bun.ts`) supplies only
 * an {@link FfiDialect}: how to dlopen a library from these neutral signatures and how to read
 * memory behind a pointer. So the calling conventions, errno handling and the Win32 wrapping
 * cannot drift apart between Deno and Bun.
 *
 * ioctl is variadic. On x86-64 and arm64 Linux (and x86-64 macOS) a variadic pointer travels
 * in the same register as a fixed third argument, so it is declared `(int, ulong, void *)`.
 * On Apple arm64 variadic arguments go on the stack: there it is declared with six padding
 * arguments so that the eight argument registers are filled and the pointer, the ninth
 * argument, lands in the first stack slot where `va_arg` reads it (untested: no Mac here).
 */
import { describeError, QrngError } from "../errors.ts";
import type { Kernel32, Libc, SystemLibrary } from "./libc.ts";

/** A C parameter or result type; "buffer" is a pointer the caller passes as a Uint8Array (or null). */
export type CType = "i32" | "u32" | "u64" | "isize" | "usize" | "buffer" | "pointer";

/** A C function: parameter types and result type. */
export interface CSignature {
  readonly parameters: readonly CType[];
  readonly result: CType;
}

/** A loaded function: numbers, bigints, buffers or null in; a number, bigint or pointer out. */
// deno-lint-ignore no-explicit-any
export type CFunction = (...args: any[]) => any;

/** What a runtime's FFI must provide; everything else is shared. */
export interface FfiDialect {
  /** The OS as Node names it ("linux", "darwin", "win32", ...). */
  readonly os: string;
  /** The CPU as Node names it ("x64", "arm64", ...). */
  readonly arch: string;
  /** dlopen(3) of `path` with `symbols`; throws when the library or a symbol is missing. */
  open(path: string, symbols: Record<string, CSignature>): Record<string, CFunction>;
  /** The 32-bit integer stored at `pointer` (errno's thread-local slot). */
  readI32(pointer: unknown): number;
  /** The NUL-terminated string at `pointer`. */
  readCString(pointer: unknown): string;
}

const sig = (parameters: readonly CType[], result: CType): CSignature => ({ parameters, result });

function posixSymbols(appleArm64: boolean, errnoSymbol: string): Record<string, CSignature> {
  return {
    open: sig(["buffer", "i32"], "i32"),
    close: sig(["i32"], "i32"),
    read: sig(["i32", "buffer", "usize"], "isize"),
    write: sig(["i32", "buffer", "usize"], "isize"),
    poll: sig(["buffer", "u64", "i32"], "i32"),
    ioctl: sig(
      appleArm64
        ? ["i32", "u64", "u64", "u64", "u64", "u64", "u64", "u64", "buffer"]
        : ["i32", "u64", "buffer"],
      "i32",
    ),
    tcgetattr: sig(["i32", "buffer"], "i32"),
    tcsetattr: sig(["i32", "i32", "buffer"], "i32"),
    tcflush: sig(["i32", "i32"], "i32"),
    posix_openpt: sig(["i32"], "i32"),
    grantpt: sig(["i32"], "i32"),
    unlockpt: sig(["i32"], "i32"),
    ptsname_r: sig(["i32", "buffer", "usize"], "i32"),
    strerror: sig(["i32"], "pointer"),
    socket: sig(["i32", "i32", "i32"], "i32"),
    connect: sig(["i32", "buffer", "u32"], "i32"),
    setsockopt: sig(["i32", "i32", "i32", "buffer", "u32"], "i32"),
    [errnoSymbol]: sig([], "pointer"),
  };
}

const KERNEL32_SYMBOLS: Record<string, CSignature> = {
  CreateFileW: sig(["buffer", "u32", "u32", "pointer", "u32", "u32", "pointer"], "u64"),
  CloseHandle: sig(["u64"], "i32"),
  GetCommState: sig(["u64", "buffer"], "i32"),
  SetCommState: sig(["u64", "buffer"], "i32"),
  SetCommTimeouts: sig(["u64", "buffer"], "i32"),
  ReadFile: sig(["u64", "buffer", "u32", "buffer", "pointer"], "i32"),
  WriteFile: sig(["u64", "buffer", "u32", "buffer", "pointer"], "i32"),
  PurgeComm: sig(["u64", "u32"], "i32"),
  GetCommModemStatus: sig(["u64", "buffer"], "i32"),
  GetLastError: sig([], "u32"),
};

const encoder = new TextEncoder();
const cString = (text: string) => encoder.encode(`${text}\0`);

/** Opens the C library of this OS (kernel32 on Windows) through `ffi`. */
export function bindSystemLibrary(ffi: FfiDialect): SystemLibrary {
  if (ffi.os === "win32") return bindKernel32(ffi);
  if (ffi.os !== "linux" && ffi.os !== "darwin") {
    throw new QrngError(
      "unsupported",
      `Cannot open serial ports on ${ffi.os}: only Linux, macOS and Windows are supported`,
    );
  }
  const os = ffi.os;
  const appleArm64 = os === "darwin" && ffi.arch === "arm64";
  const path = os === "linux" ? "libc.so.6" : "/usr/lib/libSystem.B.dylib";
  const errnoSymbol = os === "linux" ? "__errno_location" : "__error";
  let c: Record<string, CFunction>;
  try {
    c = ffi.open(path, posixSymbols(appleArm64, errnoSymbol));
  } catch (error) {
    throw new QrngError("unsupported", `Cannot load ${path} for serial I/O: ${describeError(error)}`);
  }
  // errno lives in thread-local storage; synchronous FFI calls run on this thread, so its
  // address is fixed and the value read right after a call is the one that call left.
  const errnoPointer = c[errnoSymbol]();
  const fail = (result: number) => (result < 0 ? -ffi.readI32(errnoPointer) : result);
  const padding = [0, 0, 0, 0, 0, 0] as const;
  const libc: Libc = {
    os,
    open: (file, flags) => fail(c.open(cString(file), flags)),
    close: (fd) => fail(c.close(fd)),
    read: (fd, buffer) => fail(Number(c.read(fd, buffer, buffer.length))),
    write: (fd, data) => fail(Number(c.write(fd, data, data.length))),
    poll: (pollfds, count, timeoutMs) => fail(c.poll(pollfds, count, timeoutMs)),
    ioctl: appleArm64
      ? (fd, request, arg) => fail(c.ioctl(fd, request, ...padding, arg))
      : (fd, request, arg) => fail(c.ioctl(fd, request, arg)),
    tcgetattr: (fd, termios) => fail(c.tcgetattr(fd, termios)),
    tcsetattr: (fd, action, termios) => fail(c.tcsetattr(fd, action, termios)),
    tcflush: (fd, queue) => fail(c.tcflush(fd, queue)),
    posixOpenpt: (flags) => fail(c.posix_openpt(flags)),
    grantpt: (fd) => fail(c.grantpt(fd)),
    unlockpt: (fd) => fail(c.unlockpt(fd)),
    ptsname(fd) {
      const buffer = new Uint8Array(128);
      const result = c.ptsname_r(fd, buffer, buffer.length);
      // glibc returns the error number itself; other libcs return -1 and set errno.
      if (result !== 0) throw new QrngError("device", `Cannot name the pseudo-terminal: errno ${result}`);
      return new TextDecoder().decode(buffer.subarray(0, buffer.indexOf(0)));
    },
    strerror(errno) {
      const text = c.strerror(errno);
      return text ? ffi.readCString(text) : `errno ${errno}`;
    },
    socket: (domain, type, protocol) => fail(c.socket(domain, type, protocol)),
    connect: (fd, address) => fail(c.connect(fd, address, address.length)),
    setsockopt: (fd, level, name, value) => fail(c.setsockopt(fd, level, name, value, value.length)),
  };
  return libc;
}

/** kernel32.dll for Windows serial ports. Untested: there is no Windows machine here. */
function bindKernel32(ffi: FfiDialect): Kernel32 {
  const c = ffi.open("kernel32.dll", KERNEL32_SYMBOLS);
  const INVALID_HANDLE = 0xffff_ffff_ffff_ffffn;
  const dword = new Uint32Array(1);
  const dwordBytes = new Uint8Array(dword.buffer);
  return {
    os: "windows",
    createFile(path, access, creation, flags) {
      const wide = new Uint16Array(path.length + 1);
      for (let i = 0; i < path.length; i++) wide[i] = path.charCodeAt(i);
      const handle = BigInt(
        c.CreateFileW(new Uint8Array(wide.buffer), access, 0, null, creation, flags, null),
      );
      return handle === INVALID_HANDLE || handle === 0n ? null : handle;
    },
    closeHandle: (handle) => c.CloseHandle(handle as bigint) !== 0,
    getCommState: (handle, dcb) => c.GetCommState(handle as bigint, dcb) !== 0,
    setCommState: (handle, dcb) => c.SetCommState(handle as bigint, dcb) !== 0,
    setCommTimeouts: (handle, timeouts) => c.SetCommTimeouts(handle as bigint, timeouts) !== 0,
    readFile: (handle, buffer) =>
      c.ReadFile(handle as bigint, buffer, buffer.length, dwordBytes, null) !== 0 ? dword[0] : -1,
    writeFile: (handle, data) =>
      c.WriteFile(handle as bigint, data, data.length, dwordBytes, null) !== 0 ? dword[0] : -1,
    purgeComm: (handle, flags) => c.PurgeComm(handle as bigint, flags) !== 0,
    getCommModemStatus: (handle) => c.GetCommModemStatus(handle as bigint, dwordBytes) !== 0 ? dword[0] : -1,
    lastError: () => c.GetLastError(),
  };
}
