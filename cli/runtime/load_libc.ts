/**
 * Picks the FFI dialect of the running runtime. Apart from libc.ts so that each dialect can be
 * type-checked without the other's runtime types (bun:ffi is checked by tsconfig.bun.json).
 */
import { QrngError } from "../errors.ts";
import type { SystemLibrary } from "./libc.ts";

/**
 * Loads the runtime's FFI binding: call it lazily (only commands touching devices pay for
 * dlopen). Node (vitest) has no FFI, which this reports as a QrngError of kind "unsupported".
 */
export async function loadLibc(runtime: "deno" | "bun" | "node"): Promise<SystemLibrary> {
  if (runtime === "deno") return (await import("./libc_deno.ts")).loadDenoLibc();
  if (runtime === "bun") return (await import("./libc_bun.ts")).loadBunLibc();
  throw new QrngError(
    "unsupported",
    "Cannot open serial ports under Node: run qrng with Deno or Bun (no FFI here)",
  );
}
