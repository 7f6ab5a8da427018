/**
 * {@link Libc} and {@link Kernel32} over Deno's FFI (`Deno.dlopen`). Calls are synchronous
 * (the fds are non-blocking, so none of them waits) and errno is read right after a failing
 * call through `__errno_location` (Linux) / `__error` (macOS).
 *
 * ioctl is variadic. On x86-64 and arm64 Linux (and x86-64 macOS) a variadic pointer travels
 * in the same register as a fixed third argument, so it is declared `(int, ulong, void *)`.
 * On Apple arm64 variadic arguments go on the stack: there it is declared with six padding
 * arguments so that the eight argument registers are filled and the pointer, the ninth
 * argument, lands in the first stack slot where `va_arg` reads it (untested: no Mac here).
 */
import { QrngError } from "../errors.ts";
import type { Kernel32, Libc } from "./libc.ts";

const encoder = new TextEncoder();
const cString = (text: string) => encoder.encode(`${text}\0`);

function posixSymbols(appleArm64: boolean) {
  const ioctlParameters = appleArm64
    ? ["i32", "u64", "u64", "u64", "u64", "u64", "u64", "u64", "buffer"] as const
    : ["i32", "u64", "buffer"] as const;
  return {
    open: { parameters: ["buffer", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
    ioctl: { parameters: ioctlParameters, result: "i32" },
    tcgetattr: { parameters: ["i32", "buffer"], result: "i32" },
    tcsetattr: { parameters: ["i32", "i32", "buffer"], result: "i32" },
    tcflush: { parameters: ["i32", "i32"], result: "i32" },
    posix_openpt: { parameters: ["i32"], result: "i32" },
    grantpt: { parameters: ["i32"], result: "i32" },
    unlockpt: { parameters: ["i32"], result: "i32" },
    ptsname_r: { parameters: ["i32", "buffer", "usize"], result: "i32" },
    strerror: { parameters: ["i32"], result: "pointer" },
    __errno_location: { parameters: [], result: "pointer", optional: true },
    __error: { parameters: [], result: "pointer", optional: true },
  } as const;
}

/** Opens the C library of this OS through Deno's FFI. */
export function loadDenoLibc(): Libc | Kernel32 {
  const os = Deno.build.os;
  if (os === "windows") return loadDenoKernel32();
  if (os !== "linux" && os !== "darwin") {
    throw new QrngError(
      "unsupported",
      `Cannot open serial ports on ${os}: only Linux, macOS and Windows are supported`,
    );
  }
  const appleArm64 = os === "darwin" && Deno.build.arch === "aarch64";
  const path = os === "linux" ? "libc.so.6" : "/usr/lib/libSystem.B.dylib";
  let lib;
  try {
    lib = Deno.dlopen(path, posixSymbols(appleArm64));
  } catch (error) {
    throw new QrngError("unsupported", `Cannot load ${path} for serial I/O: ${(error as Error).message}`);
  }
  // Deno types 64-bit parameters as bigint but accepts numbers; call through a loose view.
  // deno-lint-ignore no-explicit-any
  const c = lib.symbols as unknown as Record<string, (...args: any[]) => any>;
  const errnoPointer = c[os === "linux" ? "__errno_location" : "__error"]();
  const errnoView = new Deno.UnsafePointerView(errnoPointer);
  // errno lives in thread-local storage; FFI calls made without `nonblocking` run on this
  // thread, so its address is fixed and the value is the one the failing call left.
  const fail = (result: number) => (result < 0 ? -errnoView.getInt32() : result);
  const padding = [0, 0, 0, 0, 0, 0] as const;
  return {
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
      return text ? Deno.UnsafePointerView.getCString(text) : `errno ${errno}`;
    },
  };
}

/** Opens kernel32.dll through Deno's FFI. Untested: there is no Windows machine here. */
function loadDenoKernel32(): Kernel32 {
  const lib = Deno.dlopen(
    "kernel32.dll",
    {
      CreateFileW: {
        parameters: ["buffer", "u32", "u32", "pointer", "u32", "u32", "pointer"],
        result: "u64",
      },
      CloseHandle: { parameters: ["u64"], result: "i32" },
      GetCommState: { parameters: ["u64", "buffer"], result: "i32" },
      SetCommState: { parameters: ["u64", "buffer"], result: "i32" },
      SetCommTimeouts: { parameters: ["u64", "buffer"], result: "i32" },
      ReadFile: { parameters: ["u64", "buffer", "u32", "buffer", "pointer"], result: "i32" },
      WriteFile: { parameters: ["u64", "buffer", "u32", "buffer", "pointer"], result: "i32" },
      PurgeComm: { parameters: ["u64", "u32"], result: "i32" },
      GetCommModemStatus: { parameters: ["u64", "buffer"], result: "i32" },
      GetLastError: { parameters: [], result: "u32" },
    } as const,
  );
  const c = lib.symbols;
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
