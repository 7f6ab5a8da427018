/**
 * `qrng feed`: the rngd role. Reads validated bytes through the same fail-closed gate as `qrng
 * read` (cli/sources/gated.ts) and adds them to the Linux kernel's input pool with
 * RNDADDENTROPY (cli/runtime/kernel_random.ts), crediting what the gate vouches for
 * (cli/feed/credit.ts): whenever the kernel asks and at least at a minimum rate
 * (cli/feed/pacing.ts), until stopped or `--bytes N` were fed. Bytes are credited only after
 * the gate's verdict and the device's status on their batch; a failure stops the feeding at
 * once: nothing of its batch and nothing after it is credited.
 */
import { type Command, parseFlags } from "../command.ts";
import { QrngError, usageError } from "../errors.ts";
import { creditBitsPerByte, CreditLedger } from "../feed/credit.ts";
import { Pacer } from "../feed/pacing.ts";
import { INTERRUPTED_EXIT_STATUS, type InterruptSignal, type Platform } from "../platform.ts";
import { POSTPROCESS_FLAGS, postprocessOptions } from "./source_flags.ts";
import { printable } from "../printable.ts";
import { type KernelRandom, openKernelRandom } from "../runtime/kernel_random.ts";
import { GatedReader } from "../sources/gated.ts";
import { DEFAULT_ALPHA_LOG2, DEFAULT_H_PER_BYTE } from "../sources/health.ts";
import { formatBytes, formatRate, parseSize } from "../units.ts";
import { HEALTH_FLAGS, parseAlphaFlag, resolveHFlag } from "./health_flags.ts";
import { resolveDevice } from "./read_device.ts";

/** Bytes added (and credited) per RNDADDENTROPY call: one health window's worth. */
const FEED_CHUNK_BYTES = 512;
/** Bytes per second fed on our own while the kernel does not ask, when running until stopped. */
const DEFAULT_MIN_RATE_BYTES_PER_SECOND = 64;
/** How often the kernel is polled for wanting entropy while the schedule waits. */
const KERNEL_POLL_INTERVAL_MS = 100;
/**
 * Feeding until stopped tells the source it needs this long's worth at the minimum rate: a slow
 * feeder then reads small (a device's one-shots, small requests to a daemon) rather than keep a
 * device streaming or take megabytes from a daemon that it would spend hours feeding, stale,
 * without noticing the daemon had gone.
 */
const OPEN_ENDED_NEED_SECONDS = 10;
/**
 * The most bytes read ahead and judged together: the gate's verdict and the device's status
 * (GatedReader.checkpoint) come before any of them is credited. A continuous device stops for
 * its status (a round trip, or ~100 ms of quiet from a device that drops the GET_INFO behind
 * STOP), so each judged batch costs a stop and a restart.
 */
const JUDGED_BATCH_MAX_BYTES = 1 << 20;

const HELP = `Usage: qrng feed [--device URI] [--bytes N] [--min-rate R] [--h H] [options]

Adds health-tested random bytes to the Linux kernel's entropy pool, as rngd does:
ioctl(RNDADDENTROPY) on /dev/random, which needs root (CAP_SYS_ADMIN). Each byte is credited
with the min-entropy the health tests were told to expect (--h, 8 bits by default), never more.
Feeds whenever the kernel asks (until its random generator is first seeded, at boot) and on
its own at --min-rate; runs until stopped (SIGTERM, Ctrl-C) or N bytes were fed. A health
failure or device fault stops it with exit status 1: nothing after it is credited.

  --device URI         as qrng read's: serial:/dev/ttyUSB0, tcp://host[:port], sim:qcicada
                       (emulated: not random), or a running qrng serve (unix:/PATH,
                       qrng+tcp://HOST:PORT). Without it: the one QRNG 'qrng list' finds.
  --bytes N            stop after N bytes (64, 4K, 1M as head -c), e.g. to seed once at boot
  --min-rate R         bytes per second fed while the kernel does not ask: 64, 4K, 1M/s, max,
                       or 0 to feed only when asked [${DEFAULT_MIN_RATE_BYTES_PER_SECOND}; with --bytes: max]
  --h H                claimed min-entropy per byte in bits, 1/16 to 8 [${DEFAULT_H_PER_BYTE}], or the JSON
                       of 'qrng assess --bits 8 --json': the health tests' cutoffs and the
                       credit both follow it
  --alpha A            each health test's false-alarm probability [2^${DEFAULT_ALPHA_LOG2}]
  --json               print the summary as JSON
  --xor-fold N         XOR every N bytes into one (each output byte is still credited H)

Credit: H bits per byte fed, in whole bits (the total is floor(H x bytes)). After --xor-fold
N each output byte is still credited H: a fold carries at least one input byte's min-entropy,
and no more can be claimed. --debias von-neumann is refused: no min-entropy bound survives it.
The kernel counts credit only until its generator is first seeded; after that the bytes are
still mixed into its pool, which reseeds the generator every minute.

Output: what was credited (bytes, bits, rate) when the feeding ends.

Examples:
  qrng feed --device serial:/dev/ttyACM0
  qrng feed --device unix:/run/qrng/qrng.sock --min-rate 256
  qrng feed --device sim:qcicada --bytes 1M --json
`;

