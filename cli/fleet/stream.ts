/**
 * The JetStream stream a fleet shares: a queue whose blocks leave it only when a taker claims
 * them (deletes them, see taker.ts), bounded in bytes with "discard new" (a full stream
 * refuses publishes, which the publisher turns into backpressure: nothing is dropped
 * silently), and one durable pull consumer all takers share. Publishers create both when
 * missing; takers create the consumer.
 *
 * Retention is "limits" with no limit but the size bound, not "work queue": the claims already
 * make it a work queue, and with work-queue retention nats-server 2.9 also removes a message
 * when its delivery is acknowledged, on each replica by itself, outside the stream's
 * replicated log (2.11 proposes those removals through the log instead). After a node was
 * killed and restarted, replicas so disagreed on what the stream held that takers found blocks
 * gone that no taker had claimed: 11 and 22 MB of 256 MiB in the acceptance test, against 1.3
 * and 1.9 MB with limits retention, where only the replicated deletes remove blocks. Streams
 * made by earlier versions (work queue) are still used.
 *
 * Message layout: subject `<prefix>.<publisher id>`, the block as payload, and headers
 * {@link BLOCK_HEADERS}: who published it, its sequence number in that publisher's output, what
 * device it came from and the gate's verdict data for the round it was judged in.
 */
import {
  AckPolicy,
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamInfo,
} from "@nats-io/jetstream";
import { errors } from "@nats-io/transport-node";
import { describeError, QrngError, usageError } from "../errors.ts";

/** The stream name when none is given. */
export const DEFAULT_STREAM = "QRNG";
/** The durable consumer every taker of a stream shares. */
export const CONSUMER_NAME = "qrng";
/** A new stream's size bound when none is given. */
export const DEFAULT_STREAM_BYTES = 64 * 1024 * 1024;
/**
 * How long a delivered block may stay unacknowledged before the server offers it again (a
 * taker died): the next taker claims it then, so a dead taker's unclaimed blocks are not lost.
 */
export const ACK_WAIT_MS = 10_000;
/**
 * How long a taken block's claim record is kept (see taker.ts): a block that turns up again
 * within it is refused. The record stream's size bound can shorten it: 2.5 million records,
 * about 10 GB of blocks taken within the hour.
 */
export const CLAIM_MEMORY_MS = 3_600_000;
const CLAIM_RECORDS_BYTES = 256 * 1024 * 1024;
/** How long the server remembers a message id: a publish retried within it is stored once. */
export const DUPLICATE_WINDOW_MS = 120_000;
const NANOS_PER_MS = 1_000_000;

/** Retentions under which only takers remove blocks: ours (limits) and earlier versions' (work queue). */
const QUEUE_RETENTIONS: readonly RetentionPolicy[] = [RetentionPolicy.Limits, RetentionPolicy.Workqueue];

/** The headers every block carries. */
export const BLOCK_HEADERS = {
  /** The publisher's id (also the last subject token). */
  publisher: "Qrng-Publisher",
  /** The block's sequence number in its publisher's output, from 1. */
  sequence: "Qrng-Seq",
  /** The device it came from: the source's description. */
  source: "Qrng-Source",
  /** The gate's verdict data (JSON, see BlockVerdict in publisher.ts). */
  health: "Qrng-Health",
} as const;

/** The subject prefix of `stream` when none is given: `qrng.<stream>`. */
export function defaultSubjectPrefix(stream: string): string {
  return `qrng.${stream}`;
}

/** Throws a usage error unless `name` is a valid stream name. */
export function checkStreamName(name: string, where: string): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw usageError(`${where}: invalid stream name '${name}' (letters, digits, '-' and '_')`);
  }
}

/** What {@link ensureStream} creates when the stream is missing. */
export interface StreamSpec {
  readonly name: string;
  /** Subjects `<prefix>.>` go into the stream. */
  readonly subjectPrefix: string;
  readonly maxBytes: number;
  readonly replicas: number;
}

/** The stream's info, after creating it (and its consumer) when missing. */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<StreamInfo> {
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(spec.name);
  } catch (error) {
    if ((error as { name?: string }).name !== "StreamNotFoundError") {
      throw streamError(spec.name, "look up", error);
    }
    try {
      info = await jsm.streams.add({
        name: spec.name,
        subjects: [`${spec.subjectPrefix}.>`],
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.New,
        max_bytes: spec.maxBytes,
        storage: StorageType.File,
        num_replicas: spec.replicas,
        duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
      });
    } catch (error) {
      // Another publisher may have created it meanwhile.
      info = await jsm.streams.info(spec.name).catch(() => {
        throw streamError(spec.name, "create", error);
      });
    }
  }
  if (!QUEUE_RETENTIONS.includes(info.config.retention)) {
    throw new QrngError(
      "usage",
      `Stream ${spec.name} exists with ${info.config.retention} retention: qrng needs limits or workqueue retention (a block must leave the stream only when taken)`,
    );
  }
  await ensureConsumer(jsm, spec.name);
  await ensureClaimRecords(jsm, spec.name);
  return info;
}

