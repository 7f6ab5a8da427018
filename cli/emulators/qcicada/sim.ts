/**
 * `sim:qcicada`: the emulator in the host's own process, behind an in-process pipe, so the real
 * driver talks to it exactly as to a device. Options: `sim:qcicada?seed=7&rate=max` (default
 * max), `startup=MS` (default 0), `stuck=BYTES`, `tamper=1` (see `qrng emulate qcicada`).
 */
import { describeError, usageError } from "../../errors.ts";
import type { Platform } from "../../platform.ts";
import { memoryPipe } from "../../transports/memory_pipe.ts";
import type { Transport } from "../../transports/transport.ts";
import { checkUriParams, type DeviceUri } from "../../uri.ts";
import { QcicadaMachine } from "./machine.ts";
import { parseRate, parseSeed, parseWholeNumber } from "./options.ts";
import { runSession } from "./session.ts";

function parseFlagParam(uri: DeviceUri, name: string): boolean {
  const value = uri.params[name];
  if (value !== undefined && value !== "0" && value !== "1") {
    throw usageError(`invalid ${name} '${value}' in device '${uri.text}' (0 or 1)`);
  }
  return value === "1";
}

/** Starts an in-process QCicada; resolves the host's end of the pipe. */
export function startSimQcicada(uri: DeviceUri, platform: Platform): Transport {
  checkUriParams(uri, ["seed", "rate", "startup", "stuck", "tamper"]);
  const machine = new QcicadaMachine({
    seed: parseSeed(uri.params.seed),
    rateBytesPerS: parseRate(uri.params.rate ?? "max"),
    now: () => platform.now(),
    startupMs: uri.params.startup !== undefined ? parseWholeNumber(uri.params.startup, "startup") : 0,
    stuckAfterBytes: uri.params.stuck !== undefined ? parseWholeNumber(uri.params.stuck, "stuck") : undefined,
    tamperSignatures: parseFlagParam(uri, "tamper"),
  });
  const [host, device] = memoryPipe("sim:qcicada");
  // runSession resolves when the host closes; anything it throws is an emulator fault, which the
  // host would otherwise see only as a device that stopped answering.
  void runSession(machine, device, { sleep: (ms) => platform.sleep(ms) }).catch((error) => {
    platform.writeStderr(`qrng: ${uri.text} emulator failed: ${describeError(error)}\n`);
    return device.close();
  });
  return host;
}
