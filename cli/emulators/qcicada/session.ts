/**
 * Runs a {@link QcicadaMachine} over a Transport: answers commands and, while streaming, sends
 * data as fast as the rate and the transport allow. One loop serves the pty, TCP, UDP and
 * in-process adapters; TCP+UDP passes a separate data channel.
 */
import { setImmediate } from "node:timers";
import { QrngError } from "../../errors.ts";
import type { Transport } from "../../transports/transport.ts";
import { ONE_SHOT_MAX_BYTES } from "./constants.ts";
import type { QcicadaMachine } from "./machine.ts";

/** Data per write while streaming. */
export const STREAM_CHUNK_BYTES = 65536;
/** Read wait while idle: how quickly a command is noticed (reads return on arrival anyway). */
const IDLE_READ_MS = 1000;
/** Rate-limited streams go out in bursts of this much time's worth of data. */
const BURST_MS = 10;

/**
 * What a session drives: a {@link QcicadaMachine}, or anything that behaves like one (the
 * tests' misbehaving device wraps it).
 */
export type SessionMachine = Pick<
  QcicadaMachine,
  "receive" | "streaming" | "rateBytesPerS" | "readyBytes" | "msUntilData" | "streamInto"
>;

/** Options of {@link runSession}. */
export interface SessionOptions {
  /** Where streamed data and signed-read data go (TCP+UDP: the UDP side). @default the transport */
  data?: Transport;
  /** Largest data write (UDP: one datagram). @default STREAM_CHUNK_BYTES */
  dataChunkBytes?: number;
  /** Answers to commands go out this late (data streams on undelayed). @default 0 */
  replyDelayMs?: number;
  sleep(ms: number): Promise<void>;
  /** Whether to stop serving (checked between steps). */
  stopped?(): boolean;
}

/** Serves `transport` until it disconnects or `stopped()`; resolves then. */
export async function runSession(
  machine: SessionMachine,
  transport: Transport,
  options: SessionOptions,
): Promise<void> {
  const input = new Uint8Array(4096);
  const chunkBytes = options.dataChunkBytes ?? STREAM_CHUNK_BYTES;
  const dataBuffer = new Uint8Array(chunkBytes);
  const answer = async (bytes: Uint8Array) => {
    const replies = machine.receive(bytes);
    if (replies.length > 0 && options.replyDelayMs) await options.sleep(options.replyDelayMs);
    for (const reply of replies) {
      await (reply.data ? options.data ?? transport : transport).write(reply.bytes);
    }
  };
  // A device another client left streaming has data in flight ahead of anything a new client
  // sends: start with a burst, so that a STOP that arrived with the connection follows data.
  let dataFirst = machine.streaming;
  try {
    while (!options.stopped?.()) {
      const n = dataFirst ? 0 : await transport.read(input, machine.streaming ? 0 : IDLE_READ_MS);
      dataFirst = false;
      if (n > 0) {
        await answer(input.subarray(0, n));
        continue;
      }
      if (!machine.streaming) continue;
      // Send in bursts of about BURST_MS of data, listening for STOP while waiting for them.
      const burst = Math.max(
        1,
        Math.min(chunkBytes, ONE_SHOT_MAX_BYTES, Math.floor(machine.rateBytesPerS * BURST_MS / 1000)),
      );
      if (machine.readyBytes() < burst) {
        const m = await transport.read(input, Math.min(machine.msUntilData(burst), BURST_MS));
        if (m > 0) await answer(input.subarray(0, m));
        continue;
      }
      const count = machine.streamInto(dataBuffer);
      if (count > 0) await (options.data ?? transport).write(dataBuffer.subarray(0, count));
      // A socket that keeps accepting writes resolves them without an I/O turn: yield one so a
      // STOP from the host is seen promptly (a device stops within its in-flight buffer).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    if (!(error instanceof QrngError && error.kind === "disconnected")) throw error;
  }
}
