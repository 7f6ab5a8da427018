/**
 * `open(uri, options)`: the library's one door. The device URI decides the class of what it
 * resolves: a {@link CmdCtrlQrng} for Crypta Labs devices, an {@link Xr232Qrng} for XR232s, a
 * plain {@link QrngSource} for sources without device commands (a running daemon's clients,
 * once their drivers are in the source registry, cli/sources/registry.ts). Narrow on `family`.
 */
import { deviceFamily } from "../sources/registry.ts";
import { interruptedError } from "../transports/abortable.ts";
import { parseDeviceUri } from "../uri.ts";
import { CmdCtrlQrng } from "./cmdctrl.ts";
import { type LibraryContext, type OpenOptions, QrngSource } from "./source.ts";
import { Xr232Qrng } from "./xr232.ts";

/** What `open()` resolves: narrow on `family` ("cmdctrl", "xr232", or undefined) for the device's methods. */
export type Qrng = CmdCtrlQrng | Xr232Qrng | PlainQrng;

/** A source without device commands. */
export type PlainQrng = QrngSource & { readonly family?: undefined };

/** Opens the source `uri` names with the runtime `context` (the package entry supplies it). */
export async function openWith(
  context: LibraryContext,
  uri: string,
  options: OpenOptions = {},
): Promise<Qrng> {
  if (options.signal?.aborted) throw interruptedError(`open ${uri}`);
  switch (deviceFamily(parseDeviceUri(uri))) {
    case "cmdctrl":
      return await CmdCtrlQrng.open(uri, context, options);
    case "xr232":
      return await Xr232Qrng.open(uri, context, options);
    default:
      return await QrngSource.openPlain(uri, context, options) as PlainQrng;
  }
}
