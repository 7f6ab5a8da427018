/**
 * Serial ports on Windows through kernel32: CreateFileW, a DCB for raw 8N1 (with RTS/CTS when
 * asked), COMMTIMEOUTS that make ReadFile return at once with what has arrived, and PurgeComm
 * to discard input. The same cooperative polling as on POSIX keeps the event loop running.
 *
 * UNTESTED ON WINDOWS: there is no Windows machine here. Written from the documented structs
 * (DCB, COMMTIMEOUTS in winbase.h); only the pure DCB packing is unit-tested.
 */
import { QrngError } from "../errors.ts";
import type { Kernel32 } from "../runtime/libc.ts";
import { Backoff } from "./backoff.ts";
import type { SerialOptions, SerialPort } from "./serial.ts";
import { describeSerialLine, type FlowControl } from "./termios.ts";

const GENERIC_READ_WRITE = 0xc000_0000;
const OPEN_EXISTING = 3;
const FILE_ATTRIBUTE_NORMAL = 0x80;
const PURGE_RXABORT = 0x2;
const PURGE_RXCLEAR = 0x8;
const PURGE_TXCLEAR = 0x4;
const MS_CTS_ON = 0x10;
const MAXDWORD = 0xffff_ffff;
/** WriteFile returns after this long with what it sent, so a held CTS never freezes the loop. */
const WRITE_CHUNK_TIMEOUT_MS = 20;
/** Size of a DCB. */
export const DCB_BYTES = 28;

/**
 * A DCB for raw 8N1 at `baud`:
 *
 *     0 DCBlength u32   8 flags u32 (bit 0 fBinary, 1 fParity, 2 fOutxCtsFlow, 3 fOutxDsrFlow,
 *     4 BaudRate  u32     4-5 fDtrControl, 6 fDsrSensitivity, 7 fTXContinueOnXoff, 8 fOutX,
 *    12 wReserved u16     9 fInX, 10 fErrorChar, 11 fNull, 12-13 fRtsControl, 14 fAbortOnError)
 *    14 XonLim u16, 16 XoffLim u16, 18 ByteSize u8, 19 Parity u8, 20 StopBits u8,
 *    21 XonChar, 22 XoffChar, 23 ErrorChar, 24 EofChar, 25 EvtChar, 26 wReserved1 u16
 *
 * DTR on; RTS on, or RTS_CONTROL_HANDSHAKE (2) with fOutxCtsFlow for "rtscts". Starts from
 * `current` (GetCommState's answer) so driver-specific fields survive; SetCommState refuses a
 * DCB whose XonChar equals XoffChar, so those get the usual DC1/DC3 when they are equal.
 */
export function packDcb(baud: number, flowControl: FlowControl, current?: Uint8Array): Uint8Array {
  const dcb = new Uint8Array(DCB_BYTES);
  if (current) dcb.set(current.subarray(0, DCB_BYTES));
  const view = new DataView(dcb.buffer);
  view.setUint32(0, DCB_BYTES, true);
  view.setUint32(4, baud, true);
  const fBinary = 1;
  const fOutxCtsFlow = flowControl === "rtscts" ? 1 << 2 : 0;
  const fDtrControlEnable = 1 << 4;
  const fRtsControl = (flowControl === "rtscts" ? 2 : 1) << 12;
  view.setUint32(8, fBinary | fOutxCtsFlow | fDtrControlEnable | fRtsControl, true);
  view.setUint8(18, 8); // ByteSize
  view.setUint8(19, 0); // NOPARITY
  view.setUint8(20, 0); // ONESTOPBIT
  if (dcb[21] === dcb[22]) {
    dcb[21] = 0x11; // XonChar: DC1
    dcb[22] = 0x13; // XoffChar: DC3
  }
  return dcb;
}

/** COMMTIMEOUTS: reads return at once; writes give up after {@link WRITE_CHUNK_TIMEOUT_MS}. */
function packTimeouts(): Uint8Array {
  const bytes = new Uint8Array(20);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAXDWORD, true); // ReadIntervalTimeout
  view.setUint32(4, 0, true); // ReadTotalTimeoutMultiplier
  view.setUint32(8, 0, true); // ReadTotalTimeoutConstant
  view.setUint32(12, 0, true); // WriteTotalTimeoutMultiplier
  view.setUint32(16, WRITE_CHUNK_TIMEOUT_MS, true); // WriteTotalTimeoutConstant
  return bytes;
}

/** "COM12" becomes "\\.\COM12" (required above COM9, harmless below). */
function devicePath(path: string): string {
  return path.startsWith("\\\\.\\") ? path : `\\\\.\\${path}`;
}

