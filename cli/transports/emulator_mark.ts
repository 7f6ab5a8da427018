/**
 * How qrng's emulators on a pseudo-terminal tell a host that they are emulators, for devices
 * whose protocol has no room to say so (the XR232 answers every byte with data). The emulator
 * sets the pty's window size to {@link EMULATOR_WINSIZE}; the host reads its port's window size
 * once when it opens the port. A real serial port (ttyUSB, ttyACM, a Mac's cu.*) has no window
 * size the device could set: its driver keeps zeros, so the mark costs one ioctl at open, no
 * bytes on the line, and cannot appear on real hardware. A pty another program bridges to a real
 * device has that program's (usually zero) size, never this one.
 */
import type { Libc } from "../runtime/libc.ts";

/** TIOCGWINSZ / TIOCSWINSZ per OS. */
const WINSIZE_IOCTL = {
  linux: { get: 0x5413, set: 0x5414 },
  darwin: { get: 0x40087468, set: 0x80087467 },
} as const;

/**
 * `struct winsize { u16 ws_row, ws_col, ws_xpixel, ws_ypixel }` spelling "qrng emu" in its
 * eight bytes: no terminal has 29,297 rows.
 */
const EMULATOR_WINSIZE = new TextEncoder().encode("qrng emu");

/** Marks the pseudo-terminal whose master (or slave) is `fd` as one of qrng's emulators. */
export function setEmulatorMark(libc: Libc, fd: number): void {
  libc.ioctl(fd, WINSIZE_IOCTL[libc.os].set, EMULATOR_WINSIZE.slice());
}

/** Whether the terminal `fd` carries {@link setEmulatorMark}'s mark (false where it has no window size). */
export function hasEmulatorMark(libc: Libc, fd: number): boolean {
  const size = new Uint8Array(EMULATOR_WINSIZE.length);
  if (libc.ioctl(fd, WINSIZE_IOCTL[libc.os].get, size) < 0) return false;
  return size.every((byte, i) => byte === EMULATOR_WINSIZE[i]);
}
