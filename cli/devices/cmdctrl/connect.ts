/**
 * Makes a Cmd&Ctrl device on open channels ready for commands: a device left streaming by a dead
 * client is stopped and drained first. Which channels a device URI names is the source layer's
 * business (cli/sources/cmdctrl.ts); the driver only takes open transports.
 */
import type { Transport } from "../../transports/transport.ts";
import type { DatagramReceiver } from "./datagram_guard.ts";
import { CmdCtrlDevice } from "./driver.ts";
import { STOP_ANSWER_BYTES } from "./stop_answer.ts";

/** The open channels of a device. */
export interface CmdCtrlChannels {
  /** Commands and their answers (and the data, unless {@link data} is given). */
  readonly commands: Transport;
  /** A separate data channel (TCP+UDP). */
  readonly data?: Transport;
  /** The channel that receives datagrams, where the data comes as datagrams (UDP, TCP+UDP). */
  readonly datagrams?: DatagramReceiver;
  /** Largest single read the channel allows (serial ports on macOS time out on large ones). */
  readonly maxReadBytes?: number;
  /** True when the other end is qrng's emulator. */
  readonly emulated: boolean;
}

/** Options of {@link connectCmdCtrl}. */
export interface ConnectCmdCtrlOptions {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Recovery notes for stderr. */
  log?(line: string): void;
  /** Ctrl-C: ends every wait for the device (see DriverOptions.signal). */
  signal?: AbortSignal;
}

/** A connected device, whether it is an emulator and whether its data comes as datagrams. */
export interface OpenedCmdCtrl {
  readonly device: CmdCtrlDevice;
  readonly emulated: boolean;
  readonly datagrams: boolean;
}

/** Drives the device on `channels` and drains it; closes the channels if that fails. */
export async function connectCmdCtrl(
  channels: CmdCtrlChannels,
  options: ConnectCmdCtrlOptions,
): Promise<OpenedCmdCtrl> {
  const { commands, data, datagrams, maxReadBytes, emulated } = channels;
  const device = new CmdCtrlDevice(commands, { data, datagrams, maxReadBytes, ...options });
  try {
    const discarded = await device.drain();
    if (discarded > STOP_ANSWER_BYTES) {
      options.log?.(`${commands.description} was streaming: stopped it and discarded ${discarded} bytes`);
    }
  } catch (error) {
    await device.close();
    throw error;
  }
  return { device, emulated, datagrams: datagrams !== undefined };
}
