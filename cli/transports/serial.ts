/**
 * Serial ports as a {@link Transport}: a non-blocking fd set to raw 8N1 through termios (Linux
 * TCGETS2/TCSETS2 with BOTHER, so any baud rate is exact; macOS tcgetattr/tcsetattr), with
 * optional RTS/CTS flow control. Windows goes through kernel32 (serial_windows.ts).
 */
import { QrngError } from "../errors.ts";
import { ERRNO, type Libc, OPEN_FLAGS, type SystemLibrary } from "../runtime/libc.ts";
import type { Transport } from "./transport.ts";
import { Backoff } from "./backoff.ts";
import { errnoText, readFd, writeFd } from "./fd_io.ts";
import {
  describeSerialLine,
  type FlowControl,
  packTermios,
  rawTermios,
  type Termios,
  termiosLayout,
  unpackTermios,
} from "./termios.ts";
import { openWindowsSerial } from "./serial_windows.ts";
import { hasEmulatorMark } from "./emulator_mark.ts";

/** Options for {@link openSerial}. */
export interface SerialOptions {
  /** Bits per second, any positive integer on Linux (1000000 for Crypta Labs devices). */
  baud: number;
  /** "rtscts" for hardware handshake (XR232). @default "none" */
  flowControl?: FlowControl;
  /**
   * A write rejects with a "timeout" QrngError when not one byte could be sent for this long
   * (a device holding CTS inactive). @default 10_000
   */
  writeStallMs?: number;
  /**
   * How long {@link SerialPort.reopen} leaves the port closed: RTS must stay inactive long
   * enough for an XR232's reset capacitor to act (and for an emulator to notice). @default 50
   */
  reopenPauseMs?: number;
  /**
   * How long close() waits for written bytes to leave (a final STOP command) before discarding
   * the rest. Without the discard the kernel's close would block the whole process for up to
   * 30 s while a device holds CTS inactive. reopen() discards at once. @default 500
   */
  closeDrainMs?: number;
}

/** A serial port: a Transport plus the line controls XR232 needs. */
export interface SerialPort extends Transport {
  /** The device path, e.g. "/dev/ttyUSB0" or "COM3". */
  readonly path: string;
  /** The current baud rate. */
  readonly baud: number;
  readonly flowControl: FlowControl;
  /**
   * Whether the device asserts CTS, from TIOCMGET (GetCommModemStatus on Windows); undefined
   * where the port has no modem lines (a pseudo-terminal).
   */
  cts(): boolean | undefined;
  /** Changes the baud rate on the open port (flow control unchanged). */
  setBaud(baud: number): Promise<void>;
  /**
   * Closes and opens the port again with the current settings: the only guaranteed reset of an
   * XR232, whose RESET follows RTS. A read pending across the reopen resolves 0.
   */
  reopen(): Promise<void>;
  /** Whether the port is a pseudo-terminal one of qrng's emulators marked (emulator_mark.ts). */
  isEmulator(): boolean;
}

/** ioctl requests and queue selectors, per OS. */
const LINUX = {
  TCGETS2: 0x802c542a,
  TCSETS2: 0x402c542b,
  TIOCMGET: 0x5415,
  TIOCEXCL: 0x540c,
  TIOCNXCL: 0x540d,
  TIOCOUTQ: 0x5411,
  TCIOFLUSH: 2,
  TCIFLUSH: 0,
  TCOFLUSH: 1,
};
const DARWIN = {
  TIOCMGET: 0x4004746a,
  TIOCEXCL: 0x2000740d,
  TIOCNXCL: 0x2000740e,
  IOSSIOSPEED: 0x80085402,
  TIOCOUTQ: 0x40047473,
  TCIOFLUSH: 3,
  TCIFLUSH: 1,
  TCOFLUSH: 2,
  TCSANOW: 0,
};
/** The CTS bit of TIOCMGET (Linux and macOS). */
const TIOCM_CTS = 0x020;
/** Default for {@link SerialOptions.writeStallMs}. */
export const WRITE_STALL_MS = 10_000;
/** Default for {@link SerialOptions.reopenPauseMs}. */
export const REOPEN_PAUSE_MS = 50;
/** Default for {@link SerialOptions.closeDrainMs}. */
export const CLOSE_DRAIN_MS = 500;

/** Opens `path` as a raw 8N1 serial port; rejects with a one-line QrngError when it cannot. */
export async function openSerial(
  library: SystemLibrary,
  path: string,
  options: SerialOptions,
): Promise<SerialPort> {
  if (library.os === "windows") return await openWindowsSerial(library, path, options);
  return openPosixSerial(library, path, options);
}

/** Reads the current termios of `fd`. Throws with errno text on failure. */
export function getTermios(libc: Libc, fd: number, name: string): Termios {
  const layout = termiosLayout(libc.os);
  const bytes = new Uint8Array(layout.bytes);
  const result = libc.os === "linux" ? libc.ioctl(fd, LINUX.TCGETS2, bytes) : libc.tcgetattr(fd, bytes);
  if (result === -ERRNO[libc.os].ENOTTY) {
    throw new QrngError("input", `Cannot use ${name} as a serial port: it is not a terminal device`);
  }
  if (result < 0) {
    throw new QrngError("device", `Cannot read the settings of ${name}: ${errnoText(libc, result)}`);
  }
  return unpackTermios(layout, bytes);
}

