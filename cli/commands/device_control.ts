/** `qrng reset`, `qrng stop`, `qrng reboot`: change what a device is doing. */
import { simpleDeviceCommand } from "./device_command.ts";

/** `qrng reset`. */
export const resetCommand = simpleDeviceCommand(
  "reset",
  "Restart a Crypta Labs device's generation (startup test) and clear its statistics",
  "Sends RESET and prints the status it answers (startup test in progress).",
  async (device) => ({ ...(await device.reset()) }),
);

/** `qrng stop`. */
export const stopCommand = simpleDeviceCommand(
  "stop",
  "Stop a Crypta Labs device that is streaming, and show its status",
  "Stops continuous mode (a device left streaming by another client is drained first) and\nprints the status.",
  async (device) => ({ ...(await device.stop()) }),
);

/** `qrng reboot`. */
export const rebootCommand = simpleDeviceCommand(
  "reboot",
  "Reboot a QCicada",
  "Sends REBOOT (F8 A1 25). The device may drop off before confirming; both count as sent.",
  async (device) => ({
    reboot: (await device.reboot()) ? "confirmed" : "sent (no confirmation: the device dropped off)",
  }),
);
