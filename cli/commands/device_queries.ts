/** `qrng info`, `qrng status`, `qrng stats`, `qrng pubkey`: read-only device queries. */
import type { Command } from "../command.ts";
import { formatVersion } from "../../wasm/cmdctrl.ts";
import type { CmdCtrlDevice } from "../devices/cmdctrl/driver.ts";
import { DEVICE_FLAGS_HELP, parseDeviceFlags, printResult, withDevice } from "./device_common.ts";

function query(
  name: string,
  summary: string,
  description: string,
  get: (device: CmdCtrlDevice) => Promise<Record<string, unknown>>,
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
        ...(await get(device)),
      }));
      await printResult(platform, result, values.json);
      return 0;
    },
  };
}

/** `qrng info`. */
export const infoCommand = query(
  "info",
  "Show a Crypta Labs device's versions, serial and hardware",
  "Prints GET_INFO: core and firmware versions (major.minor), serial number and hardware info.",
  async (device) => {
    const info = await device.info();
    return {
      coreVersion: formatVersion(info.coreVersion),
      firmwareVersion: formatVersion(info.swVersion),
      serial: info.serial,
      hwInfo: info.hwInfo,
    };
  },
);

/** `qrng status`. */
export const statusCommand = query(
  "status",
  "Show a Crypta Labs device's status flags and ready bytes",
  "Prints GET_STATUS: started, startup test, supply and health-test flags, ready bytes.",
  async (device) => ({ ...(await device.status()) }),
);

/** `qrng stats`. */
export const statsCommand = query(
  "stats",
  "Show a Crypta Labs device's statistics",
  "Prints GET_STATISTICS: bytes generated, health-test failure counts, speed (bit/s), light\n" +
    "sensor average and LED level.",
  async (device) => ({ ...(await device.statistics()) }),
);

/** `qrng pubkey`. */
export const pubkeyCommand = query(
  "pubkey",
  "Show a QCicada's P-256 device public key",
  "Prints GET_DEV_AUTH_PUBKEY: the key that signs signed reads, as x‖y hex (64 bytes).",
  async (device) => ({ publicKey: await device.publicKey() }),
);