/** SetCommState with {@link packDcb} over the port's current DCB: true on success. */
function setLine(k: Kernel32, handle: unknown, baud: number, flowControl: FlowControl): boolean {
  const current = new Uint8Array(DCB_BYTES);
  new DataView(current.buffer).setUint32(0, DCB_BYTES, true); // GetCommState wants DCBlength set
  const known = k.getCommState(handle, current);
  return k.setCommState(handle, packDcb(baud, flowControl, known ? current : undefined));
}

function openHandle(k: Kernel32, path: string, baud: number, flowControl: FlowControl): unknown {
  const handle = k.createFile(devicePath(path), GENERIC_READ_WRITE, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL);
  if (handle === null) {
    throw new QrngError("input", `Cannot open serial port ${path}: Windows error ${k.lastError()}`);
  }
  if (!setLine(k, handle, baud, flowControl) || !k.setCommTimeouts(handle, packTimeouts())) {
    const code = k.lastError();
    k.closeHandle(handle);
    throw new QrngError("device", `Cannot set ${path} to ${baud} baud 8N1: Windows error ${code}`);
  }
  k.purgeComm(handle, PURGE_RXABORT | PURGE_RXCLEAR | PURGE_TXCLEAR);
  return handle;
}

/** Opens a COM port as a {@link SerialPort} (see the file comment: untested on Windows). */
export function openWindowsSerial(k: Kernel32, path: string, options: SerialOptions): Promise<SerialPort> {
  const flowControl = options.flowControl ?? "none";
  const stallMs = options.writeStallMs ?? 10_000;
  let baud = options.baud;
  let handle = openHandle(k, path, baud, flowControl);
  let closed = false;
  let generation = 0;
  const lost = (what: string) =>
    new QrngError("disconnected", `Cannot ${what} serial port ${path}: Windows error ${k.lastError()}`);
  return Promise.resolve({
    path,
    flowControl,
    get baud() {
      return baud;
    },
    get description() {
      return describeSerialLine(path, baud, flowControl);
    },
    async write(data) {
      const started = generation;
      const backoff = new Backoff();
      let offset = 0;
      let progressAt = performance.now();
      while (offset < data.length) {
        if (closed || generation !== started) {
          throw new QrngError("disconnected", `Cannot write to ${path}: it was closed`);
        }
        const count = k.writeFile(handle, data.subarray(offset));
        if (count < 0) throw lost("write to");
        if (count > 0) {
          offset += count;
          progressAt = performance.now();
          backoff.reset();
        } else if (performance.now() - progressAt >= stallMs) {
          throw new QrngError("timeout", `Cannot write to ${path}: nothing could be sent for ${stallMs} ms`);
        } else await backoff.wait();
      }
    },
    async read(buffer, timeoutMs) {
      if (buffer.length === 0) return 0;
      const started = generation;
      const deadline = performance.now() + timeoutMs;
      const backoff = new Backoff();
      while (!closed && generation === started) {
        const count = k.readFile(handle, buffer);
        if (count < 0) throw lost("read from");
        if (count > 0) return count;
        const remainingMs = deadline - performance.now();
        if (remainingMs <= 0) return 0;
        await backoff.wait(remainingMs);
      }
      return 0;
    },
    discardInput() {
      if (!closed) k.purgeComm(handle, PURGE_RXABORT | PURGE_RXCLEAR);
      return Promise.resolve();
    },
    cts() {
      const status = closed ? -1 : k.getCommModemStatus(handle);
      return status < 0 ? undefined : (status & MS_CTS_ON) !== 0;
    },
    setBaud(next) {
      if (closed || !setLine(k, handle, next, flowControl)) {
        return Promise.reject(
          new QrngError("device", `Cannot set ${path} to ${next} baud: Windows error ${k.lastError()}`),
        );
      }
      baud = next;
      return Promise.resolve();
    },
    isEmulator: () => false, // qrng's emulators serve on ptys, which Windows lacks
    async reopen() {
      if (closed) throw new QrngError("disconnected", `Cannot reopen ${path}: it was closed`);
      generation++;
      k.closeHandle(handle);
      await new Promise((resolve) => setTimeout(resolve, options.reopenPauseMs ?? 50));
      try {
        handle = openHandle(k, path, baud, flowControl);
      } catch (error) {
        closed = true;
        throw error;
      }
    },
    close() {
      if (!closed) k.closeHandle(handle);
      closed = true;
      return Promise.resolve();
    },
  });
}
