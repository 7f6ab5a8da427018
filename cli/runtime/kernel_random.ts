/**
 * The Linux kernel's entropy input, as rngd uses it: bytes go into the input pool with
 * ioctl(RNDADDENTROPY) on /dev/random, which also credits a number of bits of entropy (root:
 * CAP_SYS_ADMIN), and poll(2) for writing tells whether the kernel asks for more.
 *
 * What the kernel does with them (drivers/char/random.c since 5.18, so on the 6.x kernels this
 * runs on): the bytes are hashed into the input pool (BLAKE2s), which reseeds the CRNG every
 * minute; the credit counts only until the CRNG is first seeded (256 bits), after which
 * `entropy_avail` stays at 256 and credit changes nothing. /dev/random polls writable only
 * before that first seeding, and `write_wakeup_threshold` is a dummy: after early boot the
 * kernel never asks again, so a feeder that waited to be asked would go silent.
 */
import { QrngError } from "../errors.ts";
import {
  ERRNO,
  type Libc,
  OPEN_FLAGS,
  POLLFD_BYTES,
  POLLOUT,
  requirePosix,
  type SystemLibrary,
} from "./libc.ts";

/** The kernel's random device, whose ioctls and poll reach the input pool. */
export const KERNEL_RANDOM_PATH = "/dev/random";

/**
 * RNDADDENTROPY = _IOW('R', 0x03, int[2]) in the generic ioctl encoding (x86, arm, riscv):
 * direction write (1) << 30 | argument size 8 << 16 | type 'R' << 8 | number 3.
 */
export const RNDADDENTROPY = (1 << 30) + (8 << 16) + (0x52 << 8) + 0x03;

/** `struct rand_pool_info { int entropy_count; int buf_size; __u32 buf[]; }`: the two ints before the bytes. */
const RAND_POOL_INFO_HEADER_BYTES = 8;

/**
 * Most bytes one call adds: a page. The kernel checks for pending signals between pages and
 * then fails a partial RNDADDENTROPY with EFAULT (it only credits whole writes), so calls of at
 * most a page are never cut short by a signal.
 */
export const MAX_ADD_BYTES = 4096;

/** The kernel's input pool, open for adding entropy. */
export interface KernelRandom {
  /** Whether the kernel asks for entropy now (/dev/random polls writable): only until its CRNG is first seeded. */
  wantsEntropy(): boolean;
  /**
   * Mixes `bytes` (at most {@link MAX_ADD_BYTES}) into the input pool and credits `bits` of
   * entropy. Throws a QrngError naming the failure; nothing is credited then.
   */
  add(bytes: Uint8Array, bits: number): void;
  /** Closes /dev/random; safe to call more than once. */
  close(): void;
}

/** Why the kernel refused RNDADDENTROPY, as a one-line error. */
function refusal(libc: Libc, errno: number): QrngError {
  if (errno === ERRNO.linux.EPERM) {
    return new QrngError(
      "output",
      `Cannot feed the kernel: RNDADDENTROPY on ${KERNEL_RANDOM_PATH} needs CAP_SYS_ADMIN ` +
        `(run qrng feed as root, or give it that capability as docs/qrng-feed.service does)`,
    );
  }
  return new QrngError(
    "unsupported",
    `Cannot feed the kernel: ${KERNEL_RANDOM_PATH} refused RNDADDENTROPY: ${libc.strerror(errno)}`,
  );
}

/**
 * Opens the kernel's entropy input and checks, by adding nothing and crediting 0 bits (the same
 * permission check, no effect), that the kernel will take entropy from us: refuses with a
 * QrngError where it will not (not root, not Linux) before any device is read.
 */
export function openKernelRandom(library: SystemLibrary): KernelRandom {
  const libc = requirePosix(library, "feed the kernel (RNDADDENTROPY is Linux's)");
  if (libc.os !== "linux") {
    throw new QrngError(
      "unsupported",
      "Cannot feed the kernel: not available on macOS (RNDADDENTROPY is Linux's; macOS seeds its own pool)",
    );
  }
  const { O_WRONLY, O_NONBLOCK, O_CLOEXEC } = OPEN_FLAGS.linux;
  const fd = libc.open(KERNEL_RANDOM_PATH, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw new QrngError("output", `Cannot open ${KERNEL_RANDOM_PATH}: ${libc.strerror(-fd)}`);
  const request = new Uint8Array(RAND_POOL_INFO_HEADER_BYTES + MAX_ADD_BYTES);
  // Native byte order: little-endian on every Linux target qrng builds for (x86-64, arm64).
  const header = new DataView(request.buffer, 0, RAND_POOL_INFO_HEADER_BYTES);
  const pollfd = new Uint8Array(POLLFD_BYTES);
  const pollView = new DataView(pollfd.buffer);
  let open = true;

  const call = (length: number, bits: number): number => {
    header.setInt32(0, bits, true);
    header.setInt32(4, length, true);
    let result: number;
    do result = libc.ioctl(
      fd,
      RNDADDENTROPY,
      request.subarray(0, RAND_POOL_INFO_HEADER_BYTES + length),
    ); while (result === -ERRNO.linux.EINTR);
    return result;
  };

  const kernel: KernelRandom = {
    wantsEntropy() {
      pollView.setInt32(0, fd, true);
      pollView.setInt16(4, POLLOUT, true);
      pollView.setInt16(6, 0, true);
      return libc.poll(pollfd, 1, 0) > 0 && (pollView.getInt16(6, true) & POLLOUT) !== 0;
    },
    add(bytes, bits) {
      if (bytes.length > MAX_ADD_BYTES) {
        throw new RangeError(`KernelRandom.add: at most ${MAX_ADD_BYTES} bytes a call, not ${bytes.length}`);
      }
      if (!Number.isSafeInteger(bits) || bits < 0) {
        throw new RangeError(`KernelRandom.add: bits must be a whole number ≥ 0, not ${bits}`);
      }
      request.set(bytes, RAND_POOL_INFO_HEADER_BYTES);
      const result = call(bytes.length, bits);
      // Our copy of what seeds the kernel is not left lying in memory.
      request.fill(0, RAND_POOL_INFO_HEADER_BYTES, RAND_POOL_INFO_HEADER_BYTES + bytes.length);
      if (result < 0) throw refusal(libc, -result);
    },
    close() {
      if (open) libc.close(fd);
      open = false;
    },
  };
  const probe = call(0, 0);
  if (probe < 0) {
    kernel.close();
    throw refusal(libc, -probe);
  }
  return kernel;
}
