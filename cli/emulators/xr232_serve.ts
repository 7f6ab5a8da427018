/**
 * The body of `qrng emulate xr232usb|xr232 --serial`: serves an emulated XR232USB (or classic
 * XR232) on a pseudo-terminal until Ctrl-C. The first stdout line is the device URI a host should
 * use (tests parse it). The command's flags are parsed in cli/commands/emulate_xr232.ts.
 */
import { QrngError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import type { Xr232Kind } from "./xr232_device.ts";
import { newXr232Device } from "./xr232_settings.ts";
import type { Xr232DeviceOptions } from "./xr232_device.ts";

/** What `qrng emulate xr232usb|xr232` serves. */
export interface Xr232ServeOptions {
  /** The emulated device's seed, model parameters, disturbances and recorded pulses. */
  readonly device: Xr232DeviceOptions;
  /** Also write every byte sent to the host to this file (for tests). @default none */
  readonly recordPath?: string;
}

/** Serves an emulated `kind` on a new pty until interrupted; resolves the exit status. */
export async function serveXr232(
  kind: Xr232Kind,
  options: Xr232ServeOptions,
  platform: Platform,
): Promise<number> {
  const where = `qrng emulate ${kind}`;
  const device = newXr232Device(kind, options.device, where);
  if (!platform.libc) throw new QrngError("unsupported", `${where} --serial needs Deno or Bun (FFI)`);
  const { openPty } = await import("../transports/pty.ts");
  const { serveXr232OnPty } = await import("./xr232_pty.ts");
  const pty = await openPty(await platform.libc());
  pty.markAsEmulator(); // hosts reading this pty warn that its data is not random
  const record = options.recordPath === undefined ? undefined : await platform.openWriter(options.recordPath);
  let stopped = false;
  const unsubscribe = platform.onInterrupt(() => (stopped = true));
  try {
    platform.writeStderr(
      `qrng emulate: EMULATED ${kind === "xr232usb" ? "XR232USB" : "classic XR232"} ` +
        `(seed ${options.device.seed ?? 1n}) on ${pty.slavePath}: ` +
        `its data is the seeded firmware model's output, not random\n`,
    );
    await platform.stdout.write(new TextEncoder().encode(`xr232:${pty.slavePath}\n`));
    await serveXr232OnPty(pty, device, {
      now: () => platform.now(),
      sleep: (ms) => platform.sleep(ms),
      stopped: () => stopped,
      log: (line) => platform.writeStderr(`qrng emulate: ${line}\n`),
      onSend: record ? (bytes) => record.write(bytes) : undefined,
    });
  } finally {
    unsubscribe();
    await pty.close();
    await record?.close();
  }
  return 0;
}
