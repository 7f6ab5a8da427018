/**
 * `qrng read SIZE`: the main job. Opens the device (or the one QRNG `qrng list` finds), runs
 * the continuous health tests on every byte (fail closed: see cli/sources/gated.ts), and writes
 * exactly SIZE good bytes to stdout or a file (see output/sink.ts for the file guarantees).
 * Ctrl-C, SIGTERM, SIGHUP and a closed pipe stop the device cleanly; no stack traces.
 */
import { type Command, parseFlags } from "../command.ts";
import { QrngError, usageError } from "../errors.ts";
import { INTERRUPTED_EXIT_STATUS, type InterruptSignal, type Platform } from "../platform.ts";
import { formatBytes, formatRate, parseSize } from "../units.ts";
import { DEFAULT_ALPHA_LOG2, DEFAULT_H_PER_BYTE } from "../sources/health.ts";
import { GatedReader } from "../sources/gated.ts";
import { HEALTH_FLAGS, parseAlphaFlag, resolveHFlag } from "./health_flags.ts";
import { Formatter, isOutputFormat } from "../output/text_format.ts";
import { OutputSink } from "../output/sink.ts";
import { resolveDevice } from "./read_device.ts";
import { POSTPROCESS_FLAGS, POSTPROCESS_HELP, postprocessOptions, withCtsTimeout } from "./source_flags.ts";
import { printable } from "../printable.ts";
import { MemoryReclaimer } from "../runtime/memory.ts";

/** Bytes read between two full collections under Bun (see cli/runtime/memory.ts). */
const READ_RECLAIM_EVERY_BYTES = 64 << 20;

/** Progress redraw interval on a terminal. */
const PROGRESS_MS = 250;

const HELP = `Usage: qrng read SIZE [--device URI] [-o FILE [--append]] [--format raw|hex|base64] [options]

Reads SIZE random bytes from a hardware RNG, health-tests every byte and writes exactly SIZE
bytes that passed. SIZE: 64, 4K (=4096), 1M, 1G, 1GiB, 10KB (=10000), as head -c counts.

  --device URI         serial:/dev/ttyUSB0 (or a bare path), tcp://host[:port],
                       udp://host[:port], tcpudp://host[:port][?udp=PORT], sim:qcicada
                       (emulated: not random), a running 'qrng serve': unix:/PATH,
                       qrng+tcp://host[:port], a fleet's stream nats://host[:4222]/STREAM
                       (see qrng publish). Without it: the one QRNG 'qrng list' finds.
  -o, --output FILE    write to FILE (replaced only when the read succeeds; a FIFO or device
                       is written as a stream); '-' is stdout
  --append             add to FILE instead (all or nothing: on failure FILE is unchanged)
  --format F           raw (default), hex (64 digits a line) or base64 (76 characters a line)
  --signed             signed reads (QCicada ≥ 5.13): every block's signature is verified
                       against the device key; a mismatch stops the read
  --h H                claimed min-entropy per byte in bits, 1/16 to 8 [${DEFAULT_H_PER_BYTE}]; lower
                       it for raw noise modes (the same flag as qrng test's), or name
                       the JSON of 'qrng assess --bits 8 --json' (a .json file) to use
                       its assessed min-entropy
  --alpha A            each health test's false-alarm probability: 2^-N or a number
                       [2^${DEFAULT_ALPHA_LOG2}]
  --json               print a JSON summary (stdout with -o, else stderr)
${POSTPROCESS_HELP}
  --cts-timeout wait|MS  XR232: wait while the device withholds data (default), or after MS
                       without data close, wait, reopen and retry (up to 5 times)

Health: SP 800-90B repetition count and adaptive proportion tests over 512-byte windows; a
failing window is dropped, never output, and counted; more failures than ideal data explains,
or any health flag the device raises, stops the read with exit status 1. So does any stretch
(at --h 8) of 1054 bytes or more that recurs within 4 MiB, or of 2078 bytes or more within the
last 256 MiB (a replayed block, a counter, any period; ideal data trips it ~4e-19 times per
TiB): the last 2077 bytes are held back until it is clear they repeat nothing.

Examples:
  qrng read 1M --device sim:qcicada -o random.bin
  qrng read 32 --device tcp://10.0.0.5 --format hex
  qrng read 1G --device serial:/dev/ttyUSB0 | head -c 16 | xxd
`;

const FLAGS = {
  device: { type: "string" },
  output: { type: "string", short: "o" },
  append: { type: "boolean" },
  format: { type: "string" },
  signed: { type: "boolean" },
  ...HEALTH_FLAGS,
  json: { type: "boolean" },
  ...POSTPROCESS_FLAGS,
  "cts-timeout": { type: "string" },
} as const;

