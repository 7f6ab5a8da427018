/**
 * The package's main export: `import { open } from "qrng"` under Node, Deno and Bun.
 *
 * ```ts
 * import { open } from "qrng";
 * await using qrng = await open("sim:qcicada");
 * const key = await qrng.read(32); // 32 bytes that passed the health tests
 * ```
 *
 * `open(uri, options)` takes every device URI `qrng read --device` takes (serial:, tcp://,
 * udp://, tcpudp://, xr232:, sim:qcicada, sim:xr232usb, ...) and resolves a source whose
 * `family` tells Cmd&Ctrl devices ("cmdctrl": pyqcc's whole device class) and XR232s ("xr232":
 * `ident()`) apart. Failures are {@link QrngError}s; branch on their `kind`. Serial ports need
 * Deno or Bun (FFI); network devices and emulators work everywhere.
 *
 * Like cli/main.ts this is an entry point: it alone looks at the runtime. Unlike the CLI it
 * leaves the program's signals alone (abort with an AbortSignal instead) and writes nothing to
 * the standard streams (notes go to `options.log`).
 * @module
 */
import type { Platform } from "./platform.ts";
import { nodePlatform } from "./runtime/node_platform.ts";
import { type OpenOptions, openWith, type Qrng } from "./library/mod.ts";

export * from "./library/mod.ts";
export { QrngError, type QrngErrorKind } from "./errors.ts";

let runtimePlatform: Platform | undefined;

function detectRuntime(): Platform["runtime"] {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  return g.Deno ? "deno" : g.Bun ? "bun" : "node";
}

/**
 * Opens the device `uri` names: a Cmd&Ctrl device is connected and drained, an XR232's port
 * opened, an emulator started in this process.
 *
 * ```ts
 * const qrng = await open("sim:qcicada"); // serial:/dev/ttyACM0, tcp://10.0.0.5, xr232:/dev/ttyUSB0, ...
 * try {
 *   const key = await qrng.read(32); // 32 bytes that passed the health tests
 *   if (qrng.family === "cmdctrl") console.log(await qrng.status());
 * } finally {
 *   await qrng.close();
 * }
 * ```
 *
 * Rejects with a {@link QrngError}: kind "usage" for a URI it cannot take, "unsupported" for a
 * serial port under Node (no FFI), "timeout", "disconnected", "device", "interrupted" (the
 * signal aborted), ...
 */
export function open(uri: string, options: OpenOptions = {}): Promise<Qrng> {
  runtimePlatform ??= nodePlatform(detectRuntime(), []);
  const platform: Platform = {
    ...runtimePlatform,
    onInterrupt: () => () => {},
    writeStderr: (text) => options.log?.(text.trimEnd()),
  };
  return openWith({ platform }, uri, options);
}
