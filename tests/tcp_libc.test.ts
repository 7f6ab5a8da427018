/**
 * The libc TCP transport's logic against a scripted C library (the real one is exercised by the
 * end-to-end reads under Deno and Bun): the sockaddr it connects to, EINPROGRESS, refusals,
 * reads into the caller's buffer, timeouts, the peer's close, and the node:net fallback.
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import type { Libc } from "../cli/runtime/libc.ts";
import { connectLibcTcp, connectTcpPreferLibc } from "../cli/transports/tcp_libc.ts";

const EAGAIN = 11;
const EINPROGRESS = 115;
const EISCONN = 106;
const ECONNREFUSED = 111;
const ECONNRESET = 104;
const POLLOUT = 0x004;
const POLLERR = 0x008;
const POLLHUP = 0x010;

/** A Linux libc whose socket calls follow `script`; unlisted calls succeed. */
function fakeLibc(script: {
  connect?: number[];
  pollReady?: boolean[];
  /** revents of polls that wait for input (a read's poll); none when the list runs out */
  pollRead?: number[];
  reads?: Array<number | Uint8Array>;
}) {
  const calls: string[] = [];
  const addresses: Uint8Array[] = [];
  const libc = {
    os: "linux",
    socket: () => (calls.push("socket"), 7),
    ioctl: () => 0,
    setsockopt: () => 0,
    connect(_fd: number, address: Uint8Array) {
      addresses.push(address.slice());
      return script.connect?.shift() ?? 0;
    },
    poll(record: Uint8Array) {
      if (new DataView(record.buffer).getInt16(4, true) !== POLLOUT) {
        const revents = script.pollRead?.shift() ?? 0;
        new DataView(record.buffer).setUint16(6, revents, true);
        return revents ? 1 : 0;
      }
      const ready = script.pollReady?.shift() ?? true;
      new DataView(record.buffer).setUint16(6, ready ? POLLOUT : 0, true);
      return ready ? 1 : 0;
    },
    read(_fd: number, buffer: Uint8Array) {
      const next = script.reads?.shift() ?? -EAGAIN;
      if (typeof next === "number") return next;
      buffer.set(next);
      return next.length;
    },
    write: (_fd: number, data: Uint8Array) => data.length,
    close: () => (calls.push("close"), 0),
    strerror: (errno: number) =>
      errno === ECONNREFUSED
        ? "Connection refused"
        : errno === ECONNRESET
        ? "Connection reset by peer"
        : `errno ${errno}`,
  } as unknown as Libc;
  return { libc, calls, addresses };
}

describe("TCP through libc", () => {
  it("connects to the host's IPv4 sockaddr, waiting out EINPROGRESS until the socket is writable", async () => {
    const { libc, addresses } = fakeLibc({
      connect: [-EINPROGRESS, -EISCONN],
      pollReady: [false, false, true],
    });
    const transport = await connectLibcTcp(libc, "127.0.0.1", 54936);
    expect(transport?.description).toBe("tcp://127.0.0.1:54936");
    // AF_INET (2, little-endian), port 54936 in network order, 127.0.0.1.
    expect([...addresses[0].subarray(0, 8)]).toEqual([2, 0, 0xd6, 0x98, 127, 0, 0, 1]);
    expect(addresses.length).toBe(2); // the second connect() reports how the first ended
  });

  it("names a refused connection and closes the socket", async () => {
    const { libc, calls } = fakeLibc({ connect: [-ECONNREFUSED] });
    await expect(connectLibcTcp(libc, "127.0.0.1", 9)).rejects.toThrow(
      "Cannot connect to tcp://127.0.0.1:9: Connection refused",
    );
    expect(calls).toEqual(["socket", "close"]);
  });

  it("reads into the caller's buffer, resolves 0 after the timeout, and reports the peer's close", async () => {
    const { libc } = fakeLibc({ reads: [-EAGAIN, new Uint8Array([1, 2, 3]), -EAGAIN, -EAGAIN, 0] });
    const transport = (await connectLibcTcp(libc, "127.0.0.1", 1))!;
    const buffer = new Uint8Array(8);
    expect(await transport.read(buffer, 1000)).toBe(3);
    expect([...buffer.subarray(0, 3)]).toEqual([1, 2, 3]);
    expect(await transport.read(buffer, 0)).toBe(0); // nothing within the timeout
    await expect(transport.read(buffer, 1000)).rejects.toMatchObject({ kind: "disconnected" });
  });

  it("names a reset that arrives between a read and its poll by its reason, not as a bare hangup", async () => {
    // read(2) finds nothing, then the peer's RST lands before poll(2) looks: POLLERR | POLLHUP.
    const { libc } = fakeLibc({ reads: [-EAGAIN, -ECONNRESET], pollRead: [POLLERR | POLLHUP] });
    const transport = (await connectLibcTcp(libc, "127.0.0.1", 1))!;
    await expect(transport.read(new Uint8Array(8), 1000)).rejects.toThrow(
      "Cannot read from tcp://127.0.0.1:1: Connection reset by peer",
    );
  });

  it("hands out the bytes that arrived together with the peer's hangup", async () => {
    const { libc } = fakeLibc({
      reads: [-EAGAIN, new Uint8Array([9]), -EAGAIN],
      pollRead: [POLLHUP, POLLHUP],
    });
    const transport = (await connectLibcTcp(libc, "127.0.0.1", 1))!;
    const buffer = new Uint8Array(8);
    expect(await transport.read(buffer, 1000)).toBe(1);
    expect(buffer[0]).toBe(9);
    await expect(transport.read(buffer, 1000)).rejects.toThrow(
      "Cannot read from tcp://127.0.0.1:1: the other side hung up",
    );
  });

  it("uses node:net where no C library loads", async () => {
    const server = createServer((socket) => socket.end(Buffer.from([0x11])));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const transport = await connectTcpPreferLibc(
        "127.0.0.1",
        port,
        () => Promise.reject(new Error("no FFI")),
      );
      const buffer = new Uint8Array(4);
      expect(await transport.read(buffer, 1000)).toBe(1);
      expect(buffer[0]).toBe(0x11);
      await transport.close();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
