/**
 * The fault matrix's own tools, checked before they are trusted: the adversarial device does
 * what its script says (seen by raw sockets and a raw-mode tty, not by qrng's driver), records
 * what it sent, runs as a Bun process on a pty, and the output check catches every way of
 * breaking the promise.
 */
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { constants, openSync, writeSync } from "node:fs";
import { ReadStream } from "node:tty";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SeededBytes } from "../cli/emulators/seeded_bytes.ts";
import { ROOT } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";
import { startAdversary } from "./_support/adversary/device.ts";
import { DATA_DATAGRAM_BYTES } from "./_support/adversary/faulty_link.ts";
import { CHECK_CHUNK_BYTES, outputViolations } from "./_support/adversary/invariant.ts";
import { launchAdversary } from "./_support/adversary/launch.ts";
import type { DeviceRecord } from "./_support/adversary/record.ts";
import { type FaultScript, parseFaultScript } from "./_support/adversary/script.ts";

const dir = testTempDir("qrng-adversary");

const STATUS = [0x01];
const STOP = [0x05];
const oneShot = (length: number) => [0x04, 1, length & 0xff, length >> 8];
const CONTINUOUS = [0x04, 0, 0, 0];
/** Generous: only a missing answer waits this long. */
const ANSWER_WAIT_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw TCP client: whatever the device sends, collected. */
async function tcpClient(uri: string) {
  const port = Number(uri.split(":").at(-1));
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
  let received = Buffer.alloc(0);
  socket.on("data", (d: Buffer) => (received = Buffer.concat([received, d])));
  return {
    send: (bytes: number[]) => socket.write(Buffer.from(bytes)),
    /** Resolves the first `length` bytes not yet taken, waiting for them. */
    async take(length: number): Promise<Buffer> {
      const until = performance.now() + ANSWER_WAIT_MS;
      while (received.length < length && performance.now() < until) await sleep(5);
      const out = received.subarray(0, length);
      received = received.subarray(out.length);
      return out;
    },
    pending: () => received.length,
    close: () => socket.destroy(),
  };
}

type TcpClient = Awaited<ReturnType<typeof tcpClient>>;

/** Runs `talk` against a TCP device with `script` through a raw client; always stops the device. */
async function talkTo<T>(script: FaultScript, talk: (client: TcpClient) => Promise<T>) {
  const device = await startAdversary("tcp", script);
  let client: TcpClient | undefined;
  let result: T;
  let record: DeviceRecord;
  try {
    client = await tcpClient(device.uri);
    result = await talk(client);
  } finally {
    client?.close();
    record = await device.stop();
  }
  return { result, record };
}

/** Starts a stream, takes 2000 data bytes and sends STOP. */
async function streamThenStop(client: TcpClient): Promise<void> {
  client.send(CONTINUOUS);
  await client.take(6 + 2000);
  client.send(STOP);
}

