/**
 * What the Cmd&Ctrl device commands (info, status, stats, config, reset, stop, pubkey, cert,
 * reboot, hash-test, update) share: the --device/--json flags and opening the device (drained:
 * a device left streaming is stopped first). Their results print through output/result_text.ts.
 */
import { type Command, type FlagSpec, parseFlags } from "../command.ts";
import type { Platform } from "../platform.ts";
import type { CmdCtrlDevice } from "../devices/cmdctrl/driver.ts";
import { openCmdCtrl } from "../sources/cmdctrl.ts";
import { resolveDevice } from "./read_device.ts";
import { printable } from "../printable.ts";
import { printResult } from "../output/result_text.ts";

/** Flags every device command takes. */
export const DEVICE_FLAGS = {
  device: { type: "string" },
  json: { type: "boolean" },
} as const satisfies FlagSpec;

/** The help lines for {@link DEVICE_FLAGS}. */
export const DEVICE_FLAGS_HELP =
  `  --device URI         serial:/dev/ttyUSB0, tcp://host[:port], udp://host[:port],
                       tcpudp://host[:port], sim:qcicada; default: the one QRNG 'qrng list' finds
  --json               print one JSON object instead of key: value lines`;

/** Parses `argv` with the device flags plus `extra`. */
export function parseDeviceFlags<T extends FlagSpec>(
  name: string,
  argv: string[],
  extra: T,
  positionals = 0,
) {
  return parseFlags(name, argv, { ...DEVICE_FLAGS, ...extra } as typeof DEVICE_FLAGS & T, positionals);
}

/** Opens the device (named or detected), runs `body`, and always closes it. */
export async function withDevice<R>(
  platform: Platform,
  uri: string | undefined,
  body: (device: CmdCtrlDevice) => Promise<R>,
): Promise<R> {
  const { device } = await openCmdCtrl(uri ?? await resolveDevice(), {
    platform,
    log: (line) => platform.writeStderr(`qrng: ${printable(line)}\n`),
  });
  try {
    return await body(device);
  } finally {
    await device.close();
  }
}

/**
 * A command that takes only the device flags, runs `act` on the opened device, and prints
 * the device's description plus what `act` returns.
 */
export function simpleDeviceCommand(
  name: string,
  summary: string,
  description: string,
  act: (device: CmdCtrlDevice) => Promise<Record<string, unknown>>,
): Command {
  return {
    name,
    summary,
    help: `Usage: qrng ${name} [--device URI] [--json]\n\n${description}\n\n${DEVICE_FLAGS_HELP}\n\n` +
      `Example:\n  qrng ${name} --device sim:qcicada\n`,
    async run(argv, platform) {
      const { values } = parseDeviceFlags(name, argv, {});
      const result = await withDevice(platform, values.device, async (device) => ({
        device: device.transport.description,
        ...(await act(device)),
      }));
      await printResult(platform, result, values.json);
      return 0;
    },
  };
}
