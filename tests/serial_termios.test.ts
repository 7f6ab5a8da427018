/**
 * termios packing, checked against bytes the Linux kernel produced (TCGETS2 of a fresh pty
 * slave) and the values in <asm-generic/termbits.h> and macOS <sys/termios.h>; the Windows DCB
 * against the bitfield order documented in winbase.h.
 */
import { describe, expect, it } from "vitest";
import { packDcb } from "../cli/transports/serial_windows.ts";
import {
  DARWIN_TERMIOS,
  lineSettings,
  LINUX_TERMIOS,
  linuxBaudCode,
  packTermios,
  rawTermios,
  unpackTermios,
} from "../cli/transports/termios.ts";

/** `struct termios2` of a new pty slave on Linux 6.18, read with TCGETS2 through FFI. */
const FRESH_PTY_SLAVE = Uint8Array.from(
  Buffer.from(
    "0005000005000000bf0000003b8a000000031c7f150400010011131a00120f17160000000096000000960000",
    "hex",
  ),
);

describe("Linux struct termios2", () => {
  it("unpack() reads the kernel's pty defaults (ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD, ^C ^\\ DEL ^U ^D)", () => {
    const t = unpackTermios(LINUX_TERMIOS, FRESH_PTY_SLAVE);
    expect(t.iflag).toBe(0o400 | 0o2000);
    expect(t.oflag).toBe(0o1 | 0o4);
    expect(t.cflag).toBe(0o17 | 0o60 | 0o200);
    expect(t.lflag).toBe(0o1 | 0o2 | 0o10 | 0o20 | 0o40 | 0o1000 | 0o4000 | 0o100000);
    expect(t.line).toBe(0);
    expect([...t.cc.subarray(0, 7)]).toEqual([3, 28, 127, 21, 4, 0, 1]); // VINTR..VMIN
    expect(t.ispeed).toBe(38400);
    expect(t.ospeed).toBe(38400);
    expect(lineSettings(LINUX_TERMIOS, t)).toEqual({
      baud: 38400,
      flowControl: "none",
      dataBits: 8,
      parity: false,
      stopBits: 1,
      raw: false,
    });
  });

  it("pack() reproduces the kernel's bytes exactly", () => {
    expect(packTermios(LINUX_TERMIOS, unpackTermios(LINUX_TERMIOS, FRESH_PTY_SLAVE))).toEqual(
      FRESH_PTY_SLAVE,
    );
  });

  it("unpack() reads from a view's own offset", () => {
    const padded = new Uint8Array(60);
    padded.set(FRESH_PTY_SLAVE, 8);
    expect(unpackTermios(LINUX_TERMIOS, padded.subarray(8))).toEqual(
      unpackTermios(LINUX_TERMIOS, FRESH_PTY_SLAVE),
    );
  });

  it("raw 1000000 baud without flow control is B1000000|CS8|CREAD|CLOCAL, every processing flag off, VMIN=VTIME=0", () => {
    const raw = rawTermios(LINUX_TERMIOS, unpackTermios(LINUX_TERMIOS, FRESH_PTY_SLAVE), 1_000_000, "none");
    expect(raw.cflag).toBe(0o10010 | 0o60 | 0o200 | 0o4000);
    expect([raw.iflag, raw.oflag, raw.lflag]).toEqual([0, 0, 0]);
    expect([raw.ispeed, raw.ospeed]).toEqual([1_000_000, 1_000_000]);
    expect(raw.cc[6]).toBe(0);
    expect(raw.cc[5]).toBe(0);
    const bytes = packTermios(LINUX_TERMIOS, raw);
    expect(new DataView(bytes.buffer).getUint32(40, true)).toBe(1_000_000); // c_ospeed
  });

  it("raw 230400 with RTS/CTS sets CRTSCTS (bit 31) and leaves CLOCAL off", () => {
    const raw = rawTermios(LINUX_TERMIOS, unpackTermios(LINUX_TERMIOS, FRESH_PTY_SLAVE), 230400, "rtscts");
    expect(raw.cflag).toBe((0x8000_0000 | 0o10003 | 0o60 | 0o200) >>> 0);
    expect(new DataView(packTermios(LINUX_TERMIOS, raw).buffer).getUint32(8, true)).toBe(raw.cflag);
    expect(lineSettings(LINUX_TERMIOS, raw)).toMatchObject({
      baud: 230400,
      flowControl: "rtscts",
      raw: true,
    });
  });

  it("rates without a Bxxx code use BOTHER; standard ones keep their code", () => {
    expect(linuxBaudCode(250000)).toBe(0o10000);
    expect(linuxBaudCode(38400)).toBe(0o17);
    expect(linuxBaudCode(57600)).toBe(0o10001);
    expect(linuxBaudCode(4_000_000)).toBe(0o10017);
  });

  it("rejects a short buffer and impossible baud rates", () => {
    expect(() => unpackTermios(LINUX_TERMIOS, FRESH_PTY_SLAVE.subarray(0, 43))).toThrow(RangeError);
    const t = unpackTermios(LINUX_TERMIOS, FRESH_PTY_SLAVE);
    for (const baud of [0, -1, 1.5, 2 ** 32]) {
      expect(() => rawTermios(LINUX_TERMIOS, t, baud, "none")).toThrow(RangeError);
    }
  });
});

