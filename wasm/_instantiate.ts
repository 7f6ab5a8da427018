/**
 * Turns a generated base64 embed into a live WASM instance. Every module of the core is built
 * without imports (stub runtime, no abort), so instantiation needs nothing from the host and
 * works the same in Node, Deno, Bun, browsers and compiled binaries.
 *
 * One memory convention for every module (cmdctrl, xr232, analysis, assess): it exports its
 * linear `memory` and functions returning pointers into it (`inputPtr()`, `statsPtr()`, or a
 * pointer an allocating call returns), never exported globals; the bindings read and write it
 * only through views made by {@link memoryView}.
 */

/** The standard decoder of base64 (ES2026: Bun, Deno, Node 25, current browsers), where present. */
const nativeFromBase64 = (Uint8Array as { fromBase64?: (text: string) => Uint8Array }).fromBase64;

/** Decodes standard base64 (the generated embeds) into bytes; no node: import, for browsers. */
function decodeBase64(text: string): Uint8Array {
  if (nativeFromBase64) return nativeFromBase64.call(Uint8Array, text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const modules = new Map<string, WebAssembly.Module>();

/**
 * Instantiates an embedded module synchronously; the compiled module is cached per embed, so
 * each call costs only a fresh instance (its own memory). Synchronous compiles are allowed on a
 * browser's main thread for modules this size (Chrome ≥ 114: up to 8 MB; older Chrome: 4 KB,
 * so use a worker there).
 */
export function instantiateWasm(base64: string): WebAssembly.Instance {
  return new WebAssembly.Instance(compiledWasm(base64), {});
}

/** The compiled module of an embed (compiled on first use). */
export function compiledWasm(base64: string): WebAssembly.Module {
  let module = modules.get(base64);
  if (!module) {
    module = new WebAssembly.Module(decodeBase64(base64) as BufferSource);
    modules.set(base64, module);
  }
  return module;
}

/**
 * Makes `module`, compiled from the embed `base64` in another thread and posted here, the one
 * this thread instantiates: the runtime then shares its compiled (and tiered-up) code.
 */
export function adoptCompiledWasm(base64: string, module: WebAssembly.Module): void {
  modules.set(base64, module);
}

/** What every core module exports besides its functions: its linear memory. */
export interface CoreMemoryExports {
  readonly memory: WebAssembly.Memory;
}

/** The typed arrays bindings view core memory as. */
type ViewConstructor = Uint8ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;

/**
 * A view of `length` elements of `type` at byte offset `ptr` in the module's memory, made on its
 * current buffer. A view is valid until the memory grows (growth detaches the old buffer), so
 * make a new one after any call that may grow it: assess's `reserve`, analysis's
 * `repeatConfigure` (at configuration, before views are taken); cmdctrl's and xr232's memory
 * never grows.
 */
export function memoryView<T extends ViewConstructor>(
  wasm: CoreMemoryExports,
  type: T,
  ptr: number,
  length: number,
): InstanceType<T> {
  // The core's memories are never shared (no threads), whatever some libs type `buffer` as.
  return new type(wasm.memory.buffer as ArrayBuffer, ptr, length) as InstanceType<T>;
}
