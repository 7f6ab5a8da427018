/**
 * The fleet acceptance test (issue 10): three publishers (sim:qcicada seeds 1, 2, 3) and eight
 * takers on a three-node JetStream cluster with an R3 stream; two takers are SIGKILLed and the
 * stream's leader node is killed and restarted mid-run. Across all outputs no 32-byte chunk
 * appears twice, every chunk is from a validated window of a seeded stream (regenerated
 * here), and every block in an output still in the stream has its claim record (takers refuse it;
 * it counts as taken); the blocks published equal those taken plus those still in the stream, each stored
 * once, and what was taken but not output (lost) stays within what the takers could hold.
 *
 * Size: the 256 MiB; QRNG_FLEET_TEST_MIB sets another (48 MiB runs in about half the time).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { SeededBytes } from "../cli/emulators/seeded_bytes.ts";
import { claimRecordsName, claimSubject } from "../cli/fleet/stream.ts";
import { binaryBuilt, type CliChild, RUNNERS, spawnCli } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";
import {
  natsClient,
  natsServerInstalled,
  readStream,
  settledPlacement,
  startNatsCluster,
  stopAll,
  type StoredMessage,
  waitForJetStream,
  waitForStream,
} from "./_support/nats_server.ts";

const dir = testTempDir("qrng-fleet-cluster");
const TOTAL_BYTES = Number(process.env.QRNG_FLEET_TEST_MIB ?? 256) * 1024 * 1024;
const BLOCK_BYTES = 4096;
const PUBLISHERS = [1, 2, 3];
const TAKERS = 8;
const KILLED_TAKERS = 2;
/** Each taker's read: together they leave room for what the killed ones took and lost. */
const TAKER_BYTES = Math.floor((TOTAL_BYTES * 0.9) / TAKERS / BLOCK_BYTES) * BLOCK_BYTES;
/** The stream's bound: it must hold what the takers leave, or the publishers wait forever. */
const STREAM_BYTES = Math.max(32 << 20, Math.ceil(TOTAL_BYTES * 0.4));
const PUBLISHER_BYTES = Math.floor(TOTAL_BYTES / PUBLISHERS.length / BLOCK_BYTES) * BLOCK_BYTES;
/** The gate never releases its first two 512-byte windows. */
const STARTUP_BYTES = 1024;
const CHUNK_BYTES = 32;
/**
 * What a killed taker can have removed from the stream without it reaching its output file:
 * its claimed blocks (64 at most), the gate's hold-back, and the blocks it found gone or could
 * not confirm (it cannot report them; survivors report theirs, a few hundred KB at most here,
 * so 1 MiB is the allowance). (Takers write straight to files: through a pipe the busy test
 * drains, a runtime's stdout buffer would hold megabytes more.)
 */
const KILLED_TAKER_SLACK_BYTES = 64 * BLOCK_BYTES + (64 << 10) + (1 << 20);
/**
 * What may be lost besides the killed takers' share: survivors' claims that lost a race to a
 * redelivery's claim, the rest of their last blocks and their gates' hold-back (1.3 and 1.9 MB
 * in all at 256 MiB). With work-queue retention nats-server 2.9 also removed blocks nobody
 * claimed after the node restart: 11 and 22 MB in two runs (see cli/fleet/stream.ts).
 */
const SURVIVORS_LOSS_ALLOWANCE_BYTES = 6 << 20;
const TEST_TIMEOUT_MS = 600_000;

/** A 53-bit key of a 32-byte chunk (its first seven bytes, less three bits). */
function chunkKey(bytes: Uint8Array, at: number): number {
  let key = 0;
  for (let i = 0; i < 6; i++) key = key * 256 + bytes[at + i];
  return key * 32 + (bytes[at + 6] >> 3);
}

/** The sorted keys of every 32-byte chunk `bytes` holds from offset 0. */
function sortedKeys(parts: readonly Uint8Array[]): Float64Array {
  const count = parts.reduce((sum, p) => sum + Math.floor(p.length / CHUNK_BYTES), 0);
  const keys = new Float64Array(count);
  let n = 0;
  for (const part of parts) {
    for (let at = 0; at + CHUNK_BYTES <= part.length; at += CHUNK_BYTES) keys[n++] = chunkKey(part, at);
  }
  return keys.sort();
}

function contains(sorted: Float64Array, key: number): boolean {
  let lo = 0, hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === key) return true;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Chunks sharing a key, compared in full: the chunks that really appear twice. */
