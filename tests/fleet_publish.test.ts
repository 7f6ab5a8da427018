/**
 * `qrng publish` and the `nats://` source against a real nats-server (Debian's 2.9): blocks go
 * in with their headers, come out at most once (a block a dead taker claimed never reaches
 * another output, one it only received does), a full stream pauses the publisher without
 * losing anything, credentials come from the environment or files, bad input is one line.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AckPolicy,
  type Consumer,
  jetstream,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
} from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { createUser } from "@nats-io/nkeys";
import { SeededBytes } from "../cli/emulators/seeded_bytes.ts";
import { STALL_REJOIN_MS } from "../cli/fleet/taker.ts";
import { askWhileSilent, ensureStream, streamState } from "../cli/fleet/stream.ts";
import { open } from "../cli/mod.ts";
import { binaryBuilt, runCli, RUNNERS, spawnCli } from "./_support/cli.ts";
import {
  natsClient,
  type NatsNode,
  natsServerInstalled,
  readStream,
  startNatsServer,
  stopAll,
  waitForJetStream,
  waitForStream,
} from "./_support/nats_server.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const dir = testTempDir("qrng-fleet");
const bun = RUNNERS.find((r) => r.name === "bun")!;
/** The gate never releases its first two 512-byte windows. */
const STARTUP_BYTES = 1024;
const CHUNK_BYTES = 32;

/** Every 32-byte chunk of seeded stream `seed` from the gate's start, up to `bytes`, as hex. */
function seededChunks(seed: number, bytes: number): Set<string> {
  const stream = Buffer.from(new SeededBytes(seed).take(STARTUP_BYTES + bytes)).subarray(STARTUP_BYTES);
  const chunks = new Set<string>();
  for (let at = 0; at + CHUNK_BYTES <= stream.length; at += CHUNK_BYTES) {
    chunks.add(stream.subarray(at, at + CHUNK_BYTES).toString("hex"));
  }
  return chunks;
}

/** The whole 32-byte chunks of `output`, as hex. */
function chunksOf(output: Buffer): string[] {
  const chunks: string[] = [];
  for (let at = 0; at + CHUNK_BYTES <= output.length; at += CHUNK_BYTES) {
    chunks.push(output.subarray(at, at + CHUNK_BYTES).toString("hex"));
  }
  return chunks;
}

/** Makes the stream's shared consumer anew with a 1 s ack wait: unacknowledged deliveries come back soon. */
async function withShortAckWait(
  nc: NatsConnection,
  stream: string,
): Promise<{ jsm: JetStreamManager; consumer: Consumer }> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.delete(stream, "qrng");
  await jsm.consumers.add(stream, {
    durable_name: "qrng",
    ack_policy: AckPolicy.Explicit,
    ack_wait: 1_000_000_000,
  });
  return { jsm, consumer: await jetstream(nc).consumers.get(stream, "qrng") };
}

