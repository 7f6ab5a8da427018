/**
 * An XR232 or XR232USB (xr232:PATH, sim:xr232usb, sim:xr232) as the library offers it: the
 * validated reads of every source, plus identification. The port is open while a read session
 * is; {@link Xr232Qrng.ident} ends the session and probes the device on a port of its own.
 */
import { IDENT_BAUD, identifyXr232, type Xr232Identity } from "../sources/xr232_ident.ts";
import { parseDeviceUri } from "../uri.ts";
import { type CallOptions, type LibraryContext, type OpenOptions, QrngSource } from "./source.ts";

/** Options of {@link Xr232Qrng.ident}. */
export interface IdentOptions extends CallOptions {
  /** The rate to identify at (an XR232USB identifies below 2400 baud). @default 1200 */
  readonly baud?: number;
}

/** An XR232 / XR232USB; see the module comment. */
export class Xr232Qrng extends QrngSource {
  /** Tells this device class from the others returned by `open()`. */
  readonly family = "xr232";

  /** Opens the device `uri` names, its first read session at once (errors surface here). */
  static async open(uri: string, context: LibraryContext, options: OpenOptions): Promise<Xr232Qrng> {
    const device = new Xr232Qrng(uri, context, options);
    await device.exclusive("open", () => device.session());
    return device;
  }

  /**
   * Tells an XR232USB (its identification string) from a classic XR232 (random bytes) and the
   * rate to read each at; rejects with kind "timeout" when nothing answers, "device" when the
   * answer is neither's.
   */
  ident(options: IdentOptions = {}): Promise<Xr232Identity> {
    return this.command(
      "identify the device",
      () => identifyXr232(this.#probeUri(), options.baud ?? IDENT_BAUD, this.context.platform),
      options,
    );
  }

  /** The device without its read parameters (identification sets its own rate); an emulator keeps its seed. */
  #probeUri(): string {
    const uri = parseDeviceUri(this.uri);
    if (uri.scheme !== "sim") return `xr232:${uri.target}`;
    return `sim:${uri.target}${uri.params.seed === undefined ? "" : `?seed=${uri.params.seed}`}`;
  }
}
