/**
 * The `nats://HOST[:PORT]/STREAM` source (also `tls://`): validated blocks a fleet's
 * publishers put into a JetStream stream (`qrng publish`), taken at most once across all
 * takers (see cli/fleet/taker.ts). URI parameters: `creds=FILE`, `nkey=FILE` (credential
 * files; token and passwords come from the environment, see cli/fleet/connection.ts) and
 * `wait=MS`, how long an empty stream is waited on before the read fails [30000].
 *
 * The blocks go through the taker's own health gate like any source's; the device status
 * behind them was judged by their publisher.
 */
import { QrngError, usageError } from "../errors.ts";
import { interruptedError } from "../transports/abortable.ts";
import { checkUriParams, type DeviceUri } from "../uri.ts";
import type { RandomSource, SourceOptions } from "../devices/device.ts";
import type { SourceDriver } from "./registry.ts";
import type { BlockTaker, TakerStats } from "../fleet/taker.ts";
import { formatBytes } from "../units.ts";

/** How long an empty stream is waited on by default. */
export const DEFAULT_WAIT_MS = 30_000;
/** Taken beyond the caller's size hint: the gate holds its last bytes back and drops failing windows. */
const HINT_MARGIN_BYTES = 8192;
/** How often a missing stream is looked for again. */
const STREAM_POLL_MS = 250;
/** The block size assumed before the first block arrives (qrng publish's default). */
const TYPICAL_BLOCK_BYTES = 4096;

/** The driver for `scheme` ("nats" or "tls"). */
export function natsDriver(scheme: "nats" | "tls"): SourceDriver {
  return {
    scheme,
    summary: `blocks a fleet's publishers put into a NATS JetStream stream: ${scheme}://host[:4222]/STREAM`,
    open: openNatsSource,
  };
}

async function openNatsSource(uri: DeviceUri, options: SourceOptions): Promise<RandomSource> {
  // The NATS client loads only when a fleet is read: other commands keep their start-up time.
  const [{ closeNats, connectNats, parseNatsAddress }, { checkStreamName, isApiSilence }, { BlockTaker }] =
    await Promise.all([
      import("../fleet/connection.ts"),
      import("../fleet/stream.ts"),
      import("../fleet/taker.ts"),
    ]);
  checkUriParams(uri, ["creds", "nkey", "wait"]);
  const slash = uri.target.indexOf("/");
  const stream = slash < 0 ? "" : uri.target.slice(slash + 1);
  if (slash < 0 || stream === "") {
    throw usageError(`device '${uri.text}': name the stream (${uri.scheme}://host[:port]/STREAM)`);
  }
  checkStreamName(stream, `device '${uri.text}'`);
  const waitMs = uri.params.wait === undefined ? DEFAULT_WAIT_MS : Number(uri.params.wait);
  if (!Number.isInteger(waitMs) || waitMs < 0) {
    throw usageError(`invalid wait '${uri.params.wait}' in device '${uri.text}'`);
  }
  const address = parseNatsAddress(uri.scheme, uri.target.slice(0, slash), `device '${uri.text}'`);
  const nc = await connectNats(options.platform, address, { creds: uri.params.creds, nkey: uri.params.nkey });
  try {
    const prefetch = Math.ceil((options.sizeHint + HINT_MARGIN_BYTES) / TYPICAL_BLOCK_BYTES);
    // A taker may start before the first publisher created the stream, or while a cluster
    // elects a leader and its API is silent: wait for either as for blocks.
    const deadline = options.platform.now() + waitMs;
    let taker: BlockTaker | undefined;
    while (!taker) {
      try {
        taker = await BlockTaker.open(nc, stream, prefetch);
      } catch (error) {
        const passing = /stream not found/i.test((error as Error).message) || isApiSilence(error);
        if (!passing || options.platform.now() > deadline) throw error;
        if (options.signal?.aborted) throw interruptedError(`wait for stream ${stream}`);
        await options.platform.sleep(STREAM_POLL_MS);
      }
    }
    return new NatsSource(
      () => closeNats(nc),
      taker,
      `stream ${stream} at ${address.server}`,
      waitMs,
      options,
    );
  } catch (error) {
    await closeNats(nc);
    throw error;
  }
}

class NatsSource implements RandomSource {
  readonly emulated = false;
  readonly #claimed: Uint8Array[] = [];
  #delivered = 0;
  #closed = false;

  constructor(
    /** Closes the connection. */
    readonly disconnect: () => Promise<void>,
    readonly taker: BlockTaker,
    readonly description: string,
    readonly waitMs: number,
    readonly options: SourceOptions,
  ) {}

  async next(): Promise<Uint8Array> {
    const { platform, signal, sizeHint } = this.options;
    const since = platform.now();
    while (this.#claimed.length === 0) {
      if (this.#closed) throw new QrngError("disconnected", `${this.description}: closed`);
      if (signal?.aborted) throw interruptedError(`read from ${this.description}`);
      if (platform.now() - since > this.waitMs) {
        throw new QrngError(
          "timeout",
          `Cannot read data: ${this.description} offered no blocks for ${this.waitMs} ms`,
        );
      }
      const { blocks, bytes } = this.taker.stats();
      const blockBytes = blocks > 0 ? bytes / blocks : TYPICAL_BLOCK_BYTES;
      const wanted = Math.ceil((sizeHint + HINT_MARGIN_BYTES - this.#delivered) / blockBytes);
      this.#claimed.push(...await this.taker.take(Math.max(1, wanted)));
    }
    const block = this.#claimed.shift()!;
    this.#delivered += block.length;
    return block;
  }

  /** Copies the next block into the gate's memory (the rest of a block too large waits its turn). */
  async nextInto(buffer: Uint8Array): Promise<number> {
    const block = await this.next();
    if (block.length > buffer.length) {
      this.#claimed.unshift(block.subarray(buffer.length));
      this.#delivered -= block.length - buffer.length;
    }
    buffer.set(block.subarray(0, buffer.length));
    return Math.min(block.length, buffer.length);
  }

  finish(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.taker.close();
    this.options.log(describeTaken(this.description, this.taker.stats(), this.#claimed));
    await this.disconnect();
  }
}

/** The taker's summary line: what it claimed, and what it skipped or lost. */
function describeTaken(description: string, stats: TakerStats, unread: readonly Uint8Array[]): string {
  const unreadBytes = unread.reduce((sum, block) => sum + block.length, 0);
  return `${description}: took ${stats.blocks} blocks (${formatBytes(stats.bytes)}, ${stats.bytes} bytes), ` +
    `${unreadBytes} bytes of them unread (lost); skipped ${stats.claimedElsewhere} gone before our claim ` +
    `(claimed by another taker, or removed by the server: lost); ${stats.unconfirmed} claims unconfirmed (offered again, or lost if the delete happened` +
    `${stats.firstUnconfirmed ? `; first: ${stats.firstUnconfirmed}` : ""})` +
    (stats.takenBefore > 0
      ? `; refused ${stats.takenBefore} blocks taken before (their claim records exist)`
      : "") +
    (stats.swept > 0
      ? `; removed ${stats.swept} blocks found in the stream again after they were taken`
      : "");
}
