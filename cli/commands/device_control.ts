/** `qrng reset`, `qrng stop`, `qrng reboot`: change what a device is doing. */
import type { Command } from "../command.ts";
import type { CmdCtrlDevice } from "../devices/cmdctrl/driver.ts";
import { DEVICE_FLAGS_HELP, parseDeviceFlags, printResult, withDevice } from "./device_common.ts";

function control(
  name: string,
  summary: string,
  description: string,
  act: (device: CmdCtrlDevice) => Promise<Record<string, unknown>>,
): Command {
  return {
    name,
    summary,
    help: `Usage: qrng ${name} [--device URI] [--json]\n\n${description}\n\n${DEVICE_FLAGS_HELP}\n`,
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

/** `qrng reset`. */
export const resetCommand = control(
  "reset",
  "Restart a Crypta Labs device's generation (startup test) and clear its statistics",
  "Sends RESET and prints the status it answers (startup test in progress).",
  async (device) => ({ ...(await device.reset()) }),
);

/** `qrng stop`. */
export const stopCommand = control(
  "stop",
  "Stop a Crypta Labs device that is streaming, and show its status",
  "Stops continuous mode (a device left streaming by another client is drained first) and\nprints the status.",
  async (device) => ({ ...(await device.stop()) }),
);

/** `qrng reboot`. */
export const rebootCommand = control(
  "reboot",
  "Reboot a QCicada",
  "Sends REBOOT (F8 A1 25). The device may drop off before confirming; both count as sent.",
  async (device) => ({ reboot: (await device.reboot()) ? "confirmed" : "sent (no confirmation: the device dropped off)" }),
);
