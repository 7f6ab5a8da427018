/**
 * Pseudo-terminals for emulators: the emulator holds the master, a host opens the slave path
 * (e.g. /dev/pts/7) as if it were a serial port. On Linux the master sees the termios the host
 * sets on the slave, baud rate included, so an emulator can act on the line settings (XR232USB
 * answers with its identification below 2400 baud). Ptys have no modem lines: CTS has to be
 * modelled as the emulator withholding bytes.
 *
 * The master stays open when the host closes the slave, so hosts can close and reopen as they
 * would a real port. While no host has the slave open, reads on the master wait (then resolve
 * 0) and writes are dropped, as bytes sent down a wire nobody listens to are lost.
 *
 * Tested on Linux. On macOS (untested) the master and slave share one termios, so settings()
 * should hold; but poll(2) there may not report a device's hangup, in which case slaveOpen()
 * stays true and {@link PtyMaster.opens} counts only the first open.
 */
import { QrngError } from "../errors.ts";
import { OPEN_FLAGS, POLLHUP, requirePosix, type SystemLibrary } from "../runtime/libc.ts";
import { discardReadable, errnoText, pollNow, readFd, writeFd } from "./fd_io.ts";
import { getTermios } from "./serial.ts";
import { type LineSettings, lineSettings, termiosLayout } from "./termios.ts";
import type { Transport } from "./transport.ts";
import { setEmulatorMark } from "./emulator_mark.ts";

/** A write to the master that makes no progress for this long is dropped (the host stopped reading). */
export const PTY_WRITE_STALL_MS = 10_000;

/** The master side of a pseudo-terminal: a Transport to whatever host opens {@link slavePath}. */
export interface PtyMaster extends Transport {
  /** The path a host opens, e.g. "/dev/pts/7". */
  readonly slavePath: string;
  /** The line settings the host last applied to the slave (8N1, baud, flow control, raw). */
  settings(): LineSettings;
  /**
   * Whether a host has the slave open now (the master sees no hangup). Before the first open
   * and after the last close this is false.
   */
  slaveOpen(): boolean;
  /**
   * How many times a host was seen opening the slave: each false -> true change observed by
   * {@link slaveOpen}, reads, writes or waits. A close and reopen faster than the emulator looks
   * (about a millisecond while it reads) can go unseen; compare this count to notice reopens.
   */
  readonly opens: number;
  /** Tells hosts that open the slave that they talk to one of qrng's emulators (emulator_mark.ts). */
  markAsEmulator(): void;
}

/**
 * Creates a pseudo-terminal pair and returns its master. Rejects with "unsupported" on Windows
 * (no ptys) and under Node (no FFI).
 */
export function openPty(library: SystemLibrary): Promise<PtyMaster> {
  const libc = requirePosix(library, "create a pseudo-terminal");
  const f = OPEN_FLAGS[libc.os];
  const flags = f.O_RDWR | f.O_NOCTTY | f.O_NONBLOCK | f.O_CLOEXEC;
  // macOS's posix_openpt accepts only O_RDWR | O_NOCTTY; opening its clone device directly is
  // what it does inside, and takes O_NONBLOCK (untested: no Mac here).
  const fd = libc.os === "darwin" ? libc.open("/dev/ptmx", flags) : libc.posixOpenpt(flags);
  if (fd < 0) {
    return Promise.reject(new QrngError("device", `Cannot create a pseudo-terminal: ${errnoText(libc, fd)}`));
  }
  let slavePath: string;
  try {
    const granted = libc.grantpt(fd);
    const unlocked = granted < 0 ? granted : libc.unlockpt(fd);
    if (unlocked < 0) {
      throw new QrngError("device", `Cannot unlock a pseudo-terminal: ${errnoText(libc, unlocked)}`);
    }
    slavePath = libc.ptsname(fd);
    // Linux reports the hangup that tells "no host" only after a slave has been closed once.
    const slave = libc.open(slavePath, f.O_RDWR | f.O_NOCTTY | f.O_NONBLOCK | f.O_CLOEXEC);
    if (slave >= 0) libc.close(slave);
  } catch (error) {
    libc.close(fd);
    return Promise.reject(error);
  }
  const layout = termiosLayout(libc.os);
  let closed = false;
  let open = false;
  let opens = 0;
  const look = () => {
    const now = !closed && (pollNow(libc, fd) & POLLHUP) === 0;
    if (now && !open) opens++;
    open = now;
    return now;
  };
  const hooks = {
    name: `pseudo-terminal ${slavePath}`,
    closed: () => closed,
    hangupIsFatal: () => (look(), false),
  };
  const master: PtyMaster = {
    slavePath,
    description: `pty:${slavePath}`,
    get opens() {
      look();
      return opens;
    },
    settings: () => lineSettings(layout, getTermios(libc, fd, slavePath)),
    slaveOpen: look,
    markAsEmulator: () => setEmulatorMark(libc, fd),
    async write(data) {
      if (!look()) return; // nobody listening: the bytes are lost, as on a real wire
      try {
        await writeFd(libc, fd, data, PTY_WRITE_STALL_MS, hooks);
      } catch (error) {
        if ((error as QrngError).kind === "timeout" || !look()) return; // host went away mid-write
        throw error;
      }
    },
    async read(buffer, timeoutMs) {
      const count = await readFd(libc, fd, buffer, timeoutMs, hooks);
      if (count > 0) look();
      return count;
    },
    discardInput() {
      // TCFLSH on a master acts on the slave; drain what the host sent to us instead.
      if (!closed) discardReadable(libc, fd);
      return Promise.resolve();
    },
    close() {
      if (!closed) libc.close(fd);
      closed = true;
      return Promise.resolve();
    },
  };
  return Promise.resolve(master);
}
