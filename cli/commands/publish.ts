/**
 * `qrng publish --device URI --to nats://HOST:PORT`: one QRNG feeding a fleet. Validated
 * blocks go into a NATS JetStream stream used as a work queue, which any number of machines
 * take from (`qrng read --device nats://HOST:PORT/STREAM`). Blocks are gathered in rounds; a round is
 * published only after the gate's verdict and the device's status were judged on it
 * (GatedReader.checkpoint), so nothing a later health or device fault taints goes out. While
 * a round is published the device is stopped; a full stream makes the publisher wait.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { nuid } from "@nats-io/transport-node";
import { type Command, parseFlags } from "../command.ts";
import { QrngError, usageError } from "../errors.ts";
import { INTERRUPTED_EXIT_STATUS, type InterruptSignal, type Platform } from "../platform.ts";
import { printable } from "../printable.ts";
import { DEFAULT_ALPHA_LOG2, DEFAULT_H_PER_BYTE } from "../sources/health.ts";
import { GatedReader } from "../sources/gated.ts";
import { formatBytes, formatRate, parseSize } from "../units.ts";
import { parseDeviceUri } from "../uri.ts";
import { closeNats, connectNats, NATS_ENV, parseNatsAddress } from "../fleet/connection.ts";
import { fleetReclaimer } from "../fleet/memory.ts";
import { BlockPublisher, type PublisherStats } from "../fleet/publisher.ts";
import {
  askWhileSilent,
  checkStreamName,
  DEFAULT_STREAM,
  DEFAULT_STREAM_BYTES,
  defaultSubjectPrefix,
  ensureStream,
  streamError,
  streamState,
} from "../fleet/stream.ts";
import { HEALTH_FLAGS, parseAlphaFlag, resolveHFlag } from "./health_flags.ts";
import { resolveDevice } from "./read_device.ts";

/** Block size when none is given. */
export const DEFAULT_BLOCK_BYTES = 4096;
const MIN_BLOCK_BYTES = 64;
/** NATS's default payload limit is 1 MiB; half leaves room for headers and server settings. */
const MAX_BLOCK_BYTES = 512 * 1024;
/** A round is judged and published once it holds this much ... */
const ROUND_MAX_BYTES = 1024 * 1024;
/** ... or once it has gathered for this long (slow devices), with at least one block. */
const ROUND_MAX_MS = 1000;

const HELP = `Usage: qrng publish --device URI --to nats://HOST[:PORT] [--stream NAME] [options]

Publishes health-tested blocks from a device into a NATS JetStream stream (a work queue), for
many machines to take (qrng read --device nats://HOST:PORT/STREAM): each block reaches at
most one of them. Blocks are judged in rounds (up to 1 MiB or 1 s): the health verdict and
the device's status come before any of a round is published. A full stream pauses the
device until takers make room; nothing is dropped.

  --device URI         the QRNG (as for qrng read); without it the one qrng list finds
  --to URL             the NATS server: nats://host[:4222], or tls://host[:4222] for TLS
  --stream NAME        the stream [${DEFAULT_STREAM}]; created when missing (bounded, discard new)
  --subject S          subject prefix: blocks go to S.<publisher-id> [qrng.NAME]
  --replicas N         a new stream's replicas [1, or 3 on a cluster]
  --stream-bytes SIZE  a new stream's size bound [${formatBytes(DEFAULT_STREAM_BYTES)}]
  --block SIZE         bytes per message [${DEFAULT_BLOCK_BYTES}]
  --bytes SIZE         stop after publishing SIZE bytes (default: until interrupted)
  --h H                claimed min-entropy per byte in bits [${DEFAULT_H_PER_BYTE}] (as qrng read)
  --alpha A            each health test's false-alarm probability [2^${DEFAULT_ALPHA_LOG2}]
  --creds-file FILE    a NATS credentials (JWT) file
  --nkey FILE          a file holding an NKey seed
  --json               print the summary as JSON on stdout

Secrets never go on the command line: ${NATS_ENV.token}, or ${NATS_ENV.user} and
${NATS_ENV.password}, from the environment; TLS files from ${NATS_ENV.caFile},
${NATS_ENV.certFile} and ${NATS_ENV.keyFile}.

Summary (stderr, or --json): blocks and bytes this publisher stored, how often a full stream
paused it, and the stream's own state (blocks in it, blocks taken from it).

Examples:
  qrng publish --device serial:/dev/ttyUSB0 --to nats://10.0.0.5
  QRNG_NATS_TOKEN=s3cret qrng publish --device sim:qcicada --to tls://nats.lan --bytes 64M
`;

