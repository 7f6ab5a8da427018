/**
 * The Deno dialect of qrng's FFI (`Deno.dlopen`): calls are synchronous (every fd qrng uses is
 * non-blocking, so none of them waits). The signatures and wrappers are shared in ffi_bind.ts.
 */
import { bindSystemLibrary, type CFunction, type CSignature, type CType } from "./ffi_bind.ts";
import type { SystemLibrary } from "./libc.ts";

const DENO_TYPE: Record<CType, Deno.NativeType> = {
  i32: "i32",
  u32: "u32",
  u64: "u64",
  isize: "isize",
  usize: "usize",
  buffer: "buffer",
  pointer: "pointer",
};

/** Opens the C library of this OS (kernel32 on Windows) through Deno's FFI. */
export function loadDenoLibc(): SystemLibrary {
  return bindSystemLibrary({
    os: Deno.build.os === "windows" ? "win32" : Deno.build.os,
    arch: Deno.build.arch === "aarch64" ? "arm64" : Deno.build.arch === "x86_64" ? "x64" : Deno.build.arch,
    open(path, symbols: Record<string, CSignature>) {
      const definitions = Object.fromEntries(
        Object.entries(symbols).map(([name, { parameters, result }]) => [
          name,
          {
            parameters: parameters.map((t) => DENO_TYPE[t]),
            result: DENO_TYPE[result] as Deno.NativeResultType,
          },
        ]),
      );
      // Deno types 64-bit parameters as bigint but accepts numbers: call through a loose view.
      return Deno.dlopen(path, definitions).symbols as unknown as Record<string, CFunction>;
    },
    readI32: (pointer) => new Deno.UnsafePointerView(pointer as Deno.PointerObject).getInt32(),
    readCString: (pointer) => Deno.UnsafePointerView.getCString(pointer as Deno.PointerObject),
  });
}