/** The stream holding the claim records of `stream`'s blocks. */
export function claimRecordsName(stream: string): string {
  return `${stream}_CLAIMS`;
}

/** The subject of the claim record of block `block` (`<publisher>.<sequence>`) of `stream`. */
export function claimSubject(stream: string, block: string): string {
  return `qrng-claims.${stream}.${block}`;
}

/**
 * Creates the stream of `stream`'s claim records when missing: one message per taken block on
 * its own subject, created only if that subject holds none yet, kept CLAIM_MEMORY_MS, replicated
 * as `stream` is.
 */
export async function ensureClaimRecords(jsm: JetStreamManager, stream: string): Promise<void> {
  const name = claimRecordsName(stream);
  if (await jsm.streams.info(name).catch(() => undefined)) return;
  try {
    const { config } = await jsm.streams.info(stream);
    await jsm.streams.add({
      name,
      subjects: [claimSubject(stream, ">")],
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: 1,
      max_age: CLAIM_MEMORY_MS * NANOS_PER_MS,
      max_bytes: CLAIM_RECORDS_BYTES,
      storage: StorageType.File,
      num_replicas: config.num_replicas,
      duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
    });
  } catch (error) {
    // Another publisher or taker may have created it meanwhile.
    if (await jsm.streams.info(name).catch(() => undefined)) return;
    throw streamError(name, "create", error);
  }
}

/** Creates the shared durable consumer of `stream` when missing (an existing one is used as it is). */
export async function ensureConsumer(jsm: JetStreamManager, stream: string): Promise<void> {
  try {
    if (await jsm.consumers.info(stream, CONSUMER_NAME).catch(() => undefined)) return;
    await jsm.consumers.add(stream, {
      durable_name: CONSUMER_NAME,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ACK_WAIT_MS * NANOS_PER_MS,
      max_ack_pending: -1,
    });
  } catch (error) {
    throw streamError(stream, "create the consumer of", error);
  }
}

/** A stream's own accounting: what is still in it and what left it. */
export interface StreamState {
  readonly stream: string;
  /** Blocks in the stream now (published, not taken yet). */
  readonly messages: number;
  readonly bytes: number;
  /** Blocks that ever entered it (its last sequence number). */
  readonly stored: number;
  /** Blocks that left it: taken (claimed by a taker) or removed by an operator. */
  readonly removed: number;
  /** Blocks delivered to a taker and not acknowledged yet. */
  readonly deliveredUnacked: number;
  /** Blocks waiting to be offered again after a taker left them unacknowledged. */
  readonly redeliveries: number;
}

/**
 * How long a fleet command asks again while JetStream's API does not answer: a cluster electing
 * a leader (a node restarted) lets requests time out for several seconds.
 */
export const API_SILENCE_RETRY_MS = 20_000;
/** The pause between two such requests. */
const API_SILENCE_PAUSE_MS = 500;

/** Runs `request`, again while it fails because JetStream's API is silent, for up to API_SILENCE_RETRY_MS. */
export async function askWhileSilent<T>(request: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + API_SILENCE_RETRY_MS;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      if (!isApiSilence(error) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, API_SILENCE_PAUSE_MS));
    }
  }
}

/** Reads the stream's and its shared consumer's state, asking again while the API is silent. */
export function streamState(jsm: JetStreamManager, stream: string): Promise<StreamState> {
  return askWhileSilent(async () => {
    const { state } = await jsm.streams.info(stream);
    const consumer = await jsm.consumers.info(stream, CONSUMER_NAME).catch(() => undefined);
    return {
      stream,
      messages: state.messages,
      bytes: state.bytes,
      stored: state.last_seq,
      removed: state.last_seq - state.messages,
      deliveredUnacked: consumer?.num_ack_pending ?? 0,
      redeliveries: consumer?.num_redelivered ?? 0,
    };
  }).catch((error) => {
    throw streamError(stream, "read the state of", error);
  });
}

/** "Cannot create stream QRNG: insufficient resources", kind "disconnected"; the cause kept. */
export function streamError(stream: string, action: string, error: unknown): QrngError {
  return new QrngError("disconnected", `Cannot ${action} stream ${stream}: ${describeError(error)}`, {
    cause: error,
  });
}

/**
 * Whether `error` (or what a {@link streamError} wraps) is JetStream's API not answering at all,
 * as while a cluster elects a leader: worth asking again, unlike a refusal.
 */
export function isApiSilence(error: unknown): boolean {
  const cause = error instanceof QrngError ? error.cause : error;
  return cause instanceof errors.TimeoutError || cause instanceof errors.NoRespondersError;
}
