/**
 * Collecting raw samples from a device for `qrng assess --device`. SP 800-90B assesses the noise
 * source itself, before any conditioning:
 *
 * - A Cmd&Ctrl device (QCicada and kin) is switched to its RAW_NOISE post-processing with
 *   n_lsbits set to the symbol width, read by one-shot requests, and its config is put back
 *   afterwards, whatever happens (a failed read, a device fault, Ctrl-C).
 * - The XR232 family has no conditioning to turn off: its bytes are the raw samples.
 *
 * The restart dataset (§3.1.4) is 1000 restarts with 1000 samples read after each: a Cmd&Ctrl
 * device is RESET (its startup test runs again) before each row.
 */
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import type { CmdCtrlDevice } from "../devices/cmdctrl/driver.ts";
import { openCmdCtrl } from "../sources/cmdctrl.ts";
import { openSource } from "../sources/registry.ts";
import { parseDeviceUri } from "../uri.ts";
import { type Config, POSTPROCESS, statusFaults } from "../../wasm/cmdctrl.ts";
import { unlessAborted } from "../transports/abortable.ts";
import { printable } from "../printable.ts";

/** The URI schemes of Cmd&Ctrl devices, whose post-processing can be switched to raw noise. */
const CMDCTRL_SCHEMES = new Set(["serial", "tcp", "udp", "tcpudp"]);
/** The largest one-shot request the protocol carries (u16 length). */
const ONE_SHOT_MAX_BYTES = 0xffff;
/** Poll interval while a device has nothing ready or runs its startup test. */
const POLL_MS = 20;
/** How long a device may have nothing ready (or stay in its startup test) before we give up. */
const READY_WAIT_MS = 15_000;

/** What a collection reports as it goes: samples so far and the total it will collect. */
export type CollectProgress = (done: number, total: number) => void;

/** Options of {@link collectSamples} and {@link collectRestarts}. */
export interface CollectOptions {
  platform: Platform;
  /** Device URI (see `qrng list`). */
  uri: string;
  /** Bits per sample: n_lsbits of a Cmd&Ctrl device; an XR232's samples are bytes (8). */
  bits: number;
  /** Ctrl-C: ends the collection (kind "interrupted") after the device's config is restored. */
  signal: AbortSignal;
  onProgress?: CollectProgress;
}

const isCmdCtrl = (uri: string) => {
  const parsed = parseDeviceUri(uri);
  return CMDCTRL_SCHEMES.has(parsed.scheme) || (parsed.scheme === "sim" && parsed.target === "qcicada");
};

/** Collects `count` raw samples, one per byte. */
export async function collectSamples(count: number, options: CollectOptions): Promise<Uint8Array> {
  if (isCmdCtrl(options.uri)) {
    return await withRawNoise(options, async (device, description) => {
      const samples = new Uint8Array(count);
      await readInto(device, samples, description, options, (done) => options.onProgress?.(done, count));
      return samples;
    });
  }
  if (options.bits !== 8) {
    throw usageError(`qrng assess: ${options.uri} gives 8-bit raw samples; drop --bits or give --bits 8`);
  }
  return await readRawBytes(count, options);
}

/** Collects `restarts` × `perRestart` samples, the device reset before each row. */
export async function collectRestarts(
  restarts: number,
  perRestart: number,
  options: CollectOptions,
): Promise<Uint8Array> {
  if (!isCmdCtrl(options.uri)) {
    throw usageError(
      `qrng assess: ${options.uri} cannot be reset by command; power-cycle it ${restarts} times, ` +
        `save ${perRestart} samples after each, and give that file to --restart`,
    );
  }
  return await withRawNoise(options, async (device, description) => {
    const rows = new Uint8Array(restarts * perRestart);
    for (let r = 0; r < restarts; r++) {
      await device.reset();
      await readInto(
        device,
        rows.subarray(r * perRestart, (r + 1) * perRestart),
        `${description} after reset ${r + 1}`,
        options,
        (done) => options.onProgress?.(r * perRestart + done, rows.length),
      );
    }
    return rows;
  });
}