const FLAGS = {
  device: { type: "string" },
  bytes: { type: "string" },
  "min-rate": { type: "string" },
  ...HEALTH_FLAGS,
  json: { type: "boolean" },
  // --debias is taken only to be refused with the reason (see cli/feed/credit.ts).
  ...POSTPROCESS_FLAGS,
} as const;

/** Parses `--min-rate`: bytes per second as a size ("4K", "4K/s"), "max", or 0. */
function parseMinRate(text: string): number {
  if (text === "max") return Infinity;
  try {
    return parseSize(text.replace(/\/s$/, ""));
  } catch {
    throw usageError(
      `qrng feed: --min-rate needs bytes per second (64, 4K, 1M/s, max, or 0 to feed only when the kernel asks), not '${text}'`,
    );
  }
}

/** Loads the C library the ioctl goes through, or explains why this runtime has none. */
async function openKernel(platform: Platform): Promise<KernelRandom> {
  if (platform.runtime === "node" || !platform.libc) {
    throw new QrngError(
      "unsupported",
      "Cannot feed the kernel under Node: RNDADDENTROPY needs FFI; run qrng with Deno or Bun",
    );
  }
  return openKernelRandom(await platform.libc());
}

async function run(argv: string[], platform: Platform): Promise<number> {
  const { values } = parseFlags("feed", argv, FLAGS);
  const limit = values.bytes !== undefined ? parseSize(values.bytes) : Infinity;
  if (limit === 0) throw usageError("qrng feed: --bytes must be at least 1");
  const minRate = values["min-rate"] !== undefined
    ? parseMinRate(values["min-rate"])
    : limit === Infinity
    ? DEFAULT_MIN_RATE_BYTES_PER_SECOND
    : Infinity;
  const h = values.h !== undefined
    ? await resolveHFlag("feed", values.h, "bytes", platform)
    : DEFAULT_H_PER_BYTE;
  const alphaLog2 = values.alpha !== undefined ? parseAlphaFlag("feed", values.alpha) : DEFAULT_ALPHA_LOG2;
  const postprocess = postprocessOptions("feed", values);
  const ledger = new CreditLedger(creditBitsPerByte("feed", h, postprocess));
  const log = (line: string) => platform.writeStderr(`qrng feed: ${printable(line)}\n`);
  const uri = values.device ?? await resolveDevice();

  // Refuse (not root, not Linux) before any device is touched.
  const kernel = await openKernel(platform);
  const interruption = new AbortController();
  let stoppedBy: InterruptSignal | undefined;
  const unsubscribe = platform.onInterrupt((signal) => {
    stoppedBy ??= signal;
    interruption.abort();
  });
  const started = platform.now();
  let bytesAsked = 0;
  let source: GatedReader | undefined;
  const summary = () => {
    const elapsedMs = platform.now() - started;
    return {
      device: source?.description ?? uri,
      emulated: source?.emulated ?? false,
      bytes: ledger.bytes,
      bits: ledger.bits,
      bitsPerByte: ledger.bitsPerByte,
      bytesAskedByKernel: bytesAsked,
      elapsedMs: Math.round(elapsedMs),
      bytesPerSecond: Math.round(ledger.bytes / (elapsedMs / 1000)),
      stoppedBy: stoppedBy ?? null,
    };
  };
  const credited = () =>
    `credited ${ledger.bits} bits for ${ledger.bytes} bytes (${+ledger.bitsPerByte.toPrecision(
      6,
    )} bits/byte)`;
  const bytesWanted = limit !== Infinity
    ? limit
    : Math.max(FEED_CHUNK_BYTES, minRate * OPEN_ENDED_NEED_SECONDS);
  const batch = new Uint8Array(Math.min(JUDGED_BATCH_MAX_BYTES, bytesWanted));
  /** Judged bytes not credited yet. */
  let judged = batch.subarray(0, 0);
  try {
    source = await GatedReader.open(uri, {
      platform,
      bytesWanted,
      h,
      alphaLog2,
      postprocess,
      log,
      signal: interruption.signal,
    });
    if (source.emulated) {
      log(
        `WARNING: ${uri} is an emulator: its data is a reproducible stream, NOT random, and the kernel is credited for it all the same`,
      );
    }
    const pacer = new Pacer(minRate, started);
    while (ledger.bytes < limit) {
      const turn = await waitForTurn(platform, kernel, pacer, interruption.signal);
      if (turn === "stopped") break;
      if (judged.length === 0) {
        judged = batch.subarray(0, Math.min(batch.length, limit - ledger.bytes));
        await source.readInto(judged);
        // The health verdict and the device's status on everything read so far come before any of it is credited.
        await source.checkpoint();
      }
      const bytes = judged.subarray(0, FEED_CHUNK_BYTES);
      judged = judged.subarray(bytes.length);
      kernel.add(bytes, ledger.creditFor(bytes.length));
      bytes.fill(0);
      ledger.record(bytes.length);
      pacer.record(bytes.length);
      if (turn === "asked") bytesAsked += bytes.length;
    }
    if (!interruption.signal.aborted) {
      for (const line of source.postprocess.report()) log(`post-processing ${line}`);
      await source.finish();
    }
  } catch (error) {
    if (!(error instanceof QrngError && error.kind === "interrupted")) {
      if (source) log(`stopped: ${credited()} before the failure`);
      throw error;
    }
  } finally {
    // After finish() this only confirms the device is released; otherwise it stops it.
    await source?.close().catch(() => {});
    batch.fill(0);
    kernel.close();
    unsubscribe();
  }
  const result = summary();
  const text = values.json
    ? JSON.stringify(result) + "\n"
    : `qrng feed: ${credited()} from ${printable(result.device)} in ${
      (result.elapsedMs / 1000).toFixed(1)
    } s ` +
      `(${formatRate(result.bytesPerSecond)}; the kernel asked for ${formatBytes(bytesAsked)})` +
      `${stoppedBy ? `; stopped by ${stoppedBy}` : ""}\n`;
  await platform.stdout.write(new TextEncoder().encode(text));
  // Until stopped is a feeder's normal end; stopped short of --bytes N is not.
  return stoppedBy && limit !== Infinity && ledger.bytes < limit ? INTERRUPTED_EXIT_STATUS[stoppedBy] : 0;
}

/**
 * Waits until the next bytes are due: "asked" when the kernel polls writable, "paced" when the
 * minimum rate's schedule wants them, "stopped" when `signal` aborted.
 */
async function waitForTurn(
  platform: Platform,
  kernel: KernelRandom,
  pacer: Pacer,
  signal: AbortSignal,
): Promise<"asked" | "paced" | "stopped"> {
  for (;;) {
    if (signal.aborted) return "stopped";
    if (kernel.wantsEntropy()) return "asked";
    const waitMs = pacer.waitMs(platform.now());
    if (waitMs === 0) return "paced";
    await platform.sleep(Math.min(waitMs, KERNEL_POLL_INTERVAL_MS));
  }
}

/** The feed command. */
export const feedCommand: Command = {
  name: "feed",
  summary: "Feed health-tested bytes to the Linux kernel's entropy pool (as rngd)",
  help: HELP,
  run,
};
