/**
 * Facts of the XR232 / XR232USB protocol that the host driver (cli/devices/xr232*.ts) and the
 * emulator (cli/emulators/xr232_*.ts) both rely on; the firmware model lives in wasm/xr232.ts.
 */

/** The magic character: one request for one random byte. */
export const MAGIC = 0x55;

/** XR232USB's safe maximum; the default line rate. */
export const XR232USB_BAUD = 230_400;

/** The classic XR232's recommended rate (it works up to 57600; 19200 is the safe floor). */
export const XR232_CLASSIC_BAUD = 38_400;