const FLAGS = {
  device: { type: "string" },
  to: { type: "string" },
  stream: { type: "string" },
  subject: { type: "string" },
  replicas: { type: "string" },
  "stream-bytes": { type: "string" },
  block: { type: "string" },
  bytes: { type: "string" },
  ...HEALTH_FLAGS,
  "creds-file": { type: "string" },
  nkey: { type: "string" },
  json: { type: "boolean" },
} as const;

function parseWhole(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw usageError(`qrng publish: ${flag} must be a whole number from ${min} to ${max} (not '${text}')`);
  }
  return value;
}

async function run(argv: string[], platform: Platform): Promise<number> {
  const { values } = parseFlags("publish", argv, FLAGS);
  if (values.to === undefined) {
    throw usageError("qrng publish: give the NATS server with --to nats://HOST[:PORT]");
  }
  const target = parseDeviceUri(values.to);
  const address = parseNatsAddress(target.scheme, target.target, `qrng publish: --to '${values.to}'`);
  const stream = values.stream ?? DEFAULT_STREAM;
  checkStreamName(stream, "qrng publish");
  const blockBytes = values.block === undefined ? DEFAULT_BLOCK_BYTES : parseSize(values.block);
  if (blockBytes < MIN_BLOCK_BYTES || blockBytes > MAX_BLOCK_BYTES) {
    throw usageError(
      `qrng publish: --block must be from ${MIN_BLOCK_BYTES} to ${formatBytes(MAX_BLOCK_BYTES)}`,
    );
  }
  const limitBytes = values.bytes === undefined ? Infinity : parseSize(values.bytes);
  const streamBytes = values["stream-bytes"] === undefined
    ? DEFAULT_STREAM_BYTES
    : parseSize(values["stream-bytes"]);
  if (streamBytes < 2 * blockBytes) {
    throw usageError("qrng publish: --stream-bytes must hold at least two blocks");
  }
  const h = values.h !== undefined
    ? await resolveHFlag("publish", values.h, "bytes", platform)
    : DEFAULT_H_PER_BYTE;
  const alphaLog2 = values.alpha !== undefined ? parseAlphaFlag("publish", values.alpha) : DEFAULT_ALPHA_LOG2;
  const log = (line: string) => platform.writeStderr(`qrng publish: ${printable(line)}\n`);
  const uri = values.device ?? await resolveDevice();

  const nc = await connectNats(platform, address, { creds: values["creds-file"], nkey: values.nkey });
  const interruption = new AbortController();
  let interruptedBy: InterruptSignal | undefined;
  const unsubscribe = platform.onInterrupt((signal) => {
    interruptedBy ??= signal;
    interruption.abort();
  });
  let reader: GatedReader | undefined;
  let publisher: BlockPublisher | undefined;
  const started = platform.now();
  try {
    // At start a cluster may still be electing leaders: its API's silence is waited out.
    const jsm = await askWhileSilent(() => jetstreamManager(nc)).catch((error) => {
      throw streamError(stream, "reach the JetStream API for", error);
    });
    const replicas = values.replicas === undefined
      ? (nc.info?.cluster ? 3 : 1)
      : parseWhole(values.replicas, "--replicas", 1, 5);
    const subjectPrefix = values.subject ?? defaultSubjectPrefix(stream);
    await askWhileSilent(() =>
      ensureStream(jsm, { name: stream, subjectPrefix, maxBytes: streamBytes, replicas })
    );
    const id = nuid.next();
    reader = await GatedReader.open(uri, {
      platform,
      bytesWanted: limitBytes,
      h,
      alphaLog2,
      log,
      signal: interruption.signal,
    });
    if (reader.emulated) log(`WARNING: ${uri} is an emulator: its data is a reproducible stream, NOT random`);
    publisher = new BlockPublisher(jetstream(nc), {
      platform,
      id,
      subject: `${subjectPrefix}.${id}`,
      source: reader.description,
      signal: interruption.signal,
    });
    const outcome = await publishRounds(reader, publisher, {
      platform,
      blockBytes,
      limitBytes,
      h,
      alphaLog2,
      signal: interruption.signal,
    });
    const elapsedMs = platform.now() - started;
    const state = await streamState(jsm, stream);
    const stats = publisher.stats();
    const summary = {
      stream,
      device: reader.description,
      emulated: reader.emulated,
      ...stats,
      elapsedMs: Math.round(elapsedMs),
      state,
    };
    if (values.json) await platform.stdout.write(new TextEncoder().encode(JSON.stringify(summary) + "\n"));
    log(describeStats(stats, elapsedMs));
    log(
      `stream ${stream}: ${state.messages} blocks (${
        formatBytes(state.bytes)
      }) in it, ${state.removed} taken from it ` +
        `of ${state.stored} stored, ${state.deliveredUnacked} delivered and not yet acknowledged`,
    );
    if (outcome === "interrupted") {
      log(
        `interrupted${
          interruptedBy && interruptedBy !== "SIGINT" ? ` by ${interruptedBy}` : ""
        }; the round being gathered was not published`,
      );
      return INTERRUPTED_EXIT_STATUS[interruptedBy ?? "SIGINT"];
    }
    return 0;
  } catch (error) {
    // What was stored before the failure still counts (and is in the stream).
    if (publisher) log(describeStats(publisher.stats(), platform.now() - started));
    throw error;
  } finally {
    unsubscribe();
    await reader?.close().catch(() => {});
    await closeNats(nc);
  }
}

