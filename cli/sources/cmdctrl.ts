/**
 * Cmd&Ctrl devices by URI: opens the transports a URI names (serial, tcp, udp, tcpudp, and the
 * in-process emulator for sim:qcicada) and hands them to the driver (cli/devices/cmdctrl/).
 */
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { connectTcpPreferLibc } from "../transports/tcp_libc.ts";
import { connectTcpUdp, TCPUDP_DATA_PORT } from "../transports/tcpudp.ts";
import { connectUdp } from "../transports/udp.ts";
import { baudFromUri, checkUriParams, type DeviceUri, parseDeviceUri, parsePort } from "../uri.ts";
import { CMDCTRL_BAUD } from "../protocol/cmdctrl.ts";
import { type CmdCtrlChannels, connectCmdCtrl, type OpenedCmdCtrl } from "../devices/cmdctrl/connect.ts";
import { cmdCtrlSource } from "../devices/cmdctrl/source.ts";
import type { RandomSource, SourceOptions } from "../devices/device.ts";

/** Largest single read from a serial port (spec §7: large USB-serial reads time out on macOS). */
export const SERIAL_READ_BYTES = 8192;

/** Options of {@link openCmdCtrl}. */
export interface OpenCmdCtrlOptions {
  readonly platform: Platform;
  /** Recovery notes for stderr. */
  log?(line: string): void;
  /** Ctrl-C: ends every wait for the device (see DriverOptions.signal). */
  readonly signal?: AbortSignal;
}

async function channelsFor(uri: DeviceUri, platform: Platform): Promise<CmdCtrlChannels> {
  switch (uri.scheme) {
    case "serial": {
      checkUriParams(uri, ["baud"]);
      if (!platform.libc) throw new QrngError("unsupported", "Serial ports need Deno or Bun (FFI)");
      const { openSerial } = await import("../transports/serial.ts");
      const baud = baudFromUri(uri, CMDCTRL_BAUD);
      const commands = await openSerial(await platform.libc(), uri.target, { baud });
      return { commands, maxReadBytes: SERIAL_READ_BYTES, emulated: false };
    }
    case "tcp":
      checkUriParams(uri, []);
      return { commands: await connectTcpPreferLibc(uri.target, uri.port!, platform.libc), emulated: false };
    case "udp": {
      checkUriParams(uri, []);
      const udp = await connectUdp(uri.target, uri.port!);
      return { commands: udp, datagrams: udp, emulated: false };
    }
    case "tcpudp": {
      checkUriParams(uri, ["udp"]);
      const dataPort = uri.params.udp !== undefined
        ? parsePort(uri.params.udp, `device '${uri.text}'`)
        : TCPUDP_DATA_PORT;
      const { commands, data } = await connectTcpUdp(uri.target, uri.port!, dataPort);
      return { commands, data, datagrams: data, emulated: false };
    }
    case "sim": {
      if (uri.target !== "qcicada") {
        throw usageError(`sim:${uri.target} is not a Cmd&Ctrl device (try sim:qcicada)`);
      }
      // Loaded only for sim: (the emulator brings its keys and curves along).
      const { startSimQcicada } = await import("../emulators/qcicada/sim.ts");
      return { commands: startSimQcicada(uri, platform), emulated: true };
    }
  }
  throw usageError(
    `'${uri.text}' is not a Crypta Labs device URI (serial:, tcp://, udp://, tcpudp://, sim:qcicada)`,
  );
}

/** Opens the Cmd&Ctrl device `uri` names (text or parsed) and makes it ready for commands. */
export async function openCmdCtrl(
  uri: string | DeviceUri,
  options: OpenCmdCtrlOptions,
): Promise<OpenedCmdCtrl> {
  const parsed = typeof uri === "string" ? parseDeviceUri(uri) : uri;
  const channels = await channelsFor(parsed, options.platform);
  return await connectCmdCtrl(channels, {
    now: () => options.platform.now(),
    log: options.log,
    signal: options.signal,
  });
}

/** Opens the Cmd&Ctrl device `uri` names as a random source. */
export async function openCmdCtrlSource(uri: DeviceUri, options: SourceOptions): Promise<RandomSource> {
  return await cmdCtrlSource(await openCmdCtrl(uri, options), options);
}
