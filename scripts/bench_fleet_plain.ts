/**
 * The reference side of scripts/bench-fleet.ts: the same NATS client library publishing and
 * taking the same blocks without qrng (no device, no health gate, no rounds).
 *
 *   bun scripts/bench_fleet_plain.ts publish URL STREAM BYTES BLOCK
 *   bun scripts/bench_fleet_plain.ts take URL STREAM BYTES ack|claim
 *
 * publish: pre-made blocks, 32 publishes in flight (as qrng publish), a full stream waited on.
 * take: the shared durable consumer with consume() (64 blocks prefetched, as qrng's taker);
 * `ack` acknowledges each delivery (the library's ordinary at-least-once use), `claim` first
 * erases it from the stream and creates its claim record as qrng's taker does (at most once).
 * Prints {"bytes":N} at the end.
 */
import { AckPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";
import { claimRecordsName, claimSubject } from "../cli/fleet/stream.ts";
import { connect } from "@nats-io/transport-node";
import { SeededBytes } from "../cli/emulators/seeded_bytes.ts";

const [mode, url, stream, bytesText, extra] = process.argv.slice(2);
const total = Number(bytesText);
const nc = await connect({ servers: url });
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);

if (mode === "publish") {
  const blockBytes = Number(extra);
  await jsm.streams.add({
    name: stream,
    subjects: [`plain.${stream}.>`],
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.New,
    max_bytes: 64 * 1024 * 1024,
  });
  await jsm.streams.add({
    name: claimRecordsName(stream),
    subjects: [claimSubject(stream, ">")],
    discard: DiscardPolicy.Old,
    max_msgs_per_subject: 1,
  });
  await jsm.consumers.add(stream, {
    durable_name: "plain",
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: -1,
  });
  const source = new SeededBytes(9);
  const blocks = total / blockBytes;
  let next = 0;
  const worker = async () => {
    while (next < blocks) {
      next++;
      const block = source.take(blockBytes).slice();
      for (;;) {
        try {
          await js.publish(`plain.${stream}.1`, block);
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20)); // full: wait for the takers
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
} else {
  while (!(await jsm.consumers.info(stream, "plain").catch(() => undefined))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const consumer = await js.consumers.get(stream, "plain");
  const messages = await consumer.consume({ max_messages: 64, expires: 5000 });
  let taken = 0;
  let claims: Promise<unknown>[] = [];
  for await (const m of messages) {
    if (extra === "claim") {
      // Claims of the prefetched deliveries go out together, as qrng's taker sends them.
      const seq = m.info.streamSequence;
      claims.push(
        jsm.streams.deleteMessage(stream, seq, true)
          .then(() =>
            js.publish(claimSubject(stream, `plain.${seq}`), "", { expect: { lastSubjectSequence: 0 } })
          )
          .catch(() => false)
          .then(() => m.ack()),
      );
      if (claims.length >= 64 || messages.getPending() === 0) {
        await Promise.all(claims);
        claims = [];
      }
    } else m.ack();
    taken += m.data.length;
    if (taken >= total) break;
  }
  await Promise.all(claims);
  await messages.close();
}
await nc.close();
console.log(JSON.stringify({ bytes: total }));
