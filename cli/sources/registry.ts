/**
 * Which device URI opens which source: the one place a scheme is tied to a driver and its
 * transport. To add a device family (or a client of a running `qrng serve`, or a NATS
 * subscription), write a {@link SourceDriver} and add one line to SOURCE_DRIVERS; to add an
 * in-process emulator, add one line to SIM_KINDS.
 */
import { usageError } from "../errors.ts";
import { type DeviceUri, parseDeviceUri } from "../uri.ts";
import type { RandomSource, SourceOptions } from "../devices/device.ts";
import { openCmdCtrlSource } from "./cmdctrl.ts";
import { natsDriver } from "./nats.ts";
import { openSimXr232Source, openXr232Source } from "./xr232.ts";
import { tcpDaemonDriver, unixDaemonDriver } from "./daemon_client.ts";

/**
 * The device class a URI reaches, for the library's device methods (Cmd&Ctrl commands, XR232
 * identification); sources without one (a daemon's clients) only read.
 */
export type DeviceFamily = "cmdctrl" | "xr232";

/** Opens sources for one URI scheme. */
export interface SourceDriver {
  /** The URI scheme, e.g. "tcp" (see cli/uri.ts). */
  readonly scheme: string;
  /** One line for help texts. */
  readonly summary: string;
  /** The device class behind every URI of the scheme (sim: says per kind). */
  readonly family?: DeviceFamily;
  open(uri: DeviceUri, options: SourceOptions): Promise<RandomSource>;
}

/** An in-process emulator: `sim:<kind>`. */
export interface SimKind {
  /** The word after `sim:` (the same as after `qrng emulate`). */
  readonly kind: string;
  readonly family: DeviceFamily;
  open(uri: DeviceUri, options: SourceOptions): Promise<RandomSource>;
}

/** The emulators `sim:` opens. */
export const SIM_KINDS: readonly SimKind[] = [
  { kind: "qcicada", family: "cmdctrl", open: openCmdCtrlSource },
  { kind: "xr232usb", family: "xr232", open: (uri, options) => openSimXr232Source("xr232usb", uri, options) },
  { kind: "xr232", family: "xr232", open: (uri, options) => openSimXr232Source("xr232", uri, options) },
];

const cmdctrl = (scheme: string, summary: string): SourceDriver => ({
  scheme,
  summary,
  family: "cmdctrl",
  open: openCmdCtrlSource,
});

function simKind(uri: DeviceUri): SimKind {
  const sim = SIM_KINDS.find((e) => e.kind === uri.target);
  if (!sim) {
    throw usageError(`no emulator '${uri.target}' (known: ${SIM_KINDS.map((e) => e.kind).join(", ")})`);
  }
  return sim;
}

/** Every source driver, by URI scheme. */
export const SOURCE_DRIVERS: SourceDriver[] = [
  cmdctrl(
    "serial",
    "Crypta Labs Cmd&Ctrl device on a serial port (QCicada, Firefly, Dragonfly): serial:/dev/ttyUSB0",
  ),
  cmdctrl("tcp", "Crypta Labs network unit over TCP: tcp://host[:54936]"),
  cmdctrl("udp", "Crypta Labs network unit over UDP: udp://host[:54936]"),
  cmdctrl(
    "tcpudp",
    "Crypta Labs network unit, commands by TCP and data by UDP: tcpudp://host[:54936][?udp=PORT]",
  ),
  {
    scheme: "xr232",
    summary: "XR232 / XR232USB on a serial port: xr232:/dev/ttyUSB0[?baud=230400&cts-timeout=wait|MS]",
    family: "xr232",
    open: openXr232Source,
  },
  unixDaemonDriver,
  tcpDaemonDriver,
  natsDriver("nats"),
  natsDriver("tls"),
  {
    scheme: "sim",
    summary: `in-process emulator: ${SIM_KINDS.map((e) => `sim:${e.kind}`).join(", ")}`,
    open: (uri, options) => simKind(uri).open(uri, options),
  },
];

function driverFor(uri: DeviceUri): SourceDriver {
  const driver = SOURCE_DRIVERS.find((d) => d.scheme === uri.scheme);
  if (!driver) {
    throw usageError(
      `unknown device scheme '${uri.scheme}:' (known: ${SOURCE_DRIVERS.map((d) => d.scheme).join(", ")})`,
    );
  }
  return driver;
}

/** Opens the source a device URI names. */
export function openSource(text: string, options: SourceOptions): Promise<RandomSource> {
  const uri = parseDeviceUri(text);
  return driverFor(uri).open(uri, options);
}

/** The device class `uri` reaches, or undefined for a source without one; throws for unknown URIs. */
export function deviceFamily(uri: DeviceUri): DeviceFamily | undefined {
  return uri.scheme === "sim" ? simKind(uri).family : driverFor(uri).family;
}
