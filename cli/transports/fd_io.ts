/**
 * Reading and writing a non-blocking POSIX file descriptor (a serial port, a pty master or a
 * TCP socket) without ever blocking the event loop: the loops behind those Transports.
 */
import { QrngError } from "../errors.ts";
import { ERRNO, type Libc, POLLERR, POLLFD_BYTES, POLLHUP, POLLIN } from "../runtime/libc.ts";
import { Backoff } from "./backoff.ts";

/** How one loop reacts to its descriptor's state. */
export interface FdHooks {
  /** Name for messages, e.g. "serial port /dev/ttyUSB0". */
  readonly name: string;
  /** True once the owner closed: loops stop (reads resolve 0, writes reject). */
  closed(): boolean;
  /**
   * The other side hung up (POLLHUP/POLLERR or EIO): return true to reject with "disconnected",
   * false to treat it as silence (a pty master whose host has closed the slave).
   */
  hangupIsFatal(): boolean;
  /** A socket: read() returning 0 is the peer's end of stream, not a tty's silence (VMIN = 0). */
  readonly zeroReadIsEnd?: boolean;
  /**
   * Wait for input in poll(2), up to MAX_WAIT_MS at a time (the event loop waits as long),
   * instead of on a timer: woken the moment data arrives, the reader keeps a fast sender's
   * socket drained (a timer's late wake-ups on a busy machine cost `qrng read` a third of its
   * throughput). For descriptors whose other end is another process, so nothing in this one
   * has to run for the data to come. @default false
   */
  readonly waitInPoll?: boolean;
}

/**
 * poll(2) on one fd, by default with a 0 timeout, else blocking up to `timeoutMs`: the revents
 * bits (POLLIN, POLLHUP, ...).
 */
export function pollNow(libc: Libc, fd: number, events = POLLIN, timeoutMs = 0): number {
  const record = new Uint8Array(POLLFD_BYTES);
  const view = new DataView(record.buffer);
  view.setInt32(0, fd, true);
  view.setInt16(4, events, true);
  const ready = libc.poll(record, 1, timeoutMs);
  return ready > 0 ? view.getUint16(6, true) : 0;
}

/** The one-line text for a negative result of a {@link Libc} call. */
export function errnoText(libc: Libc, result: number): string {
  return libc.strerror(-result);
}

function disconnected(libc: Libc, hooks: FdHooks, what: string, result?: number): QrngError {
  const why = result === undefined ? "the other side hung up" : errnoText(libc, result);
  return new QrngError("disconnected", `Cannot ${what} ${hooks.name}: ${why}`);
}

/**
 * Waits up to `timeoutMs` for bytes on `fd` and reads them into `buffer`: the count, or 0 when
 * the time passed (or the owner closed). Treats "no data" the three ways a tty says it: -EAGAIN,
 * 0 (VMIN = 0) and, on a pty master without a slave, -EIO.
 */
export async function readFd(
  libc: Libc,
  fd: number,
  buffer: Uint8Array,
  timeoutMs: number,
  hooks: FdHooks,
): Promise<number> {
  if (buffer.length === 0) return 0;
  const e = ERRNO[libc.os];
  const deadline = performance.now() + Math.max(0, timeoutMs);
  const backoff = new Backoff();
  const block = hooks.waitInPoll ? (ms: number) => void pollNow(libc, fd, POLLIN, Math.ceil(ms)) : undefined;
  let hungUp = false;
  while (!hooks.closed()) {
    const count = libc.read(fd, buffer);
    if (count > 0) return count;
    if (count === 0 && hooks.zeroReadIsEnd) {
      throw new QrngError("disconnected", `Cannot read from ${hooks.name}: the connection closed`);
    }
    if (count < 0 && count !== -e.EAGAIN && count !== -e.EINTR && count !== -e.EIO) {
      throw disconnected(libc, hooks, "read from", count);
    }
    if (hungUp) throw disconnected(libc, hooks, "read from");
    const revents = pollNow(libc, fd);
    // POLLNVAL is not a hangup: macOS poll(2) answers it for every device it cannot poll; a
    // really invalid fd shows up as EBADF from read above.
    if ((count === -e.EIO || revents & (POLLHUP | POLLERR)) && hooks.hangupIsFatal()) {
      // The hangup may have come after the read above (a peer's reset): read once more for
      // the bytes that came with it or the reason (ECONNRESET) before naming none.
      hungUp = true;
      continue;
    }
    const remainingMs = deadline - performance.now();
    if (remainingMs <= 0) return 0;
    await backoff.wait(remainingMs, block);
  }
  return 0;
}

/**
 * Writes all of `data` to `fd`, yielding while the kernel's buffer is full. Rejects with
 * "timeout" when no byte could be written for `stallMs` (a device holding CTS inactive), with
 * "disconnected" when the other side is gone or the owner closed.
 */
export async function writeFd(
  libc: Libc,
  fd: number,
  data: Uint8Array,
  stallMs: number,
  hooks: FdHooks,
): Promise<void> {
  const e = ERRNO[libc.os];
  const backoff = new Backoff();
  let offset = 0;
  let progressAt = performance.now();
  while (offset < data.length) {
    if (hooks.closed()) throw new QrngError("disconnected", `Cannot write to ${hooks.name}: it was closed`);
    const count = libc.write(fd, data.subarray(offset));
    if (count > 0) {
      offset += count;
      progressAt = performance.now();
      backoff.reset();
      continue;
    }
    if (count === -e.EIO && hooks.hangupIsFatal()) throw disconnected(libc, hooks, "write to");
    if (count < 0 && count !== -e.EAGAIN && count !== -e.EINTR && count !== -e.EIO) {
      throw disconnected(libc, hooks, "write to", count);
    }
    const stalledMs = performance.now() - progressAt;
    if (stalledMs >= stallMs) {
      throw new QrngError(
        "timeout",
        `Cannot write to ${hooks.name}: nothing could be sent for ${
          Math.round(stalledMs)
        } ms (flow control held?)`,
      );
    }
    await backoff.wait(stallMs - stalledMs);
  }
}

/** Reads and drops whatever a non-blocking `fd` holds now (discardInput where no flush call fits). */
export function discardReadable(libc: Libc, fd: number): void {
  const scratch = new Uint8Array(65536);
  while (libc.read(fd, scratch) > 0);
}