function duplicateChunks(outputs: readonly Buffer[], keys: Float64Array): string[] {
  const shared = new Set<number>();
  for (let i = 1; i < keys.length; i++) if (keys[i] === keys[i - 1]) shared.add(keys[i]);
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const output of outputs) {
    for (let at = 0; at + CHUNK_BYTES <= output.length; at += CHUNK_BYTES) {
      if (!shared.has(chunkKey(output, at))) continue;
      const hex = output.subarray(at, at + CHUNK_BYTES).toString("hex");
      if (seen.has(hex)) twice.push(hex);
      seen.add(hex);
    }
  }
  return twice;
}

/** Those of `messages` whose claim record (see cli/fleet/taker.ts) `stream`'s takers cannot find. */
async function withoutClaimRecord(url: string, stream: string, messages: readonly StoredMessage[]) {
  const nc = await natsClient(url);
  try {
    const jsm = await jetstreamManager(nc);
    const missing: StoredMessage[] = [];
    for (const m of messages) {
      const last_by_subj = claimSubject(stream, m.block.replace("#", "."));
      if (!(await jsm.streams.getMessage(claimRecordsName(stream), { last_by_subj }))) missing.push(m);
    }
    return missing;
  } finally {
    await nc.close();
  }
}

/** Collects a child's stdout. */
function collectStdout(run: CliChild): Buffer[] {
  const chunks: Buffer[] = [];
  run.child.stdout!.on("data", (chunk: Buffer) => chunks.push(chunk));
  return chunks;
}

