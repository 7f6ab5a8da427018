/**
 * Every emulated device kind: `qrng emulate <kind>` and `sim:<kind>`. To add one, write an
 * EmulatorKind (see cli/devices/device.ts) and add one line here.
 */
import type { EmulatorKind } from "../devices/device.ts";
import { qcicadaEmulator } from "./qcicada/kind.ts";
import { xr232Emulator, xr232usbEmulator } from "./xr232_kind.ts";

/** The emulators, in the order `qrng emulate --help` lists them. */
export const EMULATORS: EmulatorKind[] = [qcicadaEmulator, xr232usbEmulator, xr232Emulator];
