/**
 * Starts the misbehaving XR232 (xr232_main.ts) for a test, and checks `qrng read`'s output
 * against what it recorded sending.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../cli.ts";
import { startUriChild } from "../uri_child.ts";

/** A running misbehaving XR232. */
export interface RunningXr232 {
  uri: string;
  /** Stops it; resolves its log and every byte it sent to the host, in order. */
  stop(): Promise<{ log: string; sent: Buffer }>;
}

/** What to start. */
export interface Xr232AdversaryOptions {
  kind?: "xr232usb" | "xr232";
  seed?: number;
  /** The fault script (see xr232_device.ts). */
  faults: string;
  /** Where the child records what it sends (the caller removes it). */
  record: string;
}

/** Starts a misbehaving XR232 on a fresh pty. */
export async function startFaultyXr232(o: Xr232AdversaryOptions): Promise<RunningXr232> {
  const child = await startUriChild(join(ROOT, "node_modules", ".bin", "bun"), [
    join(ROOT, "tests/_support/adversary/xr232_main.ts"),
    "--kind",
    o.kind ?? "xr232usb",
    "--seed",
    String(o.seed ?? 1),
    "--faults",
    o.faults,
    "--record",
    o.record,
  ]);
  return {
    uri: child.uri,
    async stop() {
      const { stderr } = await child.stop();
      return { log: stderr, sent: readFileSync(o.record) };
    },
  };
}

/** How far the output may reach past a fault: the health gate judges whole 512-byte windows. */
export const WINDOW_BYTES = 512;
/** Longest stretch of sent bytes the host may skip between two output bytes (a reopen drops what was in flight). */
const MAX_SKIPPED_BYTES = 8192;
/** Bytes matched at once when looking for where the output continues in what was sent. */
const ANCHOR_BYTES = 8;

/**
 * Where each byte of `out` came from in `sent`, or the first violation: the output must be
 * stretches of what the device sent, in the order sent, each byte used once (nothing invented,
 * none twice), skipping at most MAX_SKIPPED_BYTES at a time (what a reopen drops). Resolves the
 * position in `sent` just after the last output byte.
 */
export function traceOutput(
  out: Uint8Array,
  sent: Uint8Array,
  from = 0,
): { end: number } | { violation: string } {
  const sentBuffer = Buffer.from(sent.buffer, sent.byteOffset, sent.byteLength);
  let p = from;
  let i = 0;
  while (i < out.length) {
    let q = -1;
    // The longest anchor first; shorter ones only where a reopen cut a stretch short.
    for (let anchor = Math.min(ANCHOR_BYTES, out.length - i); anchor > 0 && q < 0; anchor--) {
      const at = sentBuffer.indexOf(out.subarray(i, i + anchor), p);
      if (at >= 0 && at - p <= MAX_SKIPPED_BYTES) q = at;
    }
    if (q < 0) {
      return {
        violation: `output byte ${i} (0x${
          out[i].toString(16)
        }) is not among the next bytes the device sent after byte ${p}`,
      };
    }
    let length = 0;
    while (i + length < out.length && q + length < sent.length && sent[q + length] === out[i + length]) {
      length++;
    }
    i += length;
    p = q + length;
  }
  return { end: p };
}
