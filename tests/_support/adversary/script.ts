/**
 * The fault script of the adversarial Cmd&Ctrl device: typed JSON saying how the device
 * misbehaves. Protocol faults (flags, STOP, resized replies, replays, data patterns, ready
 * bytes) are applied by FaultyMachine around the emulator's state machine; wire faults (latency,
 * datagrams) by FaultyLink around the transport. An empty script is a faithful emulator.
 */
import { STATUS_FLAGS } from "../../../wasm/cmdctrl.ts";

/** A status flag by its name in wasm/cmdctrl_views.ts (bit 0 "started" upward). */
export type StatusFlag = typeof STATUS_FLAGS[number];

/** Which status-carrying replies a {@link FlagFault} alters. */
export type StatusReply =
  /** GET_STATUS answers (the host asks at open and while waiting for ready bytes). */
  | "status"
  /** Any status sent while the startup test runs (startup_test_in_progress set). */
  | "startup"
  /** The ACK of a one-shot START. */
  | "one-shot"
  /** The ACK of a continuous START. */
  | "start"
  /** The answer to a STOP that ends a stream (a periodic check or the final STOP). */
  | "stop";

/** Raise or clear status flags in some replies. */
export interface FlagFault {
  in: StatusReply;
  /** Flags to set. @default [] */
  raise?: StatusFlag[];
  /** Flags to clear (e.g. "started"). @default [] */
  clear?: StatusFlag[];
  /** First matching reply to alter, counting from 1. @default 1 */
  from?: number;
  /** How many matching replies to alter. @default all from `from` on */
  count?: number;
}

/** Cut or lengthen one reply. */
export interface ResizeFault {
  /** The command whose reply is resized, by its name in CMD (e.g. "GET_STATUS", "START"). */
  command: string;
  /** The response (code and payload) or the random data that follows it. */
  part: "response" | "data";
  /** Bytes to add (foreign bytes, never recorded as data) or, when negative, to cut. */
  bytes: number;
  /** Which reply to that command, counting from 1. @default 1 */
  nth?: number;
}

/** Datagram faults (UDP and the TCP+UDP data channel), on data datagrams only. */
export interface DatagramFaults {
  /** Send every Nth data datagram twice. */
  duplicateEvery?: number;
  /** Lose every Nth data datagram. */
  dropEvery?: number;
  /** Send every Nth data datagram after the one following it in the same answer. */
  reorderEvery?: number;
  /** After every Nth data datagram, a foreign datagram from another port to the host. */
  injectEvery?: number;
}

/** The whole script. */
export interface FaultScript {
  /** Seed of the data stream and the keys. @default 1 */
  seed?: number;
  /** Data rate in bytes/s; "max" for as fast as the host reads. @default "max" */
  rate?: number | "max";
  /** Startup test duration after power-up. @default 0 */
  startupMs?: number;
  /** Every reply is delayed by this much... @default 0 */
  latencyMs?: number;
  /** ...plus up to this much more, at random (replies stay in order). @default 0 */
  jitterMs?: number;
  datagrams?: DatagramFaults;
  flags?: FlagFault[];
  /**
   * A STOP that ends a stream is ignored (the stream goes on), obeyed without an answer, or
   * answered while the command right behind it is dropped (a device that discards its input
   * when it stops: the GET_INFO qrng sends behind STOP to mark the end goes unanswered).
   */
  stop?: "ignore" | "no-ack" | "drops-next";
  /**
   * A STOP that ends a stream gets its answer only after data ending in 0x11 and five more
   * bytes (valid data, recorded) and then `pauseMs` of silence: a jittery link pausing where
   * the data looks most like the answer.
   */
  stopTail?: { pauseMs: number };
  resize?: ResizeFault[];
  /**
   * Foreign bytes nobody asked for, sent as data (by datagram on TCP+UDP) right after every
   * answer to `after` (a command name in CMD), `count` datagrams' worth.
   */
  strays?: { after: string; count: number };
  /** Every later one-shot (or signed read) answers with the first one's data (and signature). */
  replay?: "one-shot" | "signed";
  /** Data content: a 0..255 counter, or the first `periodBytes` of the stream over and over. */
  pattern?: "counter" | { periodBytes: number };
  /** ready_bytes reported in every status, whatever the device holds (0: never ready). */
  readyBytes?: number;
}

const KEYS: Record<keyof FaultScript, true> = {
  seed: true,
  rate: true,
  startupMs: true,
  latencyMs: true,
  jitterMs: true,
  datagrams: true,
  flags: true,
  stop: true,
  stopTail: true,
  resize: true,
  strays: true,
  replay: true,
  pattern: true,
  readyBytes: true,
};

/** Parses and checks a script given as JSON text; throws a one-line Error naming the problem. */
export function parseFaultScript(text: string): FaultScript {
  let script: unknown;
  try {
    script = JSON.parse(text);
  } catch (error) {
    throw new Error(`fault script is not JSON: ${(error as Error).message}`);
  }
  if (typeof script !== "object" || script === null || Array.isArray(script)) {
    throw new Error("fault script must be an object");
  }
  for (const key of Object.keys(script)) {
    if (!(key in KEYS)) {
      throw new Error(`fault script: unknown key '${key}' (known: ${Object.keys(KEYS).join(", ")})`);
    }
  }
  const s = script as FaultScript;
  for (const rule of s.flags ?? []) {
    for (const flag of [...rule.raise ?? [], ...rule.clear ?? []]) {
      if (!STATUS_FLAGS.includes(flag)) throw new Error(`fault script: unknown status flag '${flag}'`);
    }
  }
  return s;
}
