/**
 * Over UDP and TCP+UDP only bytes that answer the current request reach `qrng read`'s output:
 * the real CLI reads from a peer that duplicates, injects and floods datagrams on purpose
 * (tests/_support/datagram_peer.ts), and its output must be one contiguous run of what the peer
 * sent as answers (the health gate keeps the first samples for its startup test). The host's
 * receive queue stays bounded under a flood, and the TCP+UDP emulator leaves port 54936 to hosts.
 */
import { randomBytes } from "node:crypto";
import * as dgram from "node:dgram";
import * as net from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { connectUdp, UDP_QUEUE_MAX_BYTES } from "../cli/transports/udp.ts";
import { binaryBuilt, runCli, type Runner, RUNNERS } from "./_support/cli.ts";
import { type DatagramFault, type DatagramPeer, startDatagramPeer } from "./_support/datagram_peer.ts";
import { startEmulator } from "./_support/qcicada_emulator.ts";

const dir = mkdtempSync(join(tmpdir(), "qrng-udp-faults-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bun = RUNNERS.find((r) => r.name === "bun")!;
let peer: DatagramPeer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

/** Runs `qrng read 4K` against a peer with `fault`; checks the output is one run of its answers. */
async function readFrom(
  mode: "udp" | "tcpudp",
  fault: DatagramFault,
  options: { runner?: Runner; file?: string; signed?: boolean } = {},
) {
  peer = await startDatagramPeer(mode, fault);
  const extra = [...(options.file ? ["-o", options.file] : []), ...(options.signed ? ["--signed"] : [])];
  const r = await runCli(options.runner ?? bun, ["read", "4K", "--device", peer.uri, ...extra]);
  const out = options.file
    ? (existsSync(options.file) ? readFileSync(options.file) : Buffer.alloc(0))
    : r.stdout;
  const answered = peer.answered();
  // Nothing twice, nothing foreign: one contiguous run of the bytes the device sent as answers.
  if (out.length > 0) expect(Buffer.from(answered).indexOf(out), r.stderr).toBeGreaterThanOrEqual(0);
  for (const stray of peer.strays.slice(0, 50)) {
    expect(out.includes(Buffer.from(stray.subarray(0, 16)))).toBe(false);
  }
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return { ...r, out };
}

describe.each(["udp", "tcpudp"] as const)("qrng read over %s from a misbehaving peer", (mode) => {
  it("drops a duplicated datagram and writes every byte once", async () => {
    const r = await readFrom(mode, "duplicate");
    expect(r.status, r.stderr).toBe(0);
    expect(r.out.length).toBe(4096);
    expect(r.stderr).toMatch(/dropped 1 datagram that repeats a recent one/);
  });

  it("drops a duplicated datagram from a committed -o file too", async () => {
    const file = join(dir, `dup-${mode}.bin`);
    const r = await readFrom(mode, "duplicate", { file });
    expect(r.status, r.stderr).toBe(0);
    expect(r.out.length).toBe(4096);
  });

  it("drops a duplicated datagram of a signed read", async () => {
    const r = await readFrom(mode, "duplicate", { signed: true });
    expect(r.status, r.stderr).toBe(0);
    expect(r.out.length).toBe(4096);
  });

  it("fails closed when a foreign datagram arrives within a read, writing none of it", async () => {
    const file = join(dir, `stray-${mode}.bin`);
    const r = await readFrom(mode, "stray-within", { file });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^qrng: Cannot read \d+ bytes: .* more bytes than asked for/m);
    expect(existsSync(file)).toBe(false);
  });

  it("fails closed when more bytes follow a read's data than were asked for", async () => {
    const r = await readFrom(mode, "surplus");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/more bytes than asked for/);
  });
});

describe("qrng read over tcpudp from a peer sending unrequested datagrams", () => {
  it("discards datagrams that arrived before the read asked for data, with a note", async () => {
    const r = await readFrom("tcpudp", "stray-before");
    expect(r.status, r.stderr).toBe(0);
    expect(r.out.length).toBe(4096);
    expect(r.stderr).toMatch(/discarded 4200 bytes nobody asked for/);
  });

  it("survives a flood with a bounded queue and uses none of it", async () => {
    const r = await readFrom("tcpudp", "flood");
    expect(r.status, r.stderr).toBe(0);
    expect(r.out.length).toBe(4096);
    expect(r.stderr).toMatch(
      /dropped \d+ datagrams \(\d+ bytes\) that arrived while the receive queue was full/,
    );
  });

  for (const runner of RUNNERS.filter((r) => r.name !== "bun" && (r.name !== "binary" || binaryBuilt))) {
    it(`writes every byte once under ${runner.name} too`, async () => {
      const r = await readFrom("tcpudp", "duplicate", { runner });
      expect(r.status, r.stderr).toBe(0);
      expect(r.out.length).toBe(4096);
    });
  }
});

