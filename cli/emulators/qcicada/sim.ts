/**
 * `sim:qcicada`: the emulator in the host's own process, behind an in-process pipe, so the real
 * driver talks to it exactly as to a device. Options: `sim:qcicada?seed=7&rate=max` (default
 * max), `startup=MS` (default 0), `stuck=BYTES`, `tamper=1` (see `qrng emulate qcicada`).
 */
import { usageError } from "../../errors.ts";
import type { Platform } from "../../platform.ts";
import { memoryPipe } from "../../transports/memory_pipe.ts";
import type { Transport } from "../../transports/transport.ts";
import type { DeviceUri } from "../../uri.ts";
import { DEFAULT_RATE_BYTES_PER_S, QcicadaMachine } from "./machine.ts";
import { runSession } from "./session.ts";

/** Parses a rate option: bytes/s, "max", or a size per second like "1M". */
export function parseRate(text: string | undefined): number {
  if (text === undefined) return DEFAULT_RATE_BYTES_PER_S;
  if (text === "max") return Infinity;
  const match = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(text);
  if (!match || Number(match[1]) <= 0) throw usageError(`invalid rate '${text}' (bytes/s, e.g. 100000, 1M, or max)`);
  return Number(match[1]) * 1024 ** " kmg".indexOf(match[2].toLowerCase() || " ");
}

/** Parses a seed option (an unsigned 32-bit integer). */
export function parseSeed(text: string | undefined): number {
  if (text === undefined) return 1;
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw usageError(`invalid seed '${text}' (0..4294967295)`);
  return seed;
}

/** Starts an in-process QCicada; resolves the host's end of the pipe. */
export function startSimQcicada(uri: DeviceUri, platform: Platform): Transport {
  const machine = new QcicadaMachine({
    seed: parseSeed(uri.params.seed),
    rateBytesPerS: parseRate(uri.params.rate ?? "max"),
    now: () => platform.now(),
    startupMs: uri.params.startup !== undefined ? Number(uri.params.startup) : 0,
    stuckAfterBytes: uri.params.stuck !== undefined ? Number(uri.params.stuck) : undefined,
    tamperSignatures: uri.params.tamper === "1",
  });
  const [host, device] = memoryPipe("sim:qcicada");
  void runSession(machine, device, { sleep: (ms) => platform.sleep(ms) }).catch(() => {});
  return host;
}
