/**
 * Taking blocks from a fleet's stream, at most once across all takers.
 *
 * JetStream delivers at least once: a taker that dies between receiving a block and
 * acknowledging it, an acknowledgement lost with a server node, or an acknowledgement that
 * came after the ack wait makes the server offer the block again, to another taker. Entropy
 * used twice is worse than entropy lost, so a delivery is not a right to use a block: a taker
 * uses a block only after it CLAIMED it by erasing it from the stream (the stream's
 * message-delete API with erase). The stream commits the erase before answering (through its
 * replicas on a cluster), and a message can be deleted once: exactly one taker's claim
 * succeeds, whatever the server redelivered. Why erase and not a plain delete: nats-server 2.9
 * keeps a plain delete only in memory and in an index it writes lazily, so a node killed hard
 * rebuilt its store from the message files with the deleted blocks back in them (in half of
 * the loaded runs of the cluster test, hundreds of used blocks were in the stream again, where
 * a new consumer or a redelivery would hand them out twice). An erase overwrites the message
 * in its file and marks it deleted there. A block offered again after someone else's claim is
 * skipped and acknowledged. A claim whose answer never came (the server went away meanwhile)
 * is given up and not acknowledged: the block is offered again unless the erase did happen, in
 * which case it is lost (counted as unconfirmed).
 *
 * The erase settles races between takers, but not a block that turns up in the stream again:
 * after a node of a three-node cluster was SIGKILLed and restarted, 2 of 16 runs of the
 * acceptance test at 256 MiB ended with taken blocks in the stream again (293, held by a node
 * never killed; 44, held by every replica). A new consumer, or one whose state a node rolled back, would hand such a block
 * out again, and its erase would succeed a second time. So a claim also RECORDS the block by
 * its identity (publisher id and sequence number, from its headers) in the stream's claim
 * records (see stream.ts): a message on the block's own subject there, created only if that
 * subject holds none. A block whose record exists was taken before: it is not used. A block is
 * used only when both its erase and its record succeeded.
 *
 * What is lost, in the end: unconfirmed claims, and blocks a taker claimed but did not use
 * (the rest of the last block of a read, or everything a killed taker held).
 *
 * A claimed block's delivery must still be acknowledged, or nats-server 2.9 can stall the whole
 * consumer: see `#ackErased`. And a claimed block can turn up in the stream again after a server
 * node was killed hard: see `#sweep`.
 */