describe("the UDP transport under a flood", () => {
  it("queues at most UDP_QUEUE_MAX_BYTES of datagrams nobody reads", async () => {
    const flooder = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => flooder.bind(0, "127.0.0.1", resolve));
    const host = await connectUdp("127.0.0.1", flooder.address().port);
    try {
      const send = (bytes: Uint8Array) =>
        new Promise<void>((resolve, reject) =>
          flooder.send(bytes, host.port, "127.0.0.1", (e) => (e ? reject(e) : resolve()))
        );
      // Until the queue overflows, then 1,000 more. Every few datagrams the event loop polls, so
      // the host takes them off its socket (a send may complete without a turn of the loop).
      const flood = async (count: number) => {
        await send(randomBytes(1400));
        if (count % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      };
      for (let i = 0; i < 100_000 && host.dropped().overflowDatagrams === 0; i++) await flood(i);
      for (let i = 0; i < 1000; i++) await flood(i);
      await new Promise((resolve) => setTimeout(resolve, 200));
      let queued = 0;
      const buffer = new Uint8Array(65536);
      for (let n; (n = await host.read(buffer, 0)) > 0;) queued += n;
      expect(queued).toBeGreaterThan(0);
      expect(queued).toBeLessThanOrEqual(UDP_QUEUE_MAX_BYTES);
      expect(host.dropped().overflowDatagrams).toBeGreaterThan(0);
    } finally {
      await host.close();
      flooder.close();
    }
  });
});

/** Whether 127.0.0.1:`port` is free for TCP and UDP (another test or program may hold it). */
async function portFree(port: number): Promise<boolean> {
  const tcp = net.createServer();
  const udp = dgram.createSocket("udp4");
  const bound = (start: (done: () => void) => void, target: { once(e: "error", f: () => void): unknown }) =>
    new Promise<boolean>((resolve) => {
      target.once("error", () => resolve(false));
      start(() => resolve(true));
    });
  const free = await bound((done) => tcp.listen(port, "127.0.0.1", done), tcp) &&
    await bound((done) => udp.bind(port, done), udp);
  await new Promise<void>((resolve) => (tcp.listening ? tcp.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => udp.close(() => resolve())).catch(() => {});
  return free;
}

describe("the TCP+UDP emulator", () => {
  it("sends data from a port of its own to the host's --data-port", async () => {
    const host = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => host.bind(0, "127.0.0.1", resolve));
    const emulator = await startEmulator(
      [
        "--tcpudp",
        "127.0.0.1:0",
        "--data-port",
        String(host.address().port),
        "--startup-ms",
        "0",
        "--rate",
        "max",
      ],
    );
    const commands = net.connect(Number(new URL(emulator.uri).port), "127.0.0.1");
    try {
      const received: Array<{ bytes: number; from: number }> = [];
      const done = new Promise<void>((resolve) =>
        host.on("message", (message, remote) => {
          received.push({ bytes: message.length, from: remote.port });
          if (received.reduce((sum, r) => sum + r.bytes, 0) >= 3000) resolve();
        })
      );
      commands.write(new Uint8Array([0x04, 0x01, 0xb8, 0x0b])); // one-shot of 3000 bytes
      await done;
      expect(received.reduce((sum, r) => sum + r.bytes, 0)).toBe(3000);
      const from = new Set(received.map((r) => r.from));
      expect(from.size).toBe(1);
      expect(from.has(Number(new URL(emulator.uri).port))).toBe(false);
    } finally {
      commands.destroy();
      host.close();
      await emulator.stop();
    }
  });

  // The one test on the protocol's real port 54936: a host binds it as the protocol says.
  it("serves a host on the same machine that binds UDP port 54936 itself", async (ctx) => {
    const taken = "port 54936 is taken on this machine (another emulator or test?)";
    if (!(await portFree(54936))) ctx.skip(taken);
    const emulator = await startEmulator(["--tcpudp", "--seed", "4", "--rate", "max"]).catch(() =>
      ctx.skip(taken)
    );
    try {
      expect(emulator.uri).toBe("tcpudp://127.0.0.1:54936");
      const r = await runCli(bun, ["read", "4K", "--device", "tcpudp://127.0.0.1"]);
      expect(r.stderr).not.toMatch(/Cannot bind/);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.length).toBe(4096);
    } finally {
      await emulator.stop();
    }
  });
});