describe.skipIf(!natsServerInstalled)("qrng publish into NATS JetStream", () => {
  let server: NatsNode;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(stopAll);

  it("reads the stream's state for its summary also after the server went silent for longer than a request may take", async () => {
    const nc = await natsClient(server.url);
    try {
      const jsm = await jetstreamManager(nc, { timeout: 1000 });
      await jsm.streams.add({ name: "SILENT", subjects: ["silent.>"] });
      const frozen = server.freeze(2500); // as a cluster electing a leader: requests time out
      const state = await streamState(jsm, "SILENT");
      await frozen;
      expect(state).toMatchObject({ stream: "SILENT", messages: 0, stored: 0 });
    } finally {
      await nc.close();
    }
  });

  it("creates a stream and its consumer also while the server is silent for longer than a request may take", async () => {
    const nc = await natsClient(server.url);
    try {
      const jsm = await jetstreamManager(nc, { timeout: 1000 });
      const frozen = server.freeze(2500); // as a cluster electing leaders at a publisher's start
      const spec = { name: "SILENT_START", subjectPrefix: "silent-start", maxBytes: 1 << 20, replicas: 1 };
      const info = await askWhileSilent(() => ensureStream(jsm, spec));
      await frozen;
      expect(info.config.name).toBe("SILENT_START");
      expect((await jsm.consumers.info("SILENT_START", "qrng")).config.durable_name).toBe("qrng");
    } finally {
      await nc.close();
    }
  });

  it("stores judged blocks once each, with publisher, sequence, source and the gate's verdict in headers", async () => {
    const r = await runCli(bun, [
      "publish",
      "--device",
      "sim:qcicada?seed=3",
      "--to",
      server.url,
      "--stream",
      "HEADERS",
      "--bytes",
      "64K",
      "--json",
    ]);
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout.toString());
    expect(summary).toMatchObject({
      stream: "HEADERS",
      blocks: 16,
      bytes: 65536,
      emulated: true,
      state: { messages: 16, stored: 16 },
    });
    expect(r.stderr).toMatch(/publisher \S+: 16 blocks \(64\.0 KiB\)/);
    const nc = await natsClient(server.url);
    try {
      const jsm = await jetstreamManager(nc);
      const blocks: Buffer[] = [];
      for (let seq = 1; seq <= 16; seq++) {
        const message = await jsm.streams.getMessage("HEADERS", { seq });
        expect(message!.subject).toBe(`qrng.HEADERS.${summary.publisher}`);
        const h = message!.header;
        expect(h.get("Qrng-Publisher")).toBe(summary.publisher);
        expect(h.get("Qrng-Source")).toMatch(/emulated QCicada.*sim:qcicada/);
        expect(JSON.parse(h.get("Qrng-Health"))).toMatchObject({ h: 8, alphaLog2: -40, windowsFailed: 0 });
        blocks[Number(h.get("Qrng-Seq")) - 1] = Buffer.from(message!.data);
      }
      // In sequence order the blocks are the seeded stream after the gate's start-up windows.
      const expected = Buffer.from(new SeededBytes(3).take(STARTUP_BYTES + 65536)).subarray(STARTUP_BYTES);
      expect(Buffer.concat(blocks).equals(expected)).toBe(true);
    } finally {
      await nc.close();
    }
  });

  it.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
    "publishes and reads back through the stream under $name",
    async (runner) => {
      const stream = `RUN_${runner.name}`;
      const published = await runCli(runner, [
        "publish",
        "--device",
        "sim:qcicada?seed=4",
        "--to",
        server.url,
        "--stream",
        stream,
        "--bytes",
        "128K",
      ]);
      expect(published.status).toBe(0);
      const read = await runCli(runner, ["read", "64K", "--device", `${server.url}/${stream}`]);
      expect(read.status).toBe(0);
      expect(read.stdout.length).toBe(65536);
      const valid = seededChunks(4, 128 * 1024);
      const chunks = chunksOf(read.stdout);
      expect(chunks.every((c) => valid.has(c))).toBe(true);
      expect(new Set(chunks).size).toBe(chunks.length);
      expect(read.stderr).toMatch(new RegExp(`stream ${stream} at ${server.url}: took \\d+ blocks`));
    },
  );

  it("gives the library's open() the same stream: validated bytes taken at most once", async () => {
    const stream = "LIBRARY";
    const published = await runCli(bun, [
      "publish",
      "--device",
      "sim:qcicada?seed=9",
      "--to",
      server.url,
      "--stream",
      stream,
      "--bytes",
      "64K",
    ]);
    expect(published.status).toBe(0);
    const lines: string[] = [];
    const qrng = await open(`${server.url}/${stream}`, { log: (line) => lines.push(line) });
    let bytes: Uint8Array;
    try {
      bytes = await qrng.read(16384);
    } finally {
      await qrng.close();
    }
    const valid = seededChunks(9, 64 * 1024);
    expect(chunksOf(Buffer.from(bytes)).every((c) => valid.has(c))).toBe(true);
    expect(lines.join("\n")).toMatch(new RegExp(`stream ${stream} at ${server.url}: took \\d+ blocks`));
  });

  it("lets a taker start before the stream exists: it waits for the first publisher", async () => {
    const stream = "LATE";
    const taker = spawnCli(bun, ["read", "16K", "--device", `${server.url}/${stream}`]);
    const output: Buffer[] = [];
    taker.child.stdout!.on("data", (chunk: Buffer) => output.push(chunk));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const published = await runCli(bun, [
      "publish",
      "--device",
      "sim:qcicada?seed=10",
      "--to",
      server.url,
      "--stream",
      stream,
      "--bytes",
      "64K",
    ]);
    expect(published.status).toBe(0);
    expect(await taker.exited).toBe(0);
    const valid = seededChunks(10, 64 * 1024);
    const chunks = chunksOf(Buffer.concat(output));
    expect(chunks.length).toBe(512);
    expect(chunks.every((c) => valid.has(c))).toBe(true);
  });

  it("lets a waiting taker ride out a server that answers nothing for longer than a request may take", async () => {
    const stream = "SILENT_JOIN";
    const taker = spawnCli(bun, ["read", "16K", "--device", `${server.url}/${stream}?wait=60000`]);
    const output: Buffer[] = [];
    taker.child.stdout!.on("data", (chunk: Buffer) => output.push(chunk));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // As a cluster electing a leader: the taker's next look for the stream times out (5 s).
    await server.freeze(6500);
    const published = await runCli(bun, [
      ...["publish", "--device", "sim:qcicada?seed=11", "--to", server.url, "--stream", stream],
      ...["--bytes", "64K"],
    ]);
    expect(published.status).toBe(0);
    expect(await taker.exited, taker.stderr()).toBe(0);
    const valid = seededChunks(11, 64 * 1024);
    const chunks = chunksOf(Buffer.concat(output));
    expect(chunks.length).toBe(512);
    expect(chunks.every((c) => valid.has(c))).toBe(true);
  });

  it(
    "keeps a taker that waited longer than STALL_REJOIN_MS on an empty stream taking: its fresh pull subscription delivers",
    async () => {
      const stream = "IDLE";
      const created = await runCli(bun, [
        ...["publish", "--device", "sim:qcicada?seed=12", "--to", server.url, "--stream", stream],
        ...["--bytes", "8K"],
      ]);
      expect(created.status).toBe(0);
      const qrng = await open(`${server.url}/${stream}?wait=60000`);
      try {
        await qrng.read(4096); // both blocks (the gate keeps its first 1 KiB): the stream is empty
        const reading = qrng.read(16384);
        await new Promise((resolve) => setTimeout(resolve, STALL_REJOIN_MS + 2000));
        const published = await runCli(bun, [
          ...["publish", "--device", "sim:qcicada?seed=13", "--to", server.url, "--stream", stream],
          ...["--bytes", "64K"],
        ]);
        expect(published.status).toBe(0);
        // The rest of the first stream's second block, then the second stream's blocks.
        const valid = new Set([...seededChunks(12, 8 * 1024), ...seededChunks(13, 64 * 1024)]);
        expect(chunksOf(Buffer.from(await reading)).every((c) => valid.has(c))).toBe(true);
      } finally {
        await qrng.close();
      }
    },
    60_000,
  );

  it("never hands a block a dead taker claimed to another, and hands on the ones it only received", async () => {
    const stream = "DEAD_TAKER";
    const published = await runCli(bun, [
      "publish",
      "--device",
      "sim:qcicada?seed=5",
      "--to",
      server.url,
      "--stream",
      stream,
      "--bytes",
      "32K",
    ]);
    expect(published.status).toBe(0);
    const nc = await natsClient(server.url);
    // Received-but-unclaimed blocks come back soon.
    const { jsm, consumer } = await withShortAckWait(nc, stream);
    const received: Buffer[] = [];
    for await (const m of await consumer.fetch({ max_messages: 4, expires: 2000 })) {
      received.push(Buffer.from(m.data));
      // A taker's claim of the first two, then it dies without acknowledging anything.
      if (received.length <= 2) {
        expect(await jsm.streams.deleteMessage(stream, m.info.streamSequence, true)).toBe(true);
      }
    }
    await nc.close();
    expect(received.length).toBe(4);
    // 6 blocks remain (2 received-only among them, offered again after the ack wait); the
    // reader needs all 6 (its gate keeps 1024 bytes at the start and 2077 at the end).
    const read = await runCli(bun, ["read", "20K", "--device", `${server.url}/${stream}`]);
    expect(read.status).toBe(0);
    expect(read.stderr).toMatch(/took 6 blocks/);
    const output = new Set(chunksOf(read.stdout));
    for (const block of received.slice(0, 2)) expect(chunksOf(block).some((c) => output.has(c))).toBe(false);
    for (const block of received.slice(2)) expect(chunksOf(block).some((c) => output.has(c))).toBe(true);
  });

  it("removes taken blocks that turn up in the stream again, and hands them to no one", async () => {
    const stream = "TAKEN_BACK";
    const published = await runCli(bun, [
      ...["publish", "--device", "sim:qcicada?seed=6", "--to", server.url, "--stream", stream],
      ...["--bytes", "32K", "--block", "4K"],
    ]);
    expect(published.status).toBe(0);
    // Two blocks as a node that lost their erases leaves them: acknowledged, still stored.
    const nc = await natsClient(server.url);
    const consumer = await jetstream(nc).consumers.get(stream, "qrng");
    const takenBack: Buffer[] = [];
    for await (const m of await consumer.fetch({ max_messages: 2, expires: 2000 })) {
      takenBack.push(Buffer.from(m.data));
      expect(await m.ackAck()).toBe(true);
    }
    await nc.close();
    expect(takenBack.length).toBe(2);
    expect((await readStream(server.url, stream)).length).toBe(8);
    // The reader needs the other 6 (its gate keeps 1024 bytes at the start and 2077 at the end).
    const read = await runCli(bun, ["read", "20K", "--device", `${server.url}/${stream}`]);
    expect(read.status).toBe(0);
    expect(read.stderr).toMatch(
      /took 6 blocks.*; removed 2 blocks found in the stream again after they were taken/,
    );
    const output = new Set(chunksOf(read.stdout));
    for (const block of takenBack) expect(chunksOf(block).some((c) => output.has(c))).toBe(false);
    expect(await readStream(server.url, stream)).toEqual([]);
  });

  it("refuses a block taken before that turns up in the stream again, by its claim record", async () => {
    const stream = "TAKEN_AGAIN";
    const published = await runCli(bun, [
      ...["publish", "--device", "sim:qcicada?seed=7", "--to", server.url, "--stream", stream],
      ...["--bytes", "16K", "--block", "4K"],
    ]);
    expect(published.status).toBe(0);
    const [first] = await readStream(server.url, stream);
    const taken = await runCli(bun, ["read", "10K", "--device", `${server.url}/${stream}`]);
    expect(taken.status).toBe(0);
    expect(taken.stderr).toMatch(/took 4 blocks/);
    // The first block back in the stream as a node that lost its erase holds it, here at a new
    // sequence number: the same publisher and sequence headers, the same bytes.
    const nc = await natsClient(server.url);
    const h = headers();
    h.set("Qrng-Publisher", first.block.split("#")[0]);
    h.set("Qrng-Seq", first.block.split("#")[1]);
    await jetstream(nc).publish(`qrng.${stream}.${first.block.split("#")[0]}`, first.data, { headers: h });
    await nc.close();
    const again = await runCli(bun, ["read", "1", "--device", `${server.url}/${stream}?wait=3000`]);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/took 0 blocks.*; refused 1 blocks taken before/);
    expect(again.stdout.length).toBe(0);
  });

  it(
    "reaches the blocks behind erased ones a server killed hard still counts as delivered and unacknowledged",
    async () => {
      const stream = "CLAIMED_UNACKED";
      const published = await runCli(bun, [
        ...["publish", "--device", "sim:qcicada?seed=14", "--to", server.url, "--stream", stream],
        ...["--bytes", "256K", "--block", "4K"],
      ]);
      expect(published.status).toBe(0);
      const nc = await natsClient(server.url);
      // The deliveries are due again by the time the reader comes.
      const { jsm, consumer } = await withShortAckWait(nc, stream);
      // The first block stays in the stream, acknowledged (as 2.9 restores one a claim erased when
      // a node is killed hard): the server cannot forget deliveries below the stream's first block.
      for await (const m of await consumer.fetch({ max_messages: 1, expires: 2000 })) {
        expect(await m.ackAck()).toBe(true);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the consumer's state is written
      const received: number[] = [];
      for await (const m of await consumer.fetch({ max_messages: 47, expires: 2000 })) {
        received.push(m.info.streamSequence);
      }
      expect(received.length).toBe(47);
      // All claimed at once, so the kill comes before the server's next write of the consumer's state.
      const claims = await Promise.all(received.map((seq) => jsm.streams.deleteMessage(stream, seq, true)));
      expect(claims.every(Boolean)).toBe(true);
      // Killed before the consumer's state records that the erases ended those deliveries: after
      // the restart, nats-server 2.9 holds pending deliveries of erased blocks, offers them
      // again before the rest, and fails on each ("deleted message") until something wakes it.
      await server.kill();
      await nc.close().catch(() => {});
      await server.start();
      await waitForJetStream(server.url);
      const restarted = await natsClient(server.url);
      const pending =
        (await (await jetstreamManager(restarted)).consumers.info(stream, "qrng")).num_ack_pending;
      await restarted.close();
      expect(pending, "deliveries of erased blocks held after the restart").toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const qrng = await open(`${server.url}/${stream}?wait=30000`);
      try {
        // 16 of the 17 blocks left, less the gate's hold-back at the start and the end.
        const bytes = await qrng.read(48 * 1024);
        const valid = seededChunks(14, 256 * 1024);
        expect(chunksOf(Buffer.from(bytes)).every((c) => valid.has(c))).toBe(true);
      } finally {
        await qrng.close();
      }
    },
    60_000,
  );

  it("keeps the blocks a taker used out of the stream when the server is killed and restarted at once", async () => {
    const stream = "HARD_KILL";
    const published = await runCli(bun, [
      ...["publish", "--device", "sim:qcicada?seed=6", "--to", server.url, "--stream", stream],
      ...["--bytes", "256K", "--block", "4K"],
    ]);
    expect(published.status).toBe(0);
    const read = await runCli(bun, ["read", "100K", "--device", `${server.url}/${stream}`]);
    expect(read.status).toBe(0);
    const took = Number(/took (\d+) blocks/.exec(read.stderr)![1]);
    // Killed before it writes its lazy index: a plain delete (not an erase) came back here.
    await server.kill();
    await server.start();
    await waitForJetStream(server.url);
    const held = await readStream(server.url, stream);
    expect(held.length).toBe(64 - took);
    const output = new Set(chunksOf(read.stdout));
    expect(held.filter((m) => chunksOf(Buffer.from(m.data)).some((c) => output.has(c))).map((m) => m.seq))
      .toEqual([]);
  });

  it("creates streams whose blocks only takers remove, uses an earlier version's work queue, and refuses interest retention", async () => {
    const publish = (stream: string) =>
      runCli(bun, [
        "publish",
        "--device",
        "sim:qcicada",
        "--to",
        server.url,
        "--stream",
        stream,
        "--bytes",
        "8K",
      ]);
    const nc = await natsClient(server.url);
    try {
      const jsm = await jetstreamManager(nc);
      expect((await publish("RETAINED")).status).toBe(0);
      expect((await jsm.streams.info("RETAINED")).config.retention).toBe(RetentionPolicy.Limits);
      const others: [string, RetentionPolicy][] = [
        ["OLD_QUEUE", RetentionPolicy.Workqueue],
        ["INTEREST", RetentionPolicy.Interest],
      ];
      for (const [name, retention] of others) {
        await jsm.streams.add({ name, subjects: [`qrng.${name}.>`], retention });
      }
      expect((await publish("OLD_QUEUE")).status).toBe(0);
      const refused = await publish("INTEREST");
      expect(refused.status).toBe(2);
      expect(refused.stderr.trim()).toMatch(
        /^qrng: Stream INTEREST exists with interest retention: qrng needs limits or workqueue/,
      );
    } finally {
      await nc.close();
    }
  });

  it("publishes nothing of the round a device fault ends, and exits 1 naming it", async () => {
    const stream = "STUCK";
    // The emulated noise source sticks (zeros and the RCT flag) after 1.5 MB.
    const r = await runCli(bun, [
      "publish",
      "--device",
      "sim:qcicada?seed=7&stuck=1500000",
      "--to",
      server.url,
      "--stream",
      stream,
      "--bytes",
      "4M",
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^qrng: .*(RCT|[Rr]epetition|[Hh]ealth)/m);
    const published = Number(/publisher \S+: (\d+) blocks/.exec(r.stderr)![1]);
    const nc = await natsClient(server.url);
    try {
      const jsm = await jetstreamManager(nc);
      const { state } = await jsm.streams.info(stream);
      // Judged rounds only: nothing of the round the fault ended went out.
      expect(state.messages).toBe(published);
      expect(state.messages * 4096).toBeLessThan(1_500_000);
      const valid = seededChunks(7, 1_500_000);
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
        const message = await jsm.streams.getMessage(stream, { seq });
        expect(chunksOf(Buffer.from(message!.data)).every((c) => valid.has(c))).toBe(true);
      }
    } finally {
      await nc.close();
    }
  });

  it("stops a publisher waiting on a full stream at SIGTERM, with its summary", async () => {
    const stream = "TERM";
    const publisher = spawnCli(bun, [
      ...["publish", "--device", "sim:qcicada?seed=8", "--to", server.url, "--stream", stream],
      ...["--stream-bytes", "64K", "--bytes", "1M", "--json"],
    ]);
    let stdout = "";
    publisher.child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk));
    // Its summary comes when it stops: watch the stream fill up meanwhile.
    while (publisher.child.exitCode === null) {
      const nc = await natsClient(server.url);
      const info = await (await jetstreamManager(nc)).streams.info(stream).catch(() => undefined);
      await nc.close();
      if (info && info.state.bytes > 56 * 1024) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    publisher.child.kill("SIGTERM");
    expect(await publisher.exited).toBe(143);
    expect(publisher.stderr()).toMatch(/interrupted by SIGTERM/);
    const summary = JSON.parse(stdout);
    expect(summary.fullWaits).toBeGreaterThan(0);
    expect(summary.state.messages).toBe(summary.blocks);
  });

  it("pauses the publisher while the stream is full and loses no block: published = taken + still in the stream", async () => {
    const stream = "FULL";
    const publisher = spawnCli(bun, [
      ...["publish", "--device", "sim:qcicada?seed=6", "--to", server.url, "--stream", stream],
      ...["--stream-bytes", "64K", "--bytes", "512K", "--json"],
    ], { timeoutMs: 90_000 });
    let stdout = "";
    publisher.child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk));
    // The stream holds ~14 blocks: the publisher waits until the reader makes room.
    await waitForStream(server.url, stream);
    // It holds ~14 blocks; the reader leaves fewer than that for the publisher's last ones.
    const read = await runCli(bun, ["read", "480K", "--device", `${server.url}/${stream}`], {
      timeoutMs: 90_000,
    });
    expect(read.status).toBe(0);
    expect(await publisher.exited).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ blocks: 128, bytes: 524288 });
    expect(summary.fullWaits).toBeGreaterThan(0);
    const taken = Number(/took \d+ blocks \([^,]+, (\d+) bytes\)/.exec(read.stderr)![1]);
    const nc = await natsClient(server.url);
    try {
      const { state } = await (await jetstreamManager(nc)).streams.info(stream);
      expect(summary.bytes).toBe(taken + state.messages * 4096);
    } finally {
      await nc.close();
    }
  });
});

