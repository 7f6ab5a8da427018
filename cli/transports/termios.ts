/**
 * Terminal settings as plain data, and their byte layouts for the kernel. Pure TypeScript: the
 * runtime files only move these bytes through ioctl/tcsetattr.
 *
 * Linux `struct termios2` (TCGETS2/TCSETS2; x86-64 and arm64 alike, 44 bytes):
 *
 *     0  c_iflag  u32      16  c_line   u8
 *     4  c_oflag  u32      17  c_cc[19] u8   (VTIME = 5, VMIN = 6)
 *     8  c_cflag  u32      36  c_ispeed u32  (baud as a number when CBAUD = BOTHER)
 *    12  c_lflag  u32      40  c_ospeed u32
 *
 * The baud rate always goes in c_ispeed/c_ospeed; the CBAUD bits carry the standard Bxxx code
 * when the rate has one and BOTHER otherwise, so any rate is exact. glibc's cfsetspeed family
 * is not used (its meaning changed in 2.42).
 *
 * macOS `struct termios` (tcgetattr/tcsetattr, 64-bit; tcflag_t and speed_t are unsigned long,
 * 72 bytes; written from <sys/termios.h>, untested here):
 *
 *     0  c_iflag  u64      32  c_cc[20] u8   (VMIN = 16, VTIME = 17)
 *     8  c_oflag  u64      52  (4 bytes padding)
 *    16  c_cflag  u64      56  c_ispeed u64  (speed_t is the plain number: B9600 == 9600)
 *    24  c_lflag  u64      64  c_ospeed u64
 *
 * macOS drivers may reject rates above 230400 in tcsetattr; for those the IOSSIOSPEED ioctl
 * sets the speed after the rest is applied (see serial.ts).
 */

/** Terminal settings, independent of the OS's struct layout. */
export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  /** Line discipline (Linux only; 0 = N_TTY). */
  line: number;
  /** Control characters, indexed by the OS's V* constants. */
  cc: Uint8Array;
  /** Input and output baud rates in bits per second. */
  ispeed: number;
  ospeed: number;
}

/** The flag values and offsets of one OS. */
export interface TermiosLayout {
  readonly os: "linux" | "darwin";
  /** Size of the struct the kernel reads and writes. */
  readonly bytes: number;
  readonly ccCount: number;
  readonly VMIN: number;
  readonly VTIME: number;
  readonly CSIZE: number;
  readonly CS8: number;
  readonly CSTOPB: number;
  readonly CREAD: number;
  readonly PARENB: number;
  readonly HUPCL: number;
  readonly CLOCAL: number;
  readonly CRTSCTS: number;
  /** Baud-rate bits inside c_cflag (Linux), 0 where the speed lives only in c_ospeed. */
  readonly CBAUD: number;
  /** The CBAUD value meaning "speed is in c_ispeed/c_ospeed" (Linux). */
  readonly BOTHER: number;
  /** Input-baud bits of c_cflag (Linux CIBAUD = CBAUD << 16): cleared so input follows output. */
  readonly CIBAUD: number;
  /** Software flow control and canonical-input bits that raw mode must clear. */
  readonly IXON: number;
  readonly ICANON: number;
  readonly ECHO: number;
}

/** Linux (asm-generic/termbits.h and x86, identical for these). */
export const LINUX_TERMIOS: TermiosLayout = {
  os: "linux",
  bytes: 44,
  ccCount: 19,
  VMIN: 6,
  VTIME: 5,
  CSIZE: 0o60,
  CS8: 0o60,
  CSTOPB: 0o100,
  CREAD: 0o200,
  PARENB: 0o400,
  HUPCL: 0o2000,
  CLOCAL: 0o4000,
  CRTSCTS: 0o20000000000,
  CBAUD: 0o10017,
  BOTHER: 0o10000,
  CIBAUD: 0o2003600000,
  IXON: 0o2000,
  ICANON: 0o2,
  ECHO: 0o10,
};

/** macOS (<sys/termios.h>); CRTSCTS = CCTS_OFLOW | CRTS_IFLOW. */
export const DARWIN_TERMIOS: TermiosLayout = {
  os: "darwin",
  bytes: 72,
  ccCount: 20,
  VMIN: 16,
  VTIME: 17,
  CSIZE: 0x300,
  CS8: 0x300,
  CSTOPB: 0x400,
  CREAD: 0x800,
  PARENB: 0x1000,
  HUPCL: 0x4000,
  CLOCAL: 0x8000,
  CRTSCTS: 0x30000,
  CBAUD: 0,
  BOTHER: 0,
  CIBAUD: 0,
  IXON: 0x200,
  ICANON: 0x100,
  ECHO: 0x8,
};

/** The layout for an OS. */
export function termiosLayout(os: "linux" | "darwin"): TermiosLayout {
  return os === "linux" ? LINUX_TERMIOS : DARWIN_TERMIOS;
}