describe("macOS struct termios (64-bit, unsigned long fields)", () => {
  it("pack() puts flags at 0/8/16/24, c_cc at 32, speeds at 56/64 in 72 bytes", () => {
    const raw = rawTermios(
      DARWIN_TERMIOS,
      {
        iflag: 0x2b02,
        oflag: 3,
        cflag: 0x4b00, // CS8|CREAD|HUPCL
        lflag: 0x5cb,
        line: 0,
        cc: new Uint8Array(20).fill(9),
        ispeed: 9600,
        ospeed: 9600,
      },
      230400,
      "rtscts",
    );
    const bytes = packTermios(DARWIN_TERMIOS, raw);
    const view = new DataView(bytes.buffer);
    expect(bytes.length).toBe(72);
    expect(view.getBigUint64(0, true)).toBe(0n);
    expect(view.getBigUint64(16, true)).toBe(BigInt(0x300 | 0x800 | 0x4000 | 0x30000)); // CS8 CREAD HUPCL CRTSCTS
    expect(bytes[32 + 16]).toBe(0); // VMIN
    expect(bytes[32 + 17]).toBe(0); // VTIME
    expect(view.getBigUint64(56, true)).toBe(230400n);
    expect(view.getBigUint64(64, true)).toBe(230400n);
    expect(unpackTermios(DARWIN_TERMIOS, bytes)).toEqual(raw);
    expect(lineSettings(DARWIN_TERMIOS, raw)).toMatchObject({
      baud: 230400,
      flowControl: "rtscts",
      dataBits: 8,
    });
  });
});

describe("Windows DCB", () => {
  it("raw 8N1 at 230400 with RTS/CTS: fBinary, fOutxCtsFlow, DTR enabled, RTS handshake", () => {
    const view = new DataView(packDcb(230400, "rtscts").buffer);
    expect(view.byteLength).toBe(28);
    expect(view.getUint32(0, true)).toBe(28);
    expect(view.getUint32(4, true)).toBe(230400);
    expect(view.getUint32(8, true)).toBe(0b0010_0000_0001_0101);
    expect([view.getUint8(18), view.getUint8(19), view.getUint8(20)]).toEqual([8, 0, 0]);
  });

  it("keeps the driver's other fields from GetCommState, and never leaves XonChar equal to XoffChar", () => {
    const current = new Uint8Array(28);
    const view = new DataView(current.buffer);
    view.setUint32(8, 1 << 14, true); // fAbortOnError, set by someone else
    view.setUint16(14, 2048, true); // XonLim
    current[24] = 0x1a; // EofChar
    const dcb = packDcb(9600, "none", current);
    expect(new DataView(dcb.buffer).getUint32(8, true)).toBe(0b0001_0000_0001_0001); // flags are ours
    expect(new DataView(dcb.buffer).getUint16(14, true)).toBe(2048);
    expect([dcb[21], dcb[22], dcb[24]]).toEqual([0x11, 0x13, 0x1a]);
    current[21] = 0x01;
    current[22] = 0x02;
    expect([...packDcb(9600, "none", current).subarray(21, 23)]).toEqual([0x01, 0x02]);
  });

  it("without flow control RTS is simply on and CTS is ignored", () => {
    expect(new DataView(packDcb(1_000_000, "none").buffer).getUint32(8, true)).toBe(0b0001_0000_0001_0001);
  });
});
