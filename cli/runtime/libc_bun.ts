/**
 * {@link Libc} and {@link Kernel32} over Bun's FFI (`bun:ffi`). Bun has no asynchronous FFI
 * calls, so every fd qrng uses is non-blocking and callers poll with a 0 timeout between timer
 * sleeps. errno is read right after a failing call through `__errno_location` (Linux) /
 * `__error` (macOS).
 *
 * ioctl is variadic: see libc_deno.ts for why it is declared with six padding arguments on
 * Apple arm64 and with a plain third argument elsewhere.
 */
import { CString, dlopen, FFIType, read as readMemory } from "bun:ffi";
import process from "node:process";
import { QrngError } from "../errors.ts";
import type { Kernel32, Libc } from "./libc.ts";

const encoder = new TextEncoder();
const cString = (text: string) => encoder.encode(`${text}\0`);
const { i32, u32, u64, ptr } = FFIType;

function posixSymbols(appleArm64: boolean, os: "linux" | "darwin") {
  const errnoSymbol = os === "linux" ? "__errno_location" : "__error";
  return {
    open: { args: [ptr, i32], returns: i32 },
    close: { args: [i32], returns: i32 },
    read: { args: [i32, ptr, u64], returns: FFIType.i64_fast },
    write: { args: [i32, ptr, u64], returns: FFIType.i64_fast },
    poll: { args: [ptr, u64, i32], returns: i32 },
    ioctl: {
      args: appleArm64 ? [i32, u64, u64, u64, u64, u64, u64, u64, ptr] : [i32, u64, ptr],
      returns: i32,
    },
    tcgetattr: { args: [i32, ptr], returns: i32 },
    tcsetattr: { args: [i32, i32, ptr], returns: i32 },
    tcflush: { args: [i32, i32], returns: i32 },
    posix_openpt: { args: [i32], returns: i32 },
    grantpt: { args: [i32], returns: i32 },
    unlockpt: { args: [i32], returns: i32 },
    ptsname_r: { args: [i32, ptr, u64], returns: i32 },
    strerror: { args: [i32], returns: ptr },
    [errnoSymbol]: { args: [], returns: ptr },
  } as const;
}

/** Opens the C library of this OS through Bun's FFI. */
export function loadBunLibc(): Libc | Kernel32 {
  const os = process.platform;
  if (os === "win32") return loadBunKernel32();
  if (os !== "linux" && os !== "darwin") {
    throw new QrngError(
      "unsupported",
      `Cannot open serial ports on ${os}: only Linux, macOS and Windows are supported`,
    );
  }
  const appleArm64 = os === "darwin" && process.arch === "arm64";
  const path = os === "linux" ? "libc.so.6" : "/usr/lib/libSystem.B.dylib";
  // deno-lint-ignore no-explicit-any
  let c: Record<string, (...args: any[]) => any>;
  try {
    c = dlopen(path, posixSymbols(appleArm64, os)).symbols as typeof c;
  } catch (error) {
    throw new QrngError("unsupported", `Cannot load ${path} for serial I/O: ${(error as Error).message}`);
  }
  const errnoPointer = c[os === "linux" ? "__errno_location" : "__error"]();
  const fail = (result: number) => (result < 0 ? -readMemory.i32(errnoPointer, 0) : result);
  return {
    os,
    open: (file, flags) => fail(c.open(cString(file), flags)),
    close: (fd) => fail(c.close(fd)),
    read: (fd, buffer) => fail(Number(c.read(fd, buffer, buffer.length))),
    write: (fd, data) => fail(Number(c.write(fd, data, data.length))),
    poll: (pollfds, count, timeoutMs) => fail(c.poll(pollfds, count, timeoutMs)),
    ioctl: appleArm64
      ? (fd, request, arg) => fail(c.ioctl(fd, request, 0, 0, 0, 0, 0, 0, arg))
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
      return text ? new CString(text).toString() : `errno ${errno}`;
    },
  };
}

/** Opens kernel32.dll through Bun's FFI. Untested: there is no Windows machine here. */
function loadBunKernel32(): Kernel32 {
  const c = dlopen("kernel32.dll", {
    CreateFileW: { args: [ptr, u32, u32, ptr, u32, u32, ptr], returns: u64 },
    CloseHandle: { args: [u64], returns: i32 },
    GetCommState: { args: [u64, ptr], returns: i32 },
    SetCommState: { args: [u64, ptr], returns: i32 },
    SetCommTimeouts: { args: [u64, ptr], returns: i32 },
    ReadFile: { args: [u64, ptr, u32, ptr, ptr], returns: i32 },
    WriteFile: { args: [u64, ptr, u32, ptr, ptr], returns: i32 },
    PurgeComm: { args: [u64, u32], returns: i32 },
    GetCommModemStatus: { args: [u64, ptr], returns: i32 },
    GetLastError: { args: [], returns: u32 },
  }).symbols;
  const INVALID_HANDLE = 0xffff_ffff_ffff_ffffn;
  const dword = new Uint32Array(1);
  return {
    os: "windows",
    createFile(path, access, creation, flags) {
      const wide = new Uint16Array(path.length + 1);
      for (let i = 0; i < path.length; i++) wide[i] = path.charCodeAt(i);
      const handle = BigInt(c.CreateFileW(wide, access, 0, null, creation, flags, null));
      return handle === INVALID_HANDLE || handle === 0n ? null : handle;
    },
    closeHandle: (handle) => c.CloseHandle(handle as bigint) !== 0,
    getCommState: (handle, dcb) => c.GetCommState(handle as bigint, dcb) !== 0,
    setCommState: (handle, dcb) => c.SetCommState(handle as bigint, dcb) !== 0,
    setCommTimeouts: (handle, timeouts) => c.SetCommTimeouts(handle as bigint, timeouts) !== 0,
    readFile: (handle, buffer) =>
      c.ReadFile(handle as bigint, buffer, buffer.length, dword, null) !== 0 ? dword[0] : -1,
    writeFile: (handle, data) =>
      c.WriteFile(handle as bigint, data, data.length, dword, null) !== 0 ? dword[0] : -1,
    purgeComm: (handle, flags) => c.PurgeComm(handle as bigint, flags) !== 0,
    getCommModemStatus: (handle) => c.GetCommModemStatus(handle as bigint, dword) !== 0 ? dword[0] : -1,
    lastError: () => c.GetLastError(),
  };
}
