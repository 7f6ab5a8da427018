/**
 * Facts of the Crypta Labs Cmd&Ctrl protocol that the host driver (cli/devices/cmdctrl/) and the
 * emulator (cli/emulators/qcicada/) both rely on; the frame codecs live in wasm/cmdctrl.ts.
 */

/** Crypta Labs serial rate: 1,000,000 baud 8N1, no flow control (spec §6). */
export const CMDCTRL_BAUD = 1_000_000;

/** The serial prefix that tells hosts a QCicada is qrng's emulator (real serials start "QC"). */
export const EMULATED_SERIAL_PREFIX = "EMU";
