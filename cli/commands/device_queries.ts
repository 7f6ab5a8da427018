/** `qrng info`, `qrng status`, `qrng stats`, `qrng pubkey`: read-only device queries. */
import { formatVersion } from "../../wasm/cmdctrl.ts";
import { simpleDeviceCommand } from "./device_command.ts";

/** `qrng info`. */
export const infoCommand = simpleDeviceCommand(
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
export const statusCommand = simpleDeviceCommand(
  "status",
  "Show a Crypta Labs device's status flags and ready bytes",
  "Prints GET_STATUS: started, startup test, supply and health-test flags, ready bytes.",
  async (device) => ({ ...(await device.status()) }),
);

/** `qrng stats`. */
export const statsCommand = simpleDeviceCommand(
  "stats",
  "Show a Crypta Labs device's statistics",
  "Prints GET_STATISTICS: bytes generated, health-test failure counts, speed (bit/s), light\n" +
    "sensor average and LED level.",
  async (device) => ({ ...(await device.statistics()) }),
);

/** `qrng pubkey`. */
export const pubkeyCommand = simpleDeviceCommand(
  "pubkey",
  "Show a QCicada's P-256 device public key",
  "Prints GET_DEV_AUTH_PUBKEY: the key that signs signed reads, as x‖y hex (64 bytes).",
  async (device) => ({ publicKey: await device.publicKey() }),
);