async function run(argv: string[], platform: Platform): Promise<number> {
  const { values, positionals } = parseFlags("read", argv, FLAGS, 1);
  if (positionals.length !== 1) throw usageError("qrng read: give a SIZE (e.g. qrng read 1M)");
  const size = parseSize(positionals[0]);
  if (size === 0) throw usageError("qrng read: SIZE must be at least 1");
  const format = values.format ?? "raw";
  if (!isOutputFormat(format)) throw usageError(`qrng read: unknown format '${format}'`);
  if (values.append && values.output === undefined) throw usageError("qrng read: --append needs -o FILE");
  const h = values.h !== undefined
    ? await resolveHFlag("read", values.h, "bytes", platform)
    : DEFAULT_H_PER_BYTE;
  const alphaLog2 = values.alpha !== undefined ? parseAlphaFlag("read", values.alpha) : DEFAULT_ALPHA_LOG2;
  const postprocess = postprocessOptions("read", values);
  const log = (line: string) => platform.writeStderr(`qrng read: ${printable(line)}\n`);
  const uri = withCtsTimeout(values.device ?? await resolveDevice(), values["cts-timeout"], "read");
  // Ctrl-C, SIGTERM or SIGHUP end every wait of the source (kind "interrupted") the same way:
  // the device is stopped and FILE left unchanged (a FIFO or device keeps what went out).
  const interruption = new AbortController();
  let interruptedBy: InterruptSignal | undefined;
  let source: GatedReader | undefined;
  let sink: OutputSink | undefined;
  const unsubscribe = platform.onInterrupt((signal) => {
    interruptedBy ??= signal;
    interruption.abort();
  });
  const started = platform.now();
  let written = 0;
  /** When the last byte was written: the rate counts the transfer, not the STOP after it. */
  let lastByteAt = started;
  let committed = false;
  const interrupted = async () => {
    await source?.close().catch(() => {});
    await sink?.abort();
    const by = interruptedBy === undefined || interruptedBy === "SIGINT" ? "" : ` by ${interruptedBy}`;
    const kept = sink?.streams ?? false;
    const output = values.output === undefined || values.output === "-"
      ? ""
      : kept
      ? `; those went out to ${values.output}`
      : `; ${values.output} left unchanged`;
    log(`interrupted${by} after ${written} bytes${output}`);
    return INTERRUPTED_EXIT_STATUS[interruptedBy ?? "SIGINT"];
  };
  try {
    // Opening a FIFO waits for its reader: an interruption ends that wait too.
    sink = await OutputSink.open(platform, values.output, values.append ?? false, interruption.signal);
    source = await GatedReader.open(uri, {
      platform,
      bytesWanted: size,
      h,
      alphaLog2,
      postprocess,
      signed: values.signed,
      log,
      signal: interruption.signal,
    });
    if (source.emulated) {
      log(`WARNING: ${uri} is an emulator: its data is a reproducible stream, NOT random`);
    }
    const formatter = new Formatter(format);
    const progress = platform.isTerminal("stderr");
    let shownAt = started;
    const reclaimer = new MemoryReclaimer(READ_RECLAIM_EVERY_BYTES);
    while (written < size && !interruption.signal.aborted) {
      const released = await source.next();
      if (released.length > 0) {
        const take = Math.min(released.length, size - written);
        await sink.write(formatter.push(released.subarray(0, take)));
        written += take;
        reclaimer.moved(take);
      }
      if (progress && platform.now() - shownAt > PROGRESS_MS) {
        shownAt = platform.now();
        const rate = written / ((shownAt - started) / 1000);
        platform.writeStderr(`\r${formatBytes(written)} of ${formatBytes(size)}  ${formatRate(rate)}   `);
      }
    }
    if (progress) platform.writeStderr("\r\x1b[K");
    if (interruption.signal.aborted) return await interrupted();
    for (const line of source.postprocess.report()) log(`post-processing ${line}`);
    lastByteAt = platform.now();
    // The last health verdict and the device's final status are judged before anything is committed.
    await source.finish();
    await sink.write(formatter.end());
    await sink.commit();
    committed = true;
  } catch (error) {
    if (error instanceof QrngError && error.kind === "interrupted") return await interrupted();
    await source?.close().catch(() => {});
    if (!committed) await sink?.abort();
    if (error instanceof QrngError && error.kind === "closed") return 0; // `| head -c 16`: enough
    throw error;
  } finally {
    unsubscribe();
  }
  const elapsedMs = lastByteAt - started;
  const health = source.health;
  const stats = health.stats();
  const dropped = stats.windowsFailed * health.gate.windowBytes;
  if (stats.windowsFailed > 0) {
    log(
      `health: dropped ${stats.windowsFailed} failing window(s) (${dropped} bytes, never output); ` +
        `ideal data would fail ${health.expectedFailures(stats.windowsTested).toPrecision(2)} on average`,
    );
  }
  if (values.json) {
    const summary = {
      device: source.description,
      emulated: source.emulated,
      bytes: written,
      format,
      output: values.output ?? "-",
      elapsedMs: Math.round(elapsedMs),
      bytesPerSecond: Math.round(written / (elapsedMs / 1000)),
      health: {
        windowBytes: health.gate.windowBytes,
        windowsTested: stats.windowsTested,
        windowsFailed: stats.windowsFailed,
        bytesDropped: dropped,
        rctFailures: stats.rctFailures,
        aptFailures: stats.aptFailures,
        cutoffs: { rct: health.gate.cutoffs.rct, apt: health.gate.cutoffs.apt },
        repetition: {
          stretchBytes: health.gate.repetition!.stretchBytes,
          nearStretchBytes: health.gate.repetition!.nearStretchBytes,
          repeats: stats.repetition!.repeats,
        },
      },
    };
    const text = JSON.stringify(summary) + "\n";
    if (values.output && values.output !== "-") await platform.stdout.write(new TextEncoder().encode(text));
    else platform.writeStderr(text);
  }
  return 0;
}

/** The read command. */
export const readCommand: Command = {
  name: "read",
  summary: "Read SIZE health-tested random bytes from a device",
  help: HELP,
  run,
};