function describeStats(stats: PublisherStats, elapsedMs: number): string {
  const paused = stats.fullWaits
    ? `; the stream was full ${stats.fullWaits} time(s) (device paused, nothing dropped)`
    : "";
  return `publisher ${stats.publisher}: ${stats.blocks} blocks (${
    formatBytes(stats.bytes)
  }) to ${stats.subject} ` +
    `at ${formatRate(stats.bytes / Math.max(elapsedMs / 1000, 1e-3))}${paused}`;
}

interface RoundOptions {
  readonly platform: Platform;
  readonly blockBytes: number;
  readonly limitBytes: number;
  readonly h: number;
  readonly alphaLog2: number;
  readonly signal: AbortSignal;
}

/**
 * Gathers, judges and publishes rounds until `limitBytes` are published or the signal aborts.
 * A fault rejects (nothing of the failing round is published); the device is released by the caller.
 */
async function publishRounds(
  reader: GatedReader,
  publisher: BlockPublisher,
  options: RoundOptions,
): Promise<"done" | "interrupted"> {
  const { platform, blockBytes, limitBytes, signal } = options;
  // One round is published while the next is gathered; a full stream holds the publish, so
  // the device pauses (stopped by its checkpoint) with at most that one round in hand.
  let publishing: Promise<void> = Promise.resolve();
  let gatheredTotal = 0;
  const reclaimer = fleetReclaimer();
  try {
    while (gatheredTotal < limitBytes) {
      const roundBytes = Math.min(ROUND_MAX_BYTES, limitBytes - gatheredTotal);
      const blocks: Uint8Array[] = [];
      let gathered = 0;
      const gatherStarted = platform.now();
      while (
        gathered < roundBytes && (blocks.length === 0 || platform.now() - gatherStarted < ROUND_MAX_MS)
      ) {
        const block = new Uint8Array(Math.min(blockBytes, roundBytes - gathered));
        await reader.readInto(block);
        blocks.push(block);
        gathered += block.length;
      }
      await reader.checkpoint();
      const stats = reader.health.stats();
      await publishing;
      if (signal.aborted) return "interrupted";
      publishing = publisher.publishRound(blocks, {
        h: options.h,
        alphaLog2: options.alphaLog2,
        windowsTested: stats.windowsTested,
        windowsFailed: stats.windowsFailed,
      });
      publishing.catch(() => {}); // awaited before the next round and at the end
      gatheredTotal += gathered;
      reclaimer.moved(gathered);
    }
    await publishing;
    await reader.finish();
    return "done";
  } catch (error) {
    // A judged round already being published still goes out (or fails on its own).
    await publishing.catch(() => {});
    if (error instanceof QrngError && error.kind === "interrupted") return "interrupted";
    throw error;
  }
}

/** The publish command. */
export const publishCommand: Command = {
  name: "publish",
  summary: "Publish health-tested blocks into a NATS JetStream stream for a fleet",
  help: HELP,
  run,
};