describe("the adversarial device", () => {
  it("answers like the emulator when no fault is scripted, and records the data it sent", async () => {
    const { result: answer, record } = await talkTo({ seed: 4 }, (client) => {
      client.send(oneShot(1000));
      return client.take(6 + 1000);
    });
    expect(answer[0]).toBe(0x11);
    expect(Buffer.from(record.data)).toEqual(answer.subarray(6));
    expect(Buffer.from(record.data)).toEqual(Buffer.from(new SeededBytes(4).take(1000)));
    expect(record.faultAtByte).toBeUndefined();
  });

  it("raises a flag only in the replies its rule names, and marks the fault after the data before it", async () => {
    const script: FaultScript = { flags: [{ in: "one-shot", raise: ["voltageLow"], from: 2, count: 1 }] };
    const { result: flags, record } = await talkTo(script, async (client) => {
      const flags: number[] = [];
      for (let i = 0; i < 3; i++) {
        client.send(oneShot(100));
        flags.push((await client.take(106))[1]);
      }
      client.send(STATUS);
      return [...flags, (await client.take(6))[1]];
    });
    expect(flags).toEqual([0x01, 0x05, 0x01, 0x01]); // started; started + voltage_low (bit 2)
    expect(record.faultAtByte).toBe(100);
  });

  it("reports the scripted ready_bytes and clears started", async () => {
    const { result } = await talkTo(
      { readyBytes: 0, flags: [{ in: "status", clear: ["started"] }] },
      (client) => {
        client.send(STATUS);
        return client.take(6);
      },
    );
    expect([...result]).toEqual([0x11, 0, 0, 0, 0, 0]);
  });

  it("delays every reply by the scripted latency, and streams exactly the data it records", async () => {
    const { result, record } = await talkTo(
      { rate: 1 << 20, latencyMs: 200, jitterMs: 50 },
      async (client) => {
        const sent = performance.now();
        client.send([...STATUS, ...STATUS]);
        const answers = await client.take(12);
        const elapsedMs = performance.now() - sent;
        // The session reuses its stream buffer once a write resolves, before the delayed delivery.
        client.send(CONTINUOUS);
        return { answers, elapsedMs, streamed: (await client.take(6 + 100_000)).subarray(6) };
      },
    );
    expect(result.answers.length).toBe(12);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(195);
    expect(result.streamed.length).toBe(100_000);
    // (a diff of 100 kB is no help)
    expect(result.streamed.equals(record.data.subarray(0, result.streamed.length))).toBe(true);
  });

  it("ignores a STOP that should end the stream", async () => {
    const { result: after, record } = await talkTo({ rate: 200_000, stop: "ignore" }, async (client) => {
      await streamThenStop(client);
      await sleep(500);
      await client.take(client.pending());
      await sleep(300);
      return client.pending();
    });
    expect(after).toBeGreaterThan(0); // still streaming
    expect(record.faultAtByte).toBeGreaterThan(0);
  });

  it("obeys a STOP that should end the stream without answering it", async () => {
    const { result: received, record } = await talkTo({ rate: 200_000, stop: "no-ack" }, async (client) => {
      await streamThenStop(client);
      let received = 2000;
      const until = performance.now() + ANSWER_WAIT_MS;
      do {
        await sleep(300);
        const more = (await client.take(client.pending())).length;
        received += more;
        if (more === 0) break;
      } while (performance.now() < until);
      return received;
    });
    expect(received).toBe(record.data.length); // data only: no ACK and status after it
    expect(record.faultAtByte).toBe(record.data.length);
  });

  it("replays the first one-shot and repeats a period", async () => {
    const { result: both } = await talkTo({ replay: "one-shot" }, (client) => {
      client.send([...oneShot(300), ...oneShot(300)]);
      return client.take(2 * 306);
    });
    expect(both.subarray(6, 306)).toEqual(both.subarray(312));
    const { result: periodic } = await talkTo({ pattern: { periodBytes: 29 } }, (client) => {
      client.send(oneShot(100));
      return client.take(106);
    });
    expect(periodic.subarray(6 + 29, 6 + 58)).toEqual(periodic.subarray(6, 6 + 29));
  });

  it("sends datagrams twice, loses and swaps them, and injects foreign ones from another port", async () => {
    const device = await startAdversary("udp", {
      datagrams: { duplicateEvery: 2, injectEvery: 3, reorderEvery: 5, dropEvery: 7 },
    });
    const port = Number(device.uri.split(":").at(-1));
    const socket = createSocket("udp4");
    const datagrams: Array<{ bytes: Buffer; port: number }> = [];
    socket.on("message", (bytes, from) => datagrams.push({ bytes, port: from.port }));
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const length = 9 * DATA_DATAGRAM_BYTES;
    socket.send(Buffer.from(oneShot(length)), port, "127.0.0.1");
    await sleep(500);
    socket.close();
    const record = await device.stop();
    const sent = Buffer.from(record.data);
    const pieces = Array.from(
      { length: 9 },
      (_, i) => sent.subarray(i * DATA_DATAGRAM_BYTES, (i + 1) * DATA_DATAGRAM_BYTES),
    );
    const own = datagrams.slice(1).filter((d) => d.port === port);
    // 2, 4 and 8 twice; 6 before 5 (5 swapped); 7 dropped; a foreign datagram after 3 and 9.
    expect(own.map((d) => pieces.findIndex((p) => p.equals(d.bytes)) + 1)).toEqual([
      1,
      2,
      2,
      3,
      4,
      4,
      6,
      5,
      8,
      8,
      9,
    ]);
    expect(datagrams.filter((d) => d.port !== port).length).toBe(2);
    expect(record.foreignBytes).toBe(2 * DATA_DATAGRAM_BYTES);
  });

  it("runs as a Bun process on a pty, answers a raw-mode host and writes its record on SIGINT", async () => {
    const device = await launchAdversary("serial", { seed: 9 }, join(dir, "serial"));
    let received = Buffer.alloc(0);
    let record: DeviceRecord;
    try {
      const fd = openSync(device.uri.replace(/^serial:/, ""), constants.O_RDWR | constants.O_NOCTTY);
      const input = new ReadStream(fd);
      input.setRawMode(true);
      input.on("data", (d: Buffer) => (received = Buffer.concat([received, d])));
      writeSync(fd, Buffer.from(oneShot(1024)));
      const until = performance.now() + ANSWER_WAIT_MS;
      while (received.length < 6 + 1024 && performance.now() < until) await sleep(5);
      input.destroy();
    } finally {
      record = await device.stop();
    }
    expect(received[0]).toBe(0x11);
    expect(received.subarray(6)).toEqual(Buffer.from(new SeededBytes(9).take(1024)));
    expect(Buffer.from(record.data)).toEqual(received.subarray(6));
  });

  it("refuses a script with an unknown key or flag, as a process with status 2", () => {
    expect(() => parseFaultScript('{"latency": 5}')).toThrow(/unknown key 'latency'/);
    expect(() => parseFaultScript('{"flags": [{"in": "status", "raise": ["rct"]}]}')).toThrow(
      /unknown status flag 'rct'/,
    );
    const bun = join(ROOT, "node_modules", ".bin", "bun");
    const r = spawnSync(bun, [join(ROOT, "tests/_support/adversary/main.ts"), "--tcp", "--faults", "[]"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("adversary: fault script must be an object\n");
  });
});

describe("the output check", () => {
  const sent = new SeededBytes(3).take(8192);
  const record = { data: sent, foreignBytes: 0 };
  const windows = sent.slice(1024, 1024 + 3 * 512);

  it("passes whole windows of the data, also with a window dropped and a short tail", () => {
    expect(outputViolations(windows, record)).toEqual([]);
    const dropped = Buffer.concat([sent.subarray(1024, 1536), sent.subarray(2048, 2048 + 512 + 10)]);
    expect(outputViolations(dropped, record)).toEqual([]);
  });

  it("finds invented bytes: a foreign chunk, and the seam of a datagram sent twice", () => {
    const foreign = windows.slice();
    foreign.set(new SeededBytes(99).take(CHECK_CHUNK_BYTES), 64);
    expect(outputViolations(foreign, record)).toEqual([
      "output bytes 64..96 were never sent by the device as data (invented)",
    ]);
    const seam = Buffer.concat([sent.subarray(1024, 1040), sent.subarray(1024, 1536)]);
    expect(outputViolations(seam, record)[0]).toMatch(/^output bytes 0\.\.32 were never sent/);
  });

  it("finds bytes output twice and bytes sent after the device's fault", () => {
    const twice = Buffer.concat([windows, sent.subarray(1024 + 512, 1024 + 512 + 64)]);
    expect(outputViolations(twice, record)).toEqual([
      "output bytes 1536..1568 repeat output bytes 512.. (output twice)",
      "output bytes 1568..1600 repeat output bytes 544.. (output twice)",
    ]);
    expect(outputViolations(windows, { ...record, faultAtByte: 2048 })[0]).toBe(
      "output bytes 1024..1056 were sent at device byte 2048, after its fault at byte 2048",
    );
  });
});