describe.skipIf(!natsServerInstalled)("NATS credentials and bad input", () => {
  afterAll(stopAll);

  it("takes user and password from the environment, and refuses wrong ones in one line", async () => {
    const server = await startNatsServer(["--user", "qrng", "--pass", "s3cret"]);
    const args = ["publish", "--device", "sim:qcicada", "--to", server.url, "--bytes", "8K"];
    const ok = await runCli(bun, args, { env: { QRNG_NATS_USER: "qrng", QRNG_NATS_PASSWORD: "s3cret" } });
    expect(ok.status).toBe(0);
    const wrong = await runCli(bun, args, { env: { QRNG_NATS_USER: "qrng", QRNG_NATS_PASSWORD: "wrong" } });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(
      new RegExp(`^qrng: Cannot connect to NATS at ${server.url}: .*(authori[sz]ation|auth)`, "mi"),
    );
    expect(wrong.stderr).not.toMatch(/\n\s+at /);
  });

  it("takes a token from the environment and an NKey seed from a file", async () => {
    const tokenServer = await startNatsServer(["--auth", "t0ken"]);
    const withToken = await runCli(bun, [
      "publish",
      "--device",
      "sim:qcicada",
      "--to",
      tokenServer.url,
      "--bytes",
      "8K",
    ], {
      env: { QRNG_NATS_TOKEN: "t0ken" },
    });
    expect(withToken.status).toBe(0);
    const user = createUser();
    const config = join(dir, "nkey.conf");
    writeFileSync(config, `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`);
    const seedFile = join(dir, "user.nk");
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()) + "\n", { mode: 0o600 });
    const nkeyServer = await startNatsServer(["-c", config]);
    const published = await runCli(bun, [
      "publish",
      "--device",
      "sim:qcicada",
      "--to",
      nkeyServer.url,
      "--bytes",
      "8K",
      "--nkey",
      seedFile,
    ]);
    expect(published.status).toBe(0);
    const read = await runCli(bun, ["read", "4K", "--device", `${nkeyServer.url}/QRNG?nkey=${seedFile}`]);
    expect(read.status).toBe(0);
    expect(read.stdout.length).toBe(4096);
    expect(readFileSync(seedFile, "utf8")).toMatch(/^SU/);
  });

  it.each([
    [["publish", "--device", "sim:qcicada"], 2, /qrng publish: give the NATS server with --to/],
    [
      ["publish", "--device", "sim:qcicada", "--to", "http://x"],
      2,
      /--to 'http:\/\/x': use nats:\/\/host\[:port\] or tls:\/\/host\[:port\]/,
    ],
    [
      ["publish", "--device", "sim:qcicada", "--to", "nats://127.0.0.1:4222", "--block", "1"],
      2,
      /--block must be from 64/,
    ],
    [
      ["read", "1K", "--device", "nats://127.0.0.1:4222"],
      2,
      /name the stream \(nats:\/\/host\[:port\]\/STREAM\)/,
    ],
    [["read", "1K", "--device", "nats://127.0.0.1:4222/QRNG?bogus=1"], 2, /unknown parameter 'bogus'/],
  ])("refuses %j in one line (exit %i)", async (args, status, message) => {
    const r = await runCli(bun, args as string[]);
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr.trim().split("\n").length).toBe(1);
  });

  it("names the server it cannot reach", async () => {
    const server = await startNatsServer();
    const url = server.url;
    await server.kill();
    const r = await runCli(bun, ["read", "1K", "--device", `${url}/QRNG`]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^qrng: Cannot connect to NATS at ${url}: `));
  });
});