function applyLine(libc: Libc, fd: number, name: string, baud: number, flowControl: FlowControl): void {
  const layout = termiosLayout(libc.os);
  const wanted = rawTermios(layout, getTermios(libc, fd, name), baud, flowControl);
  let result: number;
  if (libc.os === "linux") {
    result = libc.ioctl(fd, LINUX.TCSETS2, packTermios(layout, wanted));
  } else {
    result = libc.tcsetattr(fd, DARWIN.TCSANOW, packTermios(layout, wanted));
    if (result < 0) {
      // Rates the driver's table lacks: apply the rest at 9600, then IOSSIOSPEED (speed_t *).
      result = libc.tcsetattr(
        fd,
        DARWIN.TCSANOW,
        packTermios(layout, { ...wanted, ispeed: 9600, ospeed: 9600 }),
      );
      const speed = new Uint8Array(8);
      new DataView(speed.buffer).setBigUint64(0, BigInt(baud), true);
      if (result >= 0) result = libc.ioctl(fd, DARWIN.IOSSIOSPEED, speed);
    }
  }
  if (result < 0) {
    throw new QrngError("device", `Cannot set ${name} to ${baud} baud 8N1: ${errnoText(libc, result)}`);
  }
}

function openFd(libc: Libc, path: string, baud: number, flowControl: FlowControl): number {
  const f = OPEN_FLAGS[libc.os];
  const fd = libc.open(path, f.O_RDWR | f.O_NOCTTY | f.O_NONBLOCK | f.O_CLOEXEC);
  if (fd < 0) {
    const e = ERRNO[libc.os];
    const hint = fd === -e.EBUSY
      ? " (another program has it open)"
      : fd === -e.EACCES
      ? ` (${libc.os === "linux" ? "join the group owning it, often 'dialout'" : "check its permissions"})`
      : "";
    throw new QrngError("input", `Cannot open serial port ${path}: ${errnoText(libc, fd)}${hint}`);
  }
  try {
    applyLine(libc, fd, path, baud, flowControl);
  } catch (error) {
    libc.close(fd);
    throw error;
  }
  const c = libc.os === "linux" ? LINUX : DARWIN;
  libc.ioctl(fd, c.TIOCEXCL, new Uint8Array(4)); // keep other programs out; best effort
  libc.tcflush(fd, c.TCIOFLUSH); // bytes from before we owned the port are stale
  return fd;
}

function openPosixSerial(libc: Libc, path: string, options: SerialOptions): SerialPort {
  const flowControl = options.flowControl ?? "none";
  const stallMs = options.writeStallMs ?? WRITE_STALL_MS;
  const reopenPauseMs = options.reopenPauseMs ?? REOPEN_PAUSE_MS;
  const closeDrainMs = options.closeDrainMs ?? CLOSE_DRAIN_MS;
  const c = libc.os === "linux" ? LINUX : DARWIN;
  let baud = options.baud;
  let fd = openFd(libc, path, baud, flowControl);
  let closed = false;
  let generation = 0; // bumps on reopen, so a read started before it ends
  const hooks = (started: number) => ({
    get name() {
      return `serial port ${path}`;
    },
    closed: () => closed || generation !== started,
    hangupIsFatal: () => true,
  });
  const release = () => {
    libc.tcflush(fd, c.TCOFLUSH); // unsent bytes would make close(2) wait for them
    libc.ioctl(fd, c.TIOCNXCL, new Uint8Array(4));
    libc.close(fd);
  };
  const unsent = () => {
    const count = new Uint8Array(4);
    return libc.ioctl(fd, c.TIOCOUTQ, count) < 0 ? 0 : new DataView(count.buffer).getInt32(0, true);
  };
  return {
    path,
    flowControl,
    get baud() {
      return baud;
    },
    get description() {
      return describeSerialLine(path, baud, flowControl);
    },
    write(data) {
      return writeFd(libc, fd, data, stallMs, hooks(generation));
    },
    read(buffer, timeoutMs) {
      return readFd(libc, fd, buffer, timeoutMs, hooks(generation));
    },
    discardInput() {
      if (!closed) libc.tcflush(fd, c.TCIFLUSH);
      return Promise.resolve();
    },
    isEmulator: () => !closed && hasEmulatorMark(libc, fd),
    cts() {
      if (closed) return undefined;
      const bits = new Uint8Array(4);
      if (libc.ioctl(fd, c.TIOCMGET, bits) < 0) return undefined; // ENOTTY/EINVAL: no modem lines
      return (new DataView(bits.buffer).getInt32(0, true) & TIOCM_CTS) !== 0;
    },
    setBaud(next) {
      try {
        if (closed) throw new QrngError("disconnected", `Cannot set ${path}: it was closed`);
        applyLine(libc, fd, path, next, flowControl);
        baud = next;
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async reopen() {
      if (closed) throw new QrngError("disconnected", `Cannot reopen ${path}: it was closed`);
      generation++;
      release();
      await new Promise((resolve) => setTimeout(resolve, reopenPauseMs));
      try {
        fd = openFd(libc, path, baud, flowControl);
      } catch (error) {
        closed = true;
        throw error;
      }
    },
    async close() {
      if (closed) return;
      closed = true; // pending reads resolve 0, writes reject
      const deadline = performance.now() + closeDrainMs;
      const backoff = new Backoff();
      while (unsent() > 0 && performance.now() < deadline) await backoff.wait(deadline - performance.now());
      release();
    },
  };
}
