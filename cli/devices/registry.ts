/**
 * Which driver opens which device URI. To add a device family, write a SourceDriver and add one
 * line to SOURCE_DRIVERS; emulators are added in cli/emulators/registry.ts (the "sim" driver
 * below dispatches to them).
 */
import { usageError } from "../errors.ts";
import { parseDeviceUri } from "../uri.ts";
import { EMULATORS } from "../emulators/registry.ts";
import { openCmdCtrlSource } from "./cmdctrl/source.ts";
import type { RandomSource, SourceDriver, SourceOptions } from "./device.ts";
import { xr232Driver } from "./xr232.ts";
import { natsDriver } from "../sources/nats.ts";

const cmdctrl = (scheme: string, summary: string): SourceDriver => ({ scheme, summary, open: openCmdCtrlSource });

/** Every source driver, by URI scheme. */
export const SOURCE_DRIVERS: SourceDriver[] = [
  cmdctrl("serial", "Crypta Labs Cmd&Ctrl device on a serial port (QCicada, Firefly, Dragonfly): serial:/dev/ttyUSB0"),
  cmdctrl("tcp", "Crypta Labs network unit over TCP: tcp://host[:54936]"),
  cmdctrl("udp", "Crypta Labs network unit over UDP: udp://host[:54936]"),
  cmdctrl("tcpudp", "Crypta Labs network unit, commands by TCP and data by UDP: tcpudp://host[:54936][?udp=PORT]"),
  xr232Driver,
  natsDriver("nats"),
  natsDriver("tls"),
  {
    scheme: "sim",
    summary: `in-process emulator: ${EMULATORS.map((e) => `sim:${e.kind}`).join(", ")}`,
    open(uri, options) {
      const kind = EMULATORS.find((e) => e.kind === uri.target);
      if (!kind) {
        throw usageError(`no emulator '${uri.target}' (known: ${EMULATORS.map((e) => e.kind).join(", ")})`);
      }
      return kind.openSim(uri, options);
    },
  },
];

/** Opens the source a device URI names. */
export function openSource(text: string, options: SourceOptions): Promise<RandomSource> {
  const uri = parseDeviceUri(text);
  const driver = SOURCE_DRIVERS.find((d) => d.scheme === uri.scheme);
  if (!driver) {
    throw usageError(`unknown device scheme '${uri.scheme}:' (known: ${SOURCE_DRIVERS.map((d) => d.scheme).join(", ")})`);
  }
  return driver.open(uri, options);
}
