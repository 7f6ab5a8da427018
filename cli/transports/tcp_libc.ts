/**
 * TCP through the C library (Deno and Bun on Linux and macOS, IPv4): a non-blocking socket
 * whose reads go with read(2) straight into the caller's buffer, which for `qrng read` is WASM
 * memory. The runtime's socket layer (node:net, tcp.ts) hands every received run over in a
 * freshly allocated buffer that the garbage collector frees later: under Bun that alone took
 * ~0.6 CPU s per GiB and ~40 MB of resident memory at 600 MB/s; read(2) into a fixed buffer
 * allocates nothing. Waiting for data is the cooperative backoff of backoff.ts (the runtime's
 * event loop keeps running: signals, timers). Elsewhere (Node, Windows, IPv6, no FFI
 * permission) {@link connectTcpPreferLibc} falls back to node:net.
 */
import { lookup } from "node:dns/promises";
import { describeError, QrngError } from "../errors.ts";
import { type Libc, POLLERR, POLLHUP, POLLOUT, type SystemLibrary } from "../runtime/libc.ts";
import { Backoff } from "./backoff.ts";
import { discardReadable, errnoText, type FdHooks, pollNow, readFd, writeFd } from "./fd_io.ts";
import { connectTcp, TCP_CONNECT_TIMEOUT_MS } from "./tcp.ts";
import type { Transport } from "./transport.ts";

/** Socket constants, per OS. */
const SOCKET = {
  linux: {
    AF_INET: 2,
    SOCK_STREAM: 1,
    IPPROTO_TCP: 6,
    TCP_NODELAY: 1,
    FIONBIO: 0x5421,
    EINPROGRESS: 115,
    EISCONN: 106,
  },
  darwin: {
    AF_INET: 2,
    SOCK_STREAM: 1,
    IPPROTO_TCP: 6,
    TCP_NODELAY: 1,
    FIONBIO: 0x8004667e,
    EINPROGRESS: 36,
    EISCONN: 56,
  },
} as const;

/** Bytes of a `struct sockaddr_in`. */
const SOCKADDR_IN_BYTES = 16;
/** How long a write may make no progress (the device stopped reading) before it fails. */
const WRITE_STALL_MS = 5000;

/** A packed `struct sockaddr_in` for `ipv4:port` (macOS leads with its length byte). */
function socketAddress(libc: Libc, ipv4: string, port: number): Uint8Array {
  const address = new Uint8Array(SOCKADDR_IN_BYTES);
  const view = new DataView(address.buffer);
  if (libc.os === "darwin") address.set([SOCKADDR_IN_BYTES, SOCKET.darwin.AF_INET]);
  else view.setUint16(0, SOCKET.linux.AF_INET, true);
  view.setUint16(2, port); // network byte order
  address.set(ipv4.split(".").map(Number), 4);
  return address;
}

/** The int argument of setsockopt and ioctl. */
const int = (value: number) => new Uint8Array(new Int32Array([value]).buffer);

/**
 * Connects to `host:port` over libc; resolves undefined when `host` has no IPv4 address (the
 * caller then uses node:net). Rejects like connectTcp: "timeout", or "disconnected" when
 * nobody answers.
 */
export async function connectLibcTcp(libc: Libc, host: string, port: number): Promise<Transport | undefined> {
  const description = `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const { address, family } = await lookup(host).catch((error) => {
    throw new QrngError("disconnected", `Cannot connect to ${description}: ${describeError(error)}`);
  });
  if (family !== 4) return undefined;
  const c = SOCKET[libc.os];
  const fd = libc.socket(c.AF_INET, c.SOCK_STREAM, 0);
  if (fd < 0) throw new QrngError("disconnected", `Cannot connect to ${description}: ${errnoText(libc, fd)}`);
  const fail = (kind: "disconnected" | "timeout", why: string) => {
    libc.close(fd);
    return new QrngError(kind, `Cannot connect to ${description}: ${why}`);
  };
  libc.ioctl(fd, c.FIONBIO, int(1));
  libc.setsockopt(fd, c.IPPROTO_TCP, c.TCP_NODELAY, int(1)); // commands leave at once
  const peer = socketAddress(libc, address, port);
  let result = libc.connect(fd, peer);
  if (result === -c.EINPROGRESS) {
    const deadline = performance.now() + TCP_CONNECT_TIMEOUT_MS;
    const backoff = new Backoff();
    while (!(pollNow(libc, fd, POLLOUT) & (POLLOUT | POLLERR | POLLHUP))) {
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) throw fail("timeout", `no answer in ${TCP_CONNECT_TIMEOUT_MS} ms`);
      await backoff.wait(remainingMs);
    }
    // A second connect() reports how the first one ended.
    result = libc.connect(fd, peer);
    if (result === -c.EISCONN) result = 0;
  }
  if (result < 0) throw fail("disconnected", errnoText(libc, result));
  return libcSocketTransport(libc, fd, description);
}

/** The Transport over a connected non-blocking socket `fd`. */
function libcSocketTransport(libc: Libc, fd: number, description: string): Transport {
  let closed = false;
  const hooks: FdHooks = {
    name: description,
    closed: () => closed,
    hangupIsFatal: () => true,
    zeroReadIsEnd: true,
    waitInPoll: true,
  };
  return {
    description,
    write: (data) =>
      closed
        ? Promise.reject(new QrngError("disconnected", `Cannot write to ${description}: it was closed`))
        : writeFd(libc, fd, data, WRITE_STALL_MS, hooks),
    read: (buffer, timeoutMs) => readFd(libc, fd, buffer, timeoutMs, hooks),
    discardInput() {
      if (!closed) discardReadable(libc, fd);
      return Promise.resolve();
    },
    close() {
      if (!closed) libc.close(fd);
      closed = true;
      return Promise.resolve();
    },
  };
}

/**
 * Connects to `host:port` over libc where `loadLibrary` gives one and the host has an IPv4
 * address, otherwise (no FFI, Windows, IPv6) over node:net.
 */
export async function connectTcpPreferLibc(
  host: string,
  port: number,
  loadLibrary?: () => Promise<SystemLibrary>,
): Promise<Transport> {
  // A library that cannot load (no FFI permission) is no error here: node:net still connects.
  const library = await loadLibrary?.().catch(() => undefined);
  const direct = library && library.os !== "windows" ? await connectLibcTcp(library, host, port) : undefined;
  return direct ?? await connectTcp(host, port);
}