/**
 * Opens the Cmd&Ctrl device, switches it to RAW_NOISE with n_lsbits = `bits`, runs `body`, and
 * puts the config back afterwards even when `body` fails or is interrupted.
 */
async function withRawNoise<T>(
  options: CollectOptions,
  body: (device: CmdCtrlDevice, description: string) => Promise<T>,
): Promise<T> {
  const { platform, uri, bits } = options;
  const log = (line: string) => platform.writeStderr(`qrng: ${printable(line)}\n`);
  const { device } = await openCmdCtrl(uri, { platform, log, signal: options.signal });
  const description = `the device on ${device.transport.description}`;
  try {
    const original = await device.config();
    const raw: Config = { ...original, postprocess: POSTPROCESS.indexOf("RAW_NOISE"), nLsbits: bits };
    await device.setConfig(raw);
    log(
      `collecting raw samples: ${description} set to RAW_NOISE with n_lsbits ${bits} (its config is put back afterwards)`,
    );
    try {
      return await body(device, description);
    } finally {
      await restoreConfig(device, original, description);
    }
  } finally {
    await device.close();
  }
}

/**
 * SET_CONFIG back to `original`; the reads after an interruption still work (see
 * abortableTransport), so Ctrl-C does not leave the device in raw mode.
 */
async function restoreConfig(device: CmdCtrlDevice, original: Config, description: string): Promise<void> {
  try {
    await device.setConfig(original);
  } catch (error) {
    throw new QrngError(
      "device",
      `Cannot restore the config of ${description} (set it back with qrng config): ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
}

/** Fills `into` by one-shot reads, waiting out the startup test and empty pools. */
async function readInto(
  device: CmdCtrlDevice,
  into: Uint8Array,
  description: string,
  options: CollectOptions,
  progress: (done: number) => void,
): Promise<void> {
  const mask = (1 << options.bits) - 1;
  let have = 0;
  let waitingSince = options.platform.now();
  while (have < into.length) {
    const status = await device.status();
    const faults = statusFaults(status);
    if (faults.length > 0) {
      throw new QrngError(
        "device",
        `${description} reports a failing health test or supply: ${faults.join(", ")}`,
      );
    }
    const ready = status.startupTestInProgress || !status.started ? 0 : status.readyBytes;
    if (ready === 0) {
      if (options.platform.now() - waitingSince > READY_WAIT_MS) {
        throw new QrngError(
          "timeout",
          `Cannot read raw samples: ${description} had none ready for ${READY_WAIT_MS / 1000} s`,
        );
      }
      await unlessAborted(
        options.platform.sleep(POLL_MS),
        options.signal,
        `read raw samples from ${description}`,
      );
      continue;
    }
    const length = Math.min(ready, into.length - have, ONE_SHOT_MAX_BYTES);
    const { data } = await device.oneShot(length);
    // One sample per byte in its low n_lsbits bits: anything above them is not the sample.
    for (let i = 0; i < length; i++) into[have + i] = data[i] & mask;
    have += length;
    waitingSince = options.platform.now();
    progress(have);
  }
}

/** Reads `count` bytes from any other source (the XR232 family). */
async function readRawBytes(count: number, options: CollectOptions): Promise<Uint8Array> {
  const log = (line: string) => options.platform.writeStderr(`qrng: ${printable(line)}\n`);
  const source = await openSource(options.uri, {
    platform: options.platform,
    sizeHint: count,
    log,
    signal: options.signal,
  });
  try {
    const samples = new Uint8Array(count);
    let have = 0;
    while (have < count) {
      const bytes = await source.next();
      const take = Math.min(bytes.length, count - have);
      samples.set(bytes.subarray(0, take), have);
      have += take;
      options.onProgress?.(have, count);
    }
    await source.finish();
    return samples;
  } finally {
    await source.close();
  }
}
