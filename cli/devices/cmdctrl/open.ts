/**
 * Opens a Cmd&Ctrl device named by a URI (serial, tcp, udp, tcpudp, sim:qcicada) and makes it
 * ready for commands: a device left streaming by a dead client is stopped and drained first.
 */
import { QrngError, usageError } from "../../errors.ts";
import type { Platform } from "../../platform.ts";
import { connectTcpPreferLibc } from "../../transports/tcp_libc.ts";
import { connectTcpUdp, TCPUDP_DATA_PORT } from "../../transports/tcpudp.ts";
import type { Transport } from "../../transports/transport.ts";
import { connectUdp } from "../../transports/udp.ts";
import { baudFromUri, checkUriParams, type DeviceUri, parseDeviceUri, parsePort } from "../../uri.ts";
import type { DatagramReceiver } from "./datagram_guard.ts";
import { CmdCtrlDevice } from "./driver.ts";
import { STOP_ANSWER_BYTES } from "./stop_answer.ts";

/** Crypta Labs serial rate: 1,000,000 baud 8N1, no flow control (spec §6). */
export const CMDCTRL_BAUD = 1_000_000;

/** Largest single read from a serial port (spec §7: large USB-serial reads time out on macOS). */
export const SERIAL_READ_BYTES = 8192;

/** Options of {@link openCmdCtrl}. */
export interface OpenCmdCtrlOptions {
  platform: Platform;
  /** Recovery notes for stderr. */
  log?(line: string): void;
  /** Ctrl-C: ends every wait for the device (see DriverOptions.signal). */
  signal?: AbortSignal;
}

/** A connected device and whether it is an emulator. */
export interface OpenedCmdCtrl {
  device: CmdCtrlDevice;
  emulated: boolean;
}

/** The channels of a device, and which of them receives datagrams. */
interface Channels {
  commands: Transport;
  data?: Transport;
  datagrams?: DatagramReceiver;
  emulated: boolean;
}

async function transportFor(uri: DeviceUri, platform: Platform): Promise<Channels> {
  switch (uri.scheme) {
    case "serial": {
      checkUriParams(uri, ["baud"]);
      if (!platform.libc) throw new QrngError("unsupported", "Serial ports need Deno or Bun (FFI)");
      const { openSerial } = await import("../../transports/serial.ts");
      const baud = baudFromUri(uri, CMDCTRL_BAUD);
      return { commands: await openSerial(await platform.libc(), uri.target, { baud }), emulated: false };
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
      const dataPort = uri.params.udp !== undefined ? parsePort(uri.params.udp, `device '${uri.text}'`) : TCPUDP_DATA_PORT;
      const { commands, data } = await connectTcpUdp(uri.target, uri.port!, dataPort);
      return { commands, data, datagrams: data, emulated: false };
    }
    case "sim":
      if (uri.target !== "qcicada") throw usageError(`sim:${uri.target} is not a Cmd&Ctrl device (try sim:qcicada)`);
      // Loaded only for sim: (the emulator brings its keys and curves along).
      return { commands: (await import("../../emulators/qcicada/sim.ts")).startSimQcicada(uri, platform), emulated: true };
  }
  throw usageError(`'${uri.text}' is not a Crypta Labs device URI (serial:, tcp://, udp://, tcpudp://, sim:qcicada)`);
}

/** Opens and drains the device named by `uri` (text or parsed). */
export async function openCmdCtrl(uri: string | DeviceUri, options: OpenCmdCtrlOptions): Promise<OpenedCmdCtrl> {
  const parsed = typeof uri === "string" ? parseDeviceUri(uri) : uri;
  const { commands, data, datagrams, emulated } = await transportFor(parsed, options.platform);
  const device = new CmdCtrlDevice(commands, {
    data,
    datagrams,
    log: options.log,
    now: () => options.platform.now(),
    maxReadBytes: parsed.scheme === "serial" ? SERIAL_READ_BYTES : undefined,
    signal: options.signal,
  });
  try {
    const discarded = await device.drain();
    if (discarded > STOP_ANSWER_BYTES) {
      options.log?.(`${commands.description} was streaming: stopped it and discarded ${discarded} bytes`);
    }
  } catch (error) {
    await device.close();
    throw error;
  }
  return { device, emulated };
}