/** Reads the kernel's bytes (a TCGETS2 or tcgetattr result) into {@link Termios}. */
export function unpackTermios(layout: TermiosLayout, bytes: Uint8Array): Termios {
  if (bytes.length < layout.bytes) {
    throw new RangeError(`termios needs ${layout.bytes} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, layout.bytes);
  if (layout.os === "linux") {
    return {
      iflag: view.getUint32(0, true),
      oflag: view.getUint32(4, true),
      cflag: view.getUint32(8, true),
      lflag: view.getUint32(12, true),
      line: view.getUint8(16),
      cc: bytes.slice(17, 17 + layout.ccCount),
      ispeed: view.getUint32(36, true),
      ospeed: view.getUint32(40, true),
    };
  }
  const u64 = (offset: number) => Number(view.getBigUint64(offset, true));
  return {
    iflag: u64(0),
    oflag: u64(8),
    cflag: u64(16),
    lflag: u64(24),
    line: 0,
    cc: bytes.slice(32, 32 + layout.ccCount),
    ispeed: u64(56),
    ospeed: u64(64),
  };
}

/** Writes {@link Termios} into the kernel's byte layout (for TCSETS2 or tcsetattr). */
export function packTermios(layout: TermiosLayout, termios: Termios): Uint8Array {
  const bytes = new Uint8Array(layout.bytes);
  const view = new DataView(bytes.buffer);
  bytes.set(termios.cc.subarray(0, layout.ccCount), layout.os === "linux" ? 17 : 32);
  if (layout.os === "linux") {
    view.setUint32(0, termios.iflag >>> 0, true);
    view.setUint32(4, termios.oflag >>> 0, true);
    view.setUint32(8, termios.cflag >>> 0, true);
    view.setUint32(12, termios.lflag >>> 0, true);
    view.setUint8(16, termios.line);
    view.setUint32(36, termios.ispeed, true);
    view.setUint32(40, termios.ospeed, true);
  } else {
    const u64 = (offset: number, value: number) => view.setBigUint64(offset, BigInt(value >>> 0), true);
    u64(0, termios.iflag);
    u64(8, termios.oflag);
    u64(16, termios.cflag);
    u64(24, termios.lflag);
    u64(56, termios.ispeed);
    u64(64, termios.ospeed);
  }
  return bytes;
}

/** Linux's Bxxx codes (CBAUD bits) for the rates that have one, by rate. */
const LINUX_BAUD_CODES: ReadonlyMap<number, number> = new Map([
  ...[0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400].map((rate, code) =>
    [rate, code] as [number, number]
  ),
  ...[
    57600,
    115200,
    230400,
    460800,
    500000,
    576000,
    921600,
    1000000,
    1152000,
    1500000,
    2000000,
    2500000,
    3000000,
    3500000,
    4000000,
  ].map((rate, i) => [rate, 0o10001 + i] as [number, number]),
]);

/**
 * The CBAUD bits for `baud` on Linux: the standard Bxxx code where one exists (so tools that
 * decode only c_cflag, like glibc-2.36 `stty`, see the true rate), else BOTHER with the rate in
 * c_ispeed/c_ospeed. The kernel honours c_ospeed either way.
 */
export function linuxBaudCode(baud: number): number {
  return LINUX_BAUD_CODES.get(baud) ?? LINUX_TERMIOS.BOTHER;
}

/** Flow control on a serial line. */
export type FlowControl = "none" | "rtscts";

/** How a serial port names itself in messages: "serial:/dev/ttyUSB0 at 230400 baud with RTS/CTS". */
export function describeSerialLine(path: string, baud: number, flowControl: FlowControl): string {
  return `serial:${path} at ${baud} baud${flowControl === "rtscts" ? " with RTS/CTS" : ""}`;
}

/**
 * Raw 8N1 settings at `baud` derived from `current`: no input or output processing, no echo,
 * no signals, no software flow control, VMIN = VTIME = 0 (reads never wait: the fd is
 * non-blocking anyway), receiver on, modem-status lines ignored unless `flowControl` is
 * "rtscts". HUPCL and the line discipline are kept as they were.
 */
export function rawTermios(
  layout: TermiosLayout,
  current: Termios,
  baud: number,
  flowControl: FlowControl,
): Termios {
  if (!Number.isInteger(baud) || baud <= 0 || baud > 0xffff_ffff) {
    throw new RangeError(`invalid baud rate ${baud}`);
  }
  let cflag = current.cflag & layout.HUPCL;
  cflag |= layout.CS8 | layout.CREAD | (layout.os === "linux" ? linuxBaudCode(baud) : 0);
  cflag |= flowControl === "rtscts" ? layout.CRTSCTS : layout.CLOCAL;
  const cc = new Uint8Array(layout.ccCount);
  cc[layout.VMIN] = 0;
  cc[layout.VTIME] = 0;
  return {
    iflag: 0,
    oflag: 0,
    cflag: cflag >>> 0,
    lflag: 0,
    line: current.line,
    cc,
    ispeed: baud,
    ospeed: baud,
  };
}

/** What a termios means for a serial line: what an emulator behind a pty needs to know. */
export interface LineSettings {
  /** Output baud rate in bits per second (what a device's receiver would see). */
  baud: number;
  flowControl: FlowControl;
  dataBits: 5 | 6 | 7 | 8;
  parity: boolean;
  stopBits: 1 | 2;
  /** No canonical input, echo or software flow control: bytes pass unchanged. */
  raw: boolean;
}

/** Interprets a {@link Termios} as {@link LineSettings}. */
export function lineSettings(layout: TermiosLayout, termios: Termios): LineSettings {
  const sizeBits = (termios.cflag & layout.CSIZE) / (layout.CSIZE & -layout.CSIZE);
  return {
    baud: termios.ospeed,
    flowControl: ((termios.cflag & layout.CRTSCTS) >>> 0) === layout.CRTSCTS ? "rtscts" : "none",
    dataBits: (5 + sizeBits) as LineSettings["dataBits"],
    parity: (termios.cflag & layout.PARENB) !== 0,
    stopBits: (termios.cflag & layout.CSTOPB) !== 0 ? 2 : 1,
    raw: (termios.lflag & (layout.ICANON | layout.ECHO)) === 0 && (termios.iflag & layout.IXON) === 0 &&
      termios.oflag === 0,
  };
}
