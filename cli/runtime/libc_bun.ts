/**
 * The Bun dialect of qrng's FFI (`bun:ffi`). Bun has no asynchronous FFI calls, so every fd
 * qrng uses is non-blocking and callers poll with a 0 timeout between timer sleeps. The
 * signatures and wrappers are shared in ffi_bind.ts.
 */
import { CString, dlopen, FFIType, read as readMemory } from "bun:ffi";
import process from "node:process";
import { bindSystemLibrary, type CType } from "./ffi_bind.ts";
import type { SystemLibrary } from "./libc.ts";

const BUN_TYPE: Record<CType, FFIType> = {
  i32: FFIType.i32,
  u32: FFIType.u32,
  u64: FFIType.u64,
  // i64_fast returns a number when it fits, as the byte counts of read/write always do.
  isize: FFIType.i64_fast,
  usize: FFIType.u64,
  buffer: FFIType.ptr,
  pointer: FFIType.ptr,
};

/** Opens the C library of this OS (kernel32 on Windows) through Bun's FFI. */
export function loadBunLibc(): SystemLibrary {
  return bindSystemLibrary({
    os: process.platform,
    arch: process.arch,
    open(path, symbols) {
      const definitions = Object.fromEntries(
        Object.entries(symbols).map(([name, { parameters, result }]) => [
          name,
          { args: parameters.map((t) => BUN_TYPE[t]), returns: BUN_TYPE[result] },
        ]),
      );
      return dlopen(path, definitions).symbols as never;
    },
    readI32: (pointer) => readMemory.i32(pointer as never, 0),
    readCString: (pointer) => new CString(pointer as never).toString(),
  });
}