describe.skipIf(!natsServerInstalled)("a fleet on a three-node JetStream cluster", () => {
  afterAll(stopAll);

  it(
    `takes ${
      TOTAL_BYTES / 2 ** 20
    } MiB from three publishers with eight takers, two killed and a node restarted, each block at most once`,
    async () => {
      const nodes = await startNatsCluster();
      const url = nodes[0].url;
      const runners = RUNNERS.filter((r) => r.name === "bun" || (r.name === "binary" && binaryBuilt));
      const spawnOptions = { timeoutMs: TEST_TIMEOUT_MS };

      const publishers = PUBLISHERS.map((seed, i) => {
        const run = spawnCli(runners[i % runners.length], [
          ...["publish", "--device", `sim:qcicada?seed=${seed}`, "--to", url, "--stream", "FLEET"],
          ...["--bytes", String(PUBLISHER_BYTES), "--stream-bytes", String(STREAM_BYTES), "--json"],
        ], spawnOptions);
        return { run, stdout: collectStdout(run) };
      });
      await waitForStream(url, "FLEET");
      const takers = Array.from({ length: TAKERS }, (_, i) => {
        const output = join(dir, `taker-${i}.bin`);
        const runner = runners[i % runners.length];
        // stdout straight into a file (exec: the shell becomes the taker, so SIGKILL reaches it).
        const toFile = {
          ...runner,
          command: "/bin/sh",
          prefix: ["-c", `exec "$0" "$@" > '${output}'`, runner.command, ...runner.prefix],
        };
        const run = spawnCli(
          toFile,
          ["read", String(TAKER_BYTES), "--device", `${url}/FLEET?wait=60000`],
          spawnOptions,
        );
        return { run, output, killed: i < KILLED_TAKERS };
      });
      const written = (taker: (typeof takers)[number]) =>
        existsSync(taker.output) ? statSync(taker.output).size : 0;

      // Mid-run: each of two takers is killed once it has a quarter of its share (checked
      // often: one that finished first would not be "killed"), and once every other taker has
      // a quarter too, the node leading the stream, then brought back on the same ports and store.
      const killedNow = new Set<(typeof takers)[number]>();
      const anyExited = () =>
        [...publishers, ...takers.filter((t) => !t.killed)].some((p) => p.run.child.exitCode !== null);
      const midRun = () => takers.every((t) => (t.killed ? killedNow.has(t) : written(t) > TAKER_BYTES / 4));
      while (!midRun() && !anyExited()) {
        for (const taker of takers.filter((t) => t.killed && !killedNow.has(t))) {
          if (written(taker) > TAKER_BYTES / 4) {
            taker.run.child.kill("SIGKILL");
            killedNow.add(taker);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const taker of takers.filter((t) => t.killed && !killedNow.has(t))) {
        taker.run.child.kill("SIGKILL");
      }
      const nc = await natsClient(url);
      const info = await (await jetstreamManager(nc)).streams.info("FLEET");
      expect(info.config.num_replicas).toBe(3);
      const leaderName = info.cluster?.leader;
      await nc.close();
      const leader = nodes.find((node) => node.name === leaderName) ?? nodes[1];
      await leader.kill();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await leader.start();

      const takerStatus = await Promise.all(takers.map((t) => t.run.exited));
      // On failure, each server's state, what it warned of (a stalled consumer, a lost quorum)
      // and its last lines say why.
      const serverWarnings = () =>
        nodes.map((node) => {
          const lines = node.log.split("\n");
          const warned = lines.filter((line) => /\[(WRN|ERR)\]/.test(line)).slice(-30);
          return `${node.name} on port ${node.port}, ${node.status}:\n${
            [...warned, "...", ...lines.slice(-4)].join("\n")
          }`;
        }).join("\n");
      // Publishers finish soon after the takers (the stream holds the rest), or something is stuck.
      const publishersDone = Promise.all(publishers.map((p) => p.run.exited));
      const stuck = new Promise<"stuck">((resolve) => setTimeout(() => resolve("stuck"), 120_000).unref());
      expect(await Promise.race([publishersDone, stuck]), serverWarnings()).not.toBe("stuck");
      const publisherStatus = await publishersDone;
      expect(publisherStatus, serverWarnings()).toEqual([0, 0, 0]);
      expect(takerStatus, serverWarnings()).toEqual(takers.map((t) => (t.killed ? null : 0)));

      // Every chunk of every output is from a validated window of a seeded stream, none twice.
      const outputs = takers.map((t) => readFileSync(t.output));
      const seeded = sortedKeys(
        PUBLISHERS.map((seed) =>
          new SeededBytes(seed).take(STARTUP_BYTES + PUBLISHER_BYTES + (1 << 20)).subarray(STARTUP_BYTES)
        ),
      );
      const outputKeys = sortedKeys(outputs);
      let foreign = 0;
      for (const key of outputKeys) if (!contains(seeded, key)) foreign++;
      expect(foreign).toBe(0);
      expect(duplicateChunks(outputs, outputKeys)).toEqual([]);

      // Accounting: published = taken + still in the stream; each block stored once.
      const summaries = publishers.map((p) => JSON.parse(Buffer.concat(p.stdout).toString()));
      const published = summaries.reduce((sum, s) => sum + s.bytes, 0);
      expect(published).toBe(PUBLISHERS.length * PUBLISHER_BYTES);
      await waitForJetStream(url);
      // Which node answers for the stream at the end, and how the replicas stand, say where a
      // block that came back lives (the node killed above, or one that never went down).
      const nodesAtEnd = `killed ${leader.name}; at the end ${await settledPlacement(url, "FLEET")}`;
      const check = await natsClient(url);
      const { state } = await (await jetstreamManager(check)).streams.info("FLEET");
      await check.close();
      expect(state.last_seq * BLOCK_BYTES).toBe(published);
      // What the stream's leader holds, message by message. A block in an output and still
      // there must have its claim record, which makes every taker refuse it: nats-server 2.9
      // brought hundreds back on the restarted node while claims deleted without erasing, and
      // 293 and 44 in 2 of 16 runs at 256 MiB with erasing claims (see cli/fleet/taker.ts).
      // Such a block was taken: the accounting counts it so, not as still in the stream. The
      // stream's content is read for the accounting because after a hard kill 2.9's own count
      // may include erased messages (103 too many in a one-server trial).
      const stored = await readStream(url, "FLEET");
      const usedAndStored = stored.filter((m) => {
        for (let at = 0; at + CHUNK_BYTES <= m.data.length; at += CHUNK_BYTES) {
          if (contains(outputKeys, chunkKey(m.data, at))) return true;
        }
        return false;
      });
      // Were such blocks still there a little later (a block whose delete the leader had not
      // applied yet is gone then)?
      // And which replicas hold them: each node is made leader in turn (leaders step down until
      // each has led once), as a replica is read only through its leader.
      const later = async () => {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const seqs = new Set(usedAndStored.map((m) => m.seq));
        const held = new Map<string, number>();
        const admin = await natsClient(url);
        try {
          const jsm = await jetstreamManager(admin);
          for (let turn = 0; turn < 12 && held.size < nodes.length; turn++) {
            const leaderNow = (await jsm.streams.info("FLEET")).cluster?.leader ?? "none";
            if (!held.has(leaderNow)) {
              held.set(leaderNow, (await readStream(url, "FLEET")).filter((m) => seqs.has(m.seq)).length);
            }
            await admin.request("$JS.API.STREAM.LEADER.STEPDOWN.FLEET", undefined, { timeout: 5000 }).catch(
              () => {},
            );
            await settledPlacement(url, "FLEET", 10_000);
          }
        } finally {
          await admin.close();
        }
        return `3 s later, held by ${JSON.stringify(Object.fromEntries(held))}`;
      };
      // What they are: which publishers' blocks, stored when, whether a block id is stored twice,
      // how far the consumer's acknowledgements reach, and what each taker said.
      const identities = async () => {
        const ids = new Map<string, number>();
        for (const m of stored) ids.set(m.block, (ids.get(m.block) ?? 0) + 1);
        const twice = [...ids].filter(([, n]) => n > 1).length;
        const admin = await natsClient(url);
        const consumer = await (await jetstreamManager(admin)).consumers.info("FLEET", "qrng").catch((e) =>
          e
        );
        await admin.close();
        const around = (m: (typeof stored)[number]) => `${m.seq}=${m.block}@${m.time.toISOString()}`;
        const first = stored.findIndex((m) => m.seq === usedAndStored[0].seq);
        return `blocks ${usedAndStored.slice(0, 6).map(around).join(", ")}; neighbours ${
          stored.slice(Math.max(0, first - 2), first).map(around).join(", ")
        }; block ids stored twice: ${twice}; consumer ${
          JSON.stringify({
            ack_floor: consumer.ack_floor,
            delivered: consumer.delivered,
            pending: consumer.num_ack_pending,
          })
        }\ntakers:\n${takers.map((t) => t.run.stderr().trim().split("\n").slice(-2).join(" | ")).join("\n")}`;
      };
      const unrecorded = await withoutClaimRecord(url, "FLEET", usedAndStored);
      expect(
        unrecorded.map((m) => m.seq),
        unrecorded.length === 0
          ? ""
          : `blocks in an output, still in the stream and without a claim record (${nodesAtEnd}; ${await later()})\n${await identities()}\n${serverWarnings()}`,
      )
        .toEqual([]);
      const inStream = (stored.length - usedAndStored.length) * BLOCK_BYTES;
      const survivors = takers.filter((t) => !t.killed);
      const summaryOf = (t: (typeof takers)[number]) => {
        const [, took, skipped, unconfirmed] =
          /took \d+ blocks \([^,]+, (\d+) bytes\).* skipped (\d+) .* (\d+) claims unconfirmed/.exec(
            t.run.stderr(),
          )!;
        const swept = /removed (\d+) blocks found in the stream again/.exec(t.run.stderr())?.[1] ?? 0;
        return {
          took: Number(took),
          uncertain: (Number(skipped) + Number(unconfirmed)) * BLOCK_BYTES,
          swept: Number(swept),
        };
      };
      const survivorsTook = survivors.reduce((sum, t) => sum + summaryOf(t).took, 0);
      const survivorsUnconfirmed = survivors.reduce((sum, t) => sum + summaryOf(t).uncertain, 0);
      const survivorsSwept = survivors.reduce((sum, t) => sum + summaryOf(t).swept, 0);
      // What left the stream and no survivor took: the killed takers' claims, and the
      // unconfirmed claims whose delete did happen.
      const leftElsewhere = published - inStream - survivorsTook;
      const killedOutput = takers.filter((t) => t.killed).reduce((sum, t) => sum + written(t), 0);
      expect(leftElsewhere).toBeGreaterThanOrEqual(killedOutput);
      expect(
        leftElsewhere - killedOutput,
        `left the stream untaken by survivors ${leftElsewhere}, killed takers' output ${killedOutput}, ` +
          `survivors' skipped and unconfirmed claims ${survivorsUnconfirmed}`,
      ).toBeLessThanOrEqual(KILLED_TAKERS * KILLED_TAKER_SLACK_BYTES + survivorsUnconfirmed);
      const survivorsOutput = survivors.length * TAKER_BYTES;
      const lost = published - inStream - survivorsOutput - killedOutput;
      console.log(
        `fleet: published ${published} = taken ${published - inStream} (output ${
          survivorsOutput + killedOutput
        }, ` +
          `lost ${lost}, of which skipped or unconfirmed claims at most ${survivorsUnconfirmed}) + in stream ${inStream}; ` +
          `${survivors.length} takers finished, ${KILLED_TAKERS} killed; the stream counts ${state.messages} blocks; ` +
          `survivors removed ${survivorsSwept} taken blocks found in the stream again; ${usedAndStored.length} ` +
          `used blocks still in the stream, each refused by its claim record`,
      );
      expect(lost).toBeLessThanOrEqual(
        KILLED_TAKERS * KILLED_TAKER_SLACK_BYTES + SURVIVORS_LOSS_ALLOWANCE_BYTES,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
