/**
 * Sends judged blocks into a fleet's stream. Each block is published with a message id
 * (publisher id and sequence number), so a publish retried after a lost acknowledgement (a
 * server node died, a leader changed) is stored once, never twice. A full stream refuses the
 * publish: the publisher waits and retries the same block (backpressure; the caller's device
 * stays paused meanwhile), so nothing is dropped silently.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { describeError, QrngError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { BLOCK_HEADERS } from "./stream.ts";

/** Blocks of one round published at once (each waits for its own acknowledgement). */
export const PUBLISH_WINDOW_BLOCKS = 128;
/** How long one publish waits for the server's acknowledgement. */
export const PUBLISH_TIMEOUT_MS = 5000;
/** How long a block is retried through server faults (not a full stream) before giving up. */
export const PUBLISH_RETRY_DEADLINE_MS = 60_000;
/** The first wait after a refused publish; it doubles up to {@link RETRY_MAX_MS}. */
const RETRY_FIRST_MS = 20;
const RETRY_MAX_MS = 1000;

/** The gate's verdict data a round of blocks carries (header Qrng-Health). */
export interface BlockVerdict {
  /** Claimed min-entropy per byte the gate tested against, in bits. */
  readonly h: number;
  /** log2 of each health test's false-alarm probability. */
  readonly alphaLog2: number;
  /** Windows tested and failed (dropped) by the gate so far in this publisher's read. */
  readonly windowsTested: number;
  readonly windowsFailed: number;
}

/** One publisher's accounting. */
export interface PublisherStats {
  readonly publisher: string;
  readonly subject: string;
  /** Blocks the stream acknowledged (stored once each). */
  readonly blocks: number;
  readonly bytes: number;
  /** Times a full stream refused a block (the device waited). */
  readonly fullWaits: number;
  /** Publishes retried through a server fault (timeout, leader change, reconnect). */
  readonly retries: number;
}

/** Where a publisher sends its blocks. */
export interface BlockPublisherOptions {
  readonly platform: Platform;
  /** This publisher's id: unique among the stream's publishers. */
  readonly id: string;
  /** The subject its blocks go to. */
  readonly subject: string;
  /** The source's description (header Qrng-Source). */
  readonly source: string;
  /** Ends waits (full stream, retries); publishes in flight still finish. */
  readonly signal?: AbortSignal;
}

/** Publishes blocks of one publisher, counting them. */
export class BlockPublisher {
  readonly #js: JetStreamClient;
  readonly #options: BlockPublisherOptions;
  #sequence = 0;
  #blocks = 0;
  #bytes = 0;
  #fullWaits = 0;
  #retries = 0;

  constructor(js: JetStreamClient, options: BlockPublisherOptions) {
    this.#js = js;
    this.#options = options;
  }

  /** The counts so far. */
  stats(): PublisherStats {
    const { id: publisher, subject } = this.#options;
    return {
      publisher,
      subject,
      blocks: this.#blocks,
      bytes: this.#bytes,
      fullWaits: this.#fullWaits,
      retries: this.#retries,
    };
  }

  /**
   * Publishes a round of judged blocks, several at once; resolves when the stream stored every
   * one. Rejects with kind "disconnected" when a block cannot be stored within the retry
   * deadline, or "interrupted" when the signal aborted before all were (the stored ones count).
   */
  async publishRound(blocks: readonly Uint8Array[], verdict: BlockVerdict): Promise<void> {
    const verdictText = JSON.stringify(verdict);
    const first = this.#sequence + 1;
    this.#sequence += blocks.length;
    let next = 0;
    const worker = async () => {
      while (next < blocks.length) {
        const index = next++;
        await this.#publish(blocks[index], first + index, verdictText);
      }
    };
    const workers = Array.from({ length: Math.min(PUBLISH_WINDOW_BLOCKS, blocks.length) }, worker);
    const results = await Promise.allSettled(workers);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  async #publish(block: Uint8Array, sequence: number, verdict: string): Promise<void> {
    const { platform, id, subject, source, signal } = this.#options;
    const h = headers();
    h.set(BLOCK_HEADERS.publisher, id);
    h.set(BLOCK_HEADERS.sequence, String(sequence));
    h.set(BLOCK_HEADERS.source, source);
    h.set(BLOCK_HEADERS.health, verdict);
    const deadline = platform.now() + PUBLISH_RETRY_DEADLINE_MS;
    let waitMs = RETRY_FIRST_MS;
    for (;;) {
      if (signal?.aborted) {
        throw new QrngError("interrupted", `publish interrupted before block ${sequence} was stored`);
      }
      try {
        await this.#js.publish(subject, block, {
          msgID: `${id}-${sequence}`,
          headers: h,
          timeout: PUBLISH_TIMEOUT_MS,
        });
        this.#blocks++;
        this.#bytes += block.length;
        return;
      } catch (error) {
        if (isStreamFull(error)) this.#fullWaits++;
        else if (platform.now() < deadline) this.#retries++;
        else {throw new QrngError(
            "disconnected",
            `Cannot publish block ${sequence} to ${subject}: ${describeError(error)}`,
          );}
      }
      await platform.sleep(waitMs);
      waitMs = Math.min(2 * waitMs, RETRY_MAX_MS);
    }
  }
}

/** Whether a publish was refused because the stream is at its size bound (discard new). */
function isStreamFull(error: unknown): boolean {
  return /maximum (bytes|messages) exceeded|resource limits exceeded/i.test(describeError(error));
}