import type {
  ConsumeOptions,
  Consumer,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
  MsgRequest,
  NextMsgRequest,
} from "@nats-io/jetstream";
import { jetstream, JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { type NatsConnection, nuid } from "@nats-io/transport-node";
import { describeError } from "../errors.ts";
import { fleetReclaimer } from "./memory.ts";
import {
  BLOCK_HEADERS,
  claimRecordsName,
  claimSubject,
  CONSUMER_NAME,
  ensureClaimRecords,
  ensureConsumer,
  streamError,
} from "./stream.ts";

/** The most blocks a taker holds delivered and unclaimed (the consumer's prefetch). */
export const PREFETCH_MAX_BLOCKS = 64;
/** How long one {@link BlockTaker.take} waits for a delivery. */
export const TAKE_WAIT_MS = 1000;
/** How long a pull request stays at the server; the client renews it (and rides out faults). */
const PULL_EXPIRES_MS = 5000;
/**
 * Deliveries stopped this long: join the consumer again with a fresh pull subscription. The
 * client renews its pulls through most faults, but a loaded fresh-clone run saw takers whose
 * node was restarted get nothing more (60 s) while the stream held thousands of blocks.
 */
export const STALL_REJOIN_MS = 3 * PULL_EXPIRES_MS;
/** Deliveries stopped this long: acknowledge the erased blocks the consumer still holds (and again as often). */
export const ACK_ERASED_AFTER_MS = 2 * TAKE_WAIT_MS;
/** How often a taker looks for taken blocks back in the stream (see `#sweep`), besides when it joins. */
export const SWEEP_EVERY_MS = 5000;

/**
 * JetStream API errors saying the message is not in the stream (any more): "no message
 * found" (single server; a clustered stream's "delete failed" 10057 carries that text too)
 * and "sequence N not found" (a clustered stream).
 */
const GONE_CODES = [10037, 10043];
/** Answers that prove a delete request reached no server, so was not applied: safe to send again. */
const NOT_APPLIED = /no responders|503/i;
const CLAIM_ATTEMPTS = 20;
/** How long a claim record's creation waits for the stream's answer, and how often it is sent. */
const RECORD_TIMEOUT_MS = 5000;
const RECORD_ATTEMPTS = 4;
const CLAIM_RETRY_MS = 250;

type Claim = "claimed" | "elsewhere" | "taken before" | "unconfirmed";
/** A publisher id or a block's sequence number as they can appear in a subject. */
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** One taker's accounting. */
export interface TakerStats {
  /** Blocks claimed (each used by this taker only). */
  readonly blocks: number;
  readonly bytes: number;
  /** Deliveries skipped because another taker had claimed the block. */
  readonly claimedElsewhere: number;
  /**
   * Claims the server never answered: not acknowledged, so offered again (and claimed by
   * someone) unless the delete did happen, in which case the block is lost.
   */
  readonly unconfirmed: number;
  /** Why the first unconfirmed claim failed. */
  readonly firstUnconfirmed?: string;
  /** Deliveries refused because the block's claim record existed: taken before, by someone. */
  readonly takenBefore: number;
  /**
   * Blocks this taker found in the stream again after they were taken (a server node lost
   * their removal) and removed: never used again.
   */
  readonly swept: number;
}

/** Claims blocks of one stream for one taker. */
export class BlockTaker {
  readonly stream: string;
  readonly #nc: NatsConnection;
  readonly #jsm: JetStreamManager;
  readonly #consumer: Consumer;
  /** The current pull subscription (replaced by a rejoin after a stall). */
  #messages: ConsumerMessages;
  #lastDeliveryMs = performance.now();
  #lastAckErasedMs = performance.now();
  #lastSweepMs = performance.now();
  #sweeping: Promise<void> | undefined;
  /** Delivered, not yet claimed. */
  readonly #delivered: JsMsg[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #blocks = 0;
  #bytes = 0;
  #claimedElsewhere = 0;
  #unconfirmed = 0;
  #firstUnconfirmed: string | undefined;
  #swept = 0;
  #takenBefore = 0;
  /** This taker's id, the content of its claim records: who took a block. */
  readonly #id = nuid.next();
  readonly #js: JetStreamClient;
  readonly #reclaimer = fleetReclaimer();

  /** The most deliveries held at once (the pull batch): the pump waits while that many are. */
  readonly #prefetch: number;
  #space: (() => void) | undefined;
  #closing = false;

  private constructor(
    stream: string,
    nc: NatsConnection,
    jsm: JetStreamManager,
    consumer: Consumer,
    messages: ConsumerMessages,
    prefetch: number,
  ) {
    this.stream = stream;
    this.#nc = nc;
    this.#jsm = jsm;
    this.#consumer = consumer;
    this.#messages = messages;
    this.#prefetch = prefetch;
    this.#js = jetstream(nc);
    void this.#pump(messages);
  }

  /**
   * Joins the shared consumer of `stream` (creating it when missing), keeping up to
   * `prefetchBlocks` (at most PREFETCH_MAX_BLOCKS) deliveries at hand.
   */
  static async open(nc: NatsConnection, stream: string, prefetchBlocks: number): Promise<BlockTaker> {
    const js = jetstream(nc);
    const jsm = await js.jetstreamManager().catch((error) => {
      throw streamError(stream, "reach the JetStream API for", error);
    });
    await ensureConsumer(jsm, stream);
    await ensureClaimRecords(jsm, stream);
    try {
      const consumer = await js.consumers.get(stream, CONSUMER_NAME);
      const max_messages = Math.max(1, Math.min(prefetchBlocks, PREFETCH_MAX_BLOCKS));
      const taker = new BlockTaker(
        stream,
        nc,
        jsm,
        consumer,
        await consumer.consume(consumeOptions(max_messages)),
        max_messages,
      );
      await taker.#sweepOnce();
      return taker;
    } catch (error) {
      throw streamError(stream, "join the consumer of", error);
    }
  }

  /**
   * Moves deliveries into the queue; the client renews pull requests through server faults.
   * It reads no further while the queue is full: the client pulls more as the iterator is
   * read, so a taker never holds (and claims) more than its prefetch, and what it holds is
   * claimed well within the ack wait.
   */
  async #pump(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const message of messages) {
        if (this.#closing) {
          message.nak();
          continue;
        }
        this.#lastDeliveryMs = performance.now();
        this.#delivered.push(message);
        this.#wake?.();
        if (this.#delivered.length >= this.#prefetch) {
          await new Promise<void>((resolve) => (this.#space = resolve));
        }
      }
    } catch {
      // Stopped by close() or a rejoin, or the consumer is gone: take() then finds nothing, and
      // its caller's wait deadline names the stream.
    }
    if (messages !== this.#messages) return; // replaced by a rejoin
    this.#ended = true;
    this.#wake?.();
  }

  /**
   * Replaces a pull subscription that delivers nothing with a fresh one. What the old one held
   * undelivered is offered again after the ack wait; claims keep every block at most once. A
   * rejoin that fails (the server is away) is tried again at the next stall.
   */
  async #rejoin(): Promise<void> {
    this.#lastDeliveryMs = performance.now();
    let fresh: ConsumerMessages;
    try {
      fresh = await this.#consumer.consume(consumeOptions(this.#prefetch));
    } catch {
      return;
    }
    if (this.#closing) {
      fresh.stop();
      return;
    }
    const stale = this.#messages;
    this.#messages = fresh;
    stale.stop();
    void this.#pump(fresh);
  }

  /** The counts so far. */
  stats(): TakerStats {
    return {
      blocks: this.#blocks,
      bytes: this.#bytes,
      claimedElsewhere: this.#claimedElsewhere,
      unconfirmed: this.#unconfirmed,
      ...(this.#firstUnconfirmed && { firstUnconfirmed: this.#firstUnconfirmed }),
      swept: this.#swept,
      takenBefore: this.#takenBefore,
    };
  }

  /**
   * Waits up to TAKE_WAIT_MS for deliveries, claims up to `maxBlocks` of them (no more than the
   * prefetch) at once and
   * resolves the blocks this taker claimed, in delivery order; possibly none.
   */
  async take(maxBlocks: number): Promise<Uint8Array[]> {
    if (performance.now() - this.#lastSweepMs > SWEEP_EVERY_MS) void this.#sweepOnce();
    if (this.#delivered.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, TAKE_WAIT_MS);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
      const now = performance.now();
      if (this.#delivered.length === 0 && !this.#ended) {
        if (
          now - this.#lastDeliveryMs > ACK_ERASED_AFTER_MS &&
          now - this.#lastAckErasedMs > ACK_ERASED_AFTER_MS
        ) {
          this.#lastAckErasedMs = now;
          await this.#ackErased().catch(() => {}); // the server is away: again at the next wait
        }
        if (now - this.#lastDeliveryMs > STALL_REJOIN_MS) await this.#rejoin();
      }
    }
    const delivered = this.#delivered.splice(0, Math.max(1, maxBlocks));
    this.#space?.();
    this.#space = undefined;
    const claims = await Promise.all(delivered.map((message) => this.#claim(message)));
    const claimed: Uint8Array[] = [];
    delivered.forEach((message, i) => {
      if (claims[i] === "unconfirmed") {
        // Not acknowledged (that would end its deliveries, and remove it from an earlier
        // version's work-queue stream): if the delete never happened, the block is offered
        // again and claimed by someone; if it did, it is lost.
        message.nak();
        return;
      }
      message.ack();
      if (claims[i] !== "claimed") return;
      claimed.push(message.data);
      this.#blocks++;
      this.#bytes += message.data.length;
      this.#reclaimer.moved(message.data.length);
    });
    return claimed;
  }

  /**
   * Acknowledges every delivery of the shared consumer whose block is no longer in the stream,
   * whoever received it.
   *
   * nats-server 2.9 ends a delivery by itself when its message is deleted, but a delete can
   * outrun the consumer's record of that: a taker killed between its claim and its ack, an ack
   * lost with the node that led the consumer, a node killed before it wrote the consumer's
   * state. The server then offers those blocks again before anything else, fails to load each
   * ("deleted message" in its log), and waits for the next wake-up before it tries the next: once
   * the stream stops growing (full, or no publisher left), every taker gets nothing for as long
   * as such deliveries are left. Their acks cannot come from their deliveries, so they are sent
   * by stream sequence (the ack subject names it, and the server finds the delivery by it) for
   * the blocks between the consumer's ack floor and its last delivery that the stream no longer
   * holds. (Not from the stream's list of deleted blocks: after a hard kill 2.9 leaves erased ones
   * out of it.) A block still in the stream is never acknowledged so: it would be stranded.
   */
  async #ackErased(): Promise<void> {
    const consumer = await this.#jsm.consumers.info(this.stream, CONSUMER_NAME);
    const last = consumer.delivered.stream_seq;
    let acked = false;
    // One lookup per block still in the stream in that range (a few per taker) and one more.
    for (let seq = consumer.ack_floor.stream_seq + 1; seq <= last;) {
      const held = (await this.#nextHeld(seq)) ?? Infinity;
      for (; seq < held && seq <= last; seq++) {
        this.#nc.publish(`$JS.ACK.${this.stream}.${CONSUMER_NAME}.1.${seq}.0.0.0`);
        acked = true;
      }
      seq = held + 1;
    }
    if (acked) await this.#nc.flush();
  }

  /**
   * Erases the blocks the stream holds at or below the consumer's ack floor: blocks taken before
   * that came back.
   *
   * Every block up to the ack floor was acknowledged, and a taker acknowledges a delivery only
   * once the block was claimed (by itself or another taker) or is gone (`#ackErased`). Such a
   * block found in the stream came back after its claim (see the top of this file). The
   * consumer never offers it again and its claim record keeps it from being used twice, but it
   * would hold the stream's room for good and spoil its accounting. One lookup finds the
   * stream's first block; usually it is above the floor and nothing more is asked.
   */
  async #sweep(): Promise<void> {
    const floor = (await this.#jsm.consumers.info(this.stream, CONSUMER_NAME)).ack_floor.stream_seq;
    for (let seq = 1; seq <= floor;) {
      const found = await this.#nextHeld(seq);
      if (found === undefined || found > floor) return;
      const erased = await this.#jsm.streams.deleteMessage(this.stream, found, true).catch(() => false);
      if (erased) this.#swept++; // not erased: another taker's sweep was first, or the server is away
      seq = found + 1;
    }
  }

  /** The stream sequence of the first block the stream holds at or after `seq`, if any: one lookup. */
  async #nextHeld(seq: number): Promise<number | undefined> {
    const query: MsgRequest & NextMsgRequest = { seq, next_by_subj: ">" };
    return (await this.#jsm.streams.getMessage(this.stream, query))?.seq;
  }

  /** Runs `#sweep` unless one is running; a failure (the server is away) waits for the next turn. */
  #sweepOnce(): Promise<void> {
    this.#lastSweepMs = performance.now();
    this.#sweeping ??= this.#sweep().catch(() => {}).finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  /** Stops taking; deliveries not claimed go back to the stream at once for other takers. */
  close(): void {
    this.#closing = true;
    this.#space?.();
    // Stopping does not wait for the server: a taker closes even when it is gone.
    this.#messages.stop();
    for (const message of this.#delivered.splice(0)) message.nak();
  }

  /**
   * Deletes the block's message from the stream and records its claim: "claimed" when this
   * taker's delete and record did it, "elsewhere" when the block was gone already, "taken
   * before" when its record existed, "unconfirmed" when no answer came.
   *
   * The record is a message on the block's subject in the claim records, created only if the
   * subject holds none: it exists when the block turned up again after its claim (see the top of
   * this file). A record whose answer never came (a node died) is sent again: if the first was
   * stored, the second is refused, and the record found then holds this taker's id. Every
   * record left unconfirmed loses its block, which the erase already removed.
   */
  async #claim(message: JsMsg): Promise<Claim> {
    try {
      const erase = () => this.#jsm.streams.deleteMessage(this.stream, message.info.streamSequence, true);
      if (!(await askUntilApplied(erase))) {
        return this.#unconfirmedBy("the stream did not confirm the delete");
      }
    } catch (error) {
      const { cause, attempts } = error as NotApplied;
      // Gone at the first try: someone else's claim. After a retry it may have been ours.
      const text = describeError(cause);
      const gone = GONE_CODES.includes((cause as { code?: number }).code ?? 0) ||
        /no message found/i.test(text);
      if (!gone || attempts > 1) return this.#unconfirmedBy(text);
      this.#claimedElsewhere++;
      return "elsewhere";
    }
    const subject = claimSubject(this.stream, blockIdentity(message));
    const options = { expect: { lastSubjectSequence: 0 }, timeout: RECORD_TIMEOUT_MS };
    for (let attempt = 1;; attempt++) {
      try {
        await askUntilApplied(() => this.#js.publish(subject, this.#id, options));
        return "claimed";
      } catch (error) {
        const { cause } = error as NotApplied;
        if (cause instanceof JetStreamApiError && cause.code === JetStreamApiCodes.StreamWrongLastSequence) {
          if (attempt > 1 && await this.#recordedBySelf(subject)) return "claimed";
          this.#takenBefore++;
          return "taken before";
        }
        if (attempt >= RECORD_ATTEMPTS) return this.#unconfirmedBy(describeError(cause));
      }
    }
  }

  /** Whether the claim record on `subject` is this taker's (false when it cannot be read). */
  async #recordedBySelf(subject: string): Promise<boolean> {
    const query = { last_by_subj: subject };
    const record = await askUntilApplied(() =>
      this.#jsm.streams.getMessage(claimRecordsName(this.stream), query)
    )
      .catch(() => null);
    return record?.string() === this.#id;
  }

  #unconfirmedBy(reason: string): Claim {
    this.#firstUnconfirmed ??= reason;
    this.#unconfirmed++;
    return "unconfirmed";
  }
}

/** A request's last failure, and how many times it was sent. */
class NotApplied extends Error {
  constructor(override readonly cause: unknown, readonly attempts: number) {
    super(describeError(cause));
  }
}

/**
 * Runs `request`, and again while its refusal proves it was not applied (no stream leader at
 * the moment), up to CLAIM_ATTEMPTS times in all; rejects with a {@link NotApplied}.
 */
async function askUntilApplied<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (!NOT_APPLIED.test(describeError(error)) || attempt >= CLAIM_ATTEMPTS) {
        throw new NotApplied(error, attempt);
      }
      await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY_MS));
    }
  }
}

/**
 * The claim record's subject token of a block: its publisher id and sequence number, or its
 * stream sequence for a message that lacks them (not from `qrng publish`).
 */
function blockIdentity(message: JsMsg): string {
  const publisher = message.headers?.get(BLOCK_HEADERS.publisher) ?? "";
  const sequence = message.headers?.get(BLOCK_HEADERS.sequence) ?? "";
  if (SUBJECT_TOKEN.test(publisher) && /^\d{1,16}$/.test(sequence)) return `${publisher}.${sequence}`;
  return `stream-seq.${message.info.streamSequence}`;
}

/** The pull subscription's options: `prefetch` deliveries at hand, pulls renewed every PULL_EXPIRES_MS. */
function consumeOptions(prefetch: number): ConsumeOptions {
  return { max_messages: prefetch, expires: PULL_EXPIRES_MS };
}
