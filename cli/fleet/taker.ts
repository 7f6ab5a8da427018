/**
 * Taking blocks from a fleet's stream, at most once across all takers.
 *
 * JetStream delivers at least once: a taker that dies between receiving a block and
 * acknowledging it, an acknowledgement lost with a server node, or an acknowledgement that
 * came after the ack wait makes the server offer the block again, to another taker. Entropy
 * used twice is worse than entropy lost, so a delivery is not a right to use a block: a taker
 * uses a block only after it CLAIMED it by deleting it from the stream (the stream's
 * message-delete API). The stream commits a delete before answering (through its replicas on a
 * cluster), and a message can be deleted once: exactly one taker's claim succeeds, whatever
 * the server redelivered. A block offered again after someone else's claim is skipped; a claim
 * whose answer never came (the server went away meanwhile) is given up, and the block counted
 * as lost (it may or may not be gone). Either way the delivery is then acknowledged.
 *
 * What is lost, in the end: unconfirmed claims, and blocks a taker claimed but did not use
 * (the rest of the last block of a read, or everything a killed taker held).
 */
import type { Consumer, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { describeError, QrngError } from "../errors.ts";
import { CONSUMER_NAME, ensureConsumer, streamError } from "./stream.ts";

/** The most blocks one fetch asks for. */
export const FETCH_MAX_BLOCKS = 64;
/** How long one fetch waits for blocks (the server's minimum is 1 s). */
export const FETCH_EXPIRES_MS = 1000;

/** One taker's accounting. */
export interface TakerStats {
  /** Blocks claimed (each used by this taker only). */
  readonly blocks: number;
  readonly bytes: number;
  /** Deliveries skipped because another taker had claimed the block. */
  readonly claimedElsewhere: number;
  /** Claims the server never confirmed: those blocks are lost. */
  readonly unconfirmed: number;
}

/** Claims blocks of one stream for one taker. */
export class BlockTaker {
  readonly stream: string;
  readonly #jsm: JetStreamManager;
  readonly #consumer: Consumer;
  #blocks = 0;
  #bytes = 0;
  #claimedElsewhere = 0;
  #unconfirmed = 0;

  private constructor(stream: string, jsm: JetStreamManager, consumer: Consumer) {
    this.stream = stream;
    this.#jsm = jsm;
    this.#consumer = consumer;
  }

  /** Joins the shared consumer of `stream` (creating it when missing). */
  static async open(nc: NatsConnection, stream: string): Promise<BlockTaker> {
    const js = jetstream(nc);
    const jsm = await js.jetstreamManager();
    await ensureConsumer(jsm, stream);
    try {
      return new BlockTaker(stream, jsm, await js.consumers.get(stream, CONSUMER_NAME));
    } catch (error) {
      throw streamError(stream, "join the consumer of", error);
    }
  }

  /** The counts so far. */
  stats(): TakerStats {
    return { blocks: this.#blocks, bytes: this.#bytes, claimedElsewhere: this.#claimedElsewhere, unconfirmed: this.#unconfirmed };
  }

  /**
   * Fetches up to `maxBlocks` (at most FETCH_MAX_BLOCKS) deliveries (waiting up to FETCH_EXPIRES_MS for the first) and
   * resolves the blocks this taker claimed among them, in delivery order; possibly none.
   */
  async take(maxBlocks: number): Promise<Uint8Array[]> {
    const delivered: JsMsg[] = [];
    try {
      const messages = await this.#consumer.fetch({ max_messages: Math.min(maxBlocks, FETCH_MAX_BLOCKS), expires: FETCH_EXPIRES_MS });
      for await (const message of messages) delivered.push(message);
    } catch (error) {
      // Already delivered messages are claimed below; the next fetch tries the server again.
      if (delivered.length === 0) throw new QrngError("disconnected", `Cannot fetch from stream ${this.stream}: ${describeError(error)}`);
    }
    const claims = await Promise.all(delivered.map((message) => this.#claim(message)));
    for (const message of delivered) message.ack();
    const claimed: Uint8Array[] = [];
    delivered.forEach((message, i) => {
      if (!claims[i]) return;
      claimed.push(message.data);
      this.#blocks++;
      this.#bytes += message.data.length;
    });
    return claimed;
  }

  /** Deletes the block's message from the stream: true when this taker's delete did it. */
  async #claim(message: JsMsg): Promise<boolean> {
    try {
      const deleted = await this.#jsm.streams.deleteMessage(this.stream, message.info.streamSequence, false);
      if (!deleted) this.#unconfirmed++;
      return deleted;
    } catch (error) {
      if (/no message found/i.test(describeError(error))) this.#claimedElsewhere++;
      else this.#unconfirmed++;
      return false;
    }
  }
}
