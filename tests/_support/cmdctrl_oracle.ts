/**
 * An oracle for Cmd&Ctrl answers written from the spec (../shared/spec/cmdctrl.md §1-§4), not
 * from the codec: it decides whether the bytes a device sent are a valid answer to a command
 * and, if so, which values the host must report. The decoder fuzz test holds the real driver
 * to it.
 *
 * Rules it applies:
 * - A response is its code byte, then exactly the payload size fixed by that code; data and a
 *   signature follow where the command says so. NACK (0x12) is the only failure answer; any
 *   other code than the expected one is a protocol error; too few bytes is a failure (the
 *   device went silent or closed).
 * - Bytes after a complete valid answer are not part of it: the answer stands with its own
 *   values, and the extra bytes are stale input the host flushes before its next command (they
 *   must never be taken for the next answer). A continuous stream has no end, so everything
 *   after its ACK + status is data.
 * - STOP of a stream succeeds when the line goes quiet and the last 6 bytes were ACK + status;
 *   the bytes before them are data in flight. A line that closes instead never confirmed it.
 *   qrng's own rule beyond the spec: the status must report a ready_bytes a device can have
 *   (at most MAX_ANSWER_READY_BYTES); otherwise the tail is data that ends in 0x11 by chance.
 * - qrng's marker: when a command with a known answer followed the STOP, the stream ends at the
 *   first place where ACK, five status bytes and that answer follow one another (a status that
 *   is not plausible there means the STOP went unanswered); what follows is stale input. With
 *   no such place the device dropped the command, and the rule above applies.
 * - Field values pass through as sent (reserved bits ignored, strings NUL-terminated, one
 *   character per byte): judging a status's flags is the caller's business, not the decoder's.
 */
import { Buffer } from "node:buffer";
import { MAX_ANSWER_READY_BYTES } from "../../cli/devices/cmdctrl/stop_answer.ts";

/** Response payload sizes by code (spec §2). */
export const RESPONSE_PAYLOAD_BYTES: ReadonlyMap<number, number> = new Map([
  [0x11, 5],
  [0x12, 0],
  [0x17, 12],
  [0x19, 30],
  [0x1b, 56],
  [0x21, 0],
  [0x24, 32],
  [0x43, 5],
  [0x52, 0],
  [0xf8, 0],
  [0xf9, 64],
  [0xfb, 64],
]);
/** The failure answer. */
export const NACK = 0x12;
/** ACK, which also ends a STOP. */
export const ACK = 0x11;
/** Bytes of ACK + status at the end of a stopped stream. */
const STOP_TAIL_BYTES = 6;

/** What a command's answer looks like on the wire. */
export type Shape =
  /** code, payload, then `dataBytes` random bytes and `signatureBytes` of signature. */
  | { kind: "frame"; code: number; dataBytes: number; signatureBytes: number }
  /** ACK + status, then data until the line ends. */
  | { kind: "stream" }
  /** Data in flight, then ACK + status, then silence. */
  | { kind: "stop-tail" }
  /** Data in flight, then ACK + status, then `marker` (the known answer to a command behind STOP). */
  | { kind: "stop-marked"; marker: Uint8Array }
  /** REBOOT: 0xF8, or nothing at all (the device may drop off first). */
  | { kind: "reboot" };

/** The parts of a valid answer. */
export interface Answer {
  payload: Uint8Array;
  data: Uint8Array;
  signature: Uint8Array;
  /** REBOOT: whether the device confirmed. */
  confirmed: boolean;
}

/** How the line behaves after the last byte of an answer. */
export type LineEnd = "quiet" | "closed";

/** The oracle's verdict on one answer. */
export type Verdict = { valid: true; answer: Answer } | { valid: false; nack: boolean };

const EMPTY: Uint8Array = new Uint8Array(0);

/** Judges `bytes` as the answer of shape `shape`, the line then going `end`. */
export function judgeAnswer(shape: Shape, bytes: Uint8Array, end: LineEnd): Verdict {
  const answer = (payload: Uint8Array, data = EMPTY, signature = EMPTY, confirmed = true): Verdict => ({
    valid: true,
    answer: { payload, data, signature, confirmed },
  });
  const stopAnswer = (at: number): Verdict =>
    le(bytes).getUint32(at + 2, true) > MAX_ANSWER_READY_BYTES
      ? { valid: false, nack: false }
      : answer(bytes.subarray(at + 1, at + STOP_TAIL_BYTES), bytes.subarray(0, at));
  if (shape.kind === "stop-marked") {
    const { marker } = shape;
    for (let at = 0; at + STOP_TAIL_BYTES + marker.length <= bytes.length; at++) {
      const after = bytes.subarray(at + STOP_TAIL_BYTES, at + STOP_TAIL_BYTES + marker.length);
      if (bytes[at] === ACK && Buffer.from(after).equals(marker)) return stopAnswer(at);
    }
    return judgeAnswer({ kind: "stop-tail" }, bytes, end);
  }
  if (shape.kind === "stop-tail") {
    const at = bytes.length - STOP_TAIL_BYTES;
    if (end !== "quiet" || at < 0 || bytes[at] !== ACK) return { valid: false, nack: false };
    return stopAnswer(at);
  }
  if (bytes.length === 0) {
    return shape.kind === "reboot" ? answer(EMPTY, EMPTY, EMPTY, false) : { valid: false, nack: false };
  }
  if (bytes[0] === NACK) return { valid: false, nack: true };
  const code = shape.kind === "frame" ? shape.code : shape.kind === "stream" ? ACK : 0xf8;
  if (bytes[0] !== code) return { valid: false, nack: false };
  const payloadEnd = 1 + RESPONSE_PAYLOAD_BYTES.get(code)!;
  if (shape.kind === "stream") {
    return bytes.length < payloadEnd
      ? { valid: false, nack: false }
      : answer(bytes.subarray(1, payloadEnd), bytes.subarray(payloadEnd));
  }
  const dataEnd = payloadEnd + (shape.kind === "frame" ? shape.dataBytes : 0);
  const signatureEnd = dataEnd + (shape.kind === "frame" ? shape.signatureBytes : 0);
  if (bytes.length < signatureEnd) return { valid: false, nack: false };
  return answer(
    bytes.subarray(1, payloadEnd),
    bytes.subarray(payloadEnd, dataEnd),
    bytes.subarray(dataEnd, signatureEnd),
  );
}

const le = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Status flag bits 0..7 in the spec's order (§3), under the binding's names. Written again here on
 * purpose rather than imported: the oracle must not trust the binding's bit order.
 */
const STATUS_BITS = [
  "started",
  "startupTestInProgress",
  "voltageLow",
  "voltageHigh",
  "voltageUndefined",
  "bitcount",
  "repetitionCount",
  "adaptiveProportion",
];
/** Config flag bits 0..5 (bits 6-7 are reserved). */
const CONFIG_BITS = [
  "startupTest",
  "autoCalibration",
  "repetitionCount",
  "adaptiveProportion",
  "bitCount",
  "generateOnError",
];

const bits = (byte: number, names: string[]) =>
  Object.fromEntries(names.map((name, bit) => [name, (byte >> bit & 1) === 1]));

/** The values of a status payload: flags, then ready bytes (u32 LE). */
export function statusValue(p: Uint8Array): Record<string, unknown> {
  return { ...bits(p[0], STATUS_BITS), readyBytes: le(p).getUint32(1, true) };
}

/** The values of a config payload. */
export function configValue(p: Uint8Array): Record<string, unknown> {
  const v = le(p);
  return {
    postprocess: p[0],
    initialLevel: v.getFloat32(1, true),
    ...bits(p[5], CONFIG_BITS),
    nLsbits: p[6],
    hashInputSize: p[7],
    blockSize: v.getUint16(8, true),
    autocalibrationTarget: v.getUint16(10, true),
  };
}

/** The values of a statistics payload; the byte count is a 64-bit integer. */
export function statisticsValue(p: Uint8Array): Record<string, unknown> {
  const v = le(p);
  return {
    generatedBytes: v.getBigUint64(0, true),
    repetitionCountFailures: v.getUint32(8, true),
    adaptiveProportionFailures: v.getUint32(12, true),
    bitcountFailures: v.getUint32(16, true),
    speed: v.getUint32(20, true),
    sensifAverage: v.getUint16(24, true),
    ledctrlLevel: v.getFloat32(26, true),
  };
}

const text = (field: Uint8Array) => {
  const nul = field.indexOf(0);
  return Array.from(nul < 0 ? field : field.subarray(0, nul), (b) => String.fromCharCode(b)).join("");
};

/** The values of an info payload. */
export function infoValue(p: Uint8Array): Record<string, unknown> {
  const v = le(p);
  return {
    coreVersion: v.getUint32(0, true),
    swVersion: v.getUint32(4, true),
    serial: text(p.subarray(8, 32)),
    hwInfo: text(p.subarray(32, 56)),
  };
}

/** The values of an update payload. */
export function updateValue(p: Uint8Array): Record<string, unknown> {
  return { status: p[0], remaining: le(p).getUint32(1, true) };
}

/** checksum8 (spec §1): ones' complement of the 8-bit sum. */
export function checksum8(data: Uint8Array): number {
  let sum = 0;
  for (const b of data) sum = (sum + b) & 0xff;
  return ~sum & 0xff;
}

/**
 * One text for a value, for comparing the driver's result with the oracle's: keys sorted, bytes
 * as hex, NaN as itself.
 */
export function canonical(value: unknown): string {
  if (value instanceof Uint8Array) {
    return `hex:${Buffer.from(value.buffer, value.byteOffset, value.length).toString("hex")}`;
  }
  if (typeof value === "bigint" || typeof value === "number") return `${value}`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${k}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The oracle's value at the precision of the driver's types: a 64-bit count the driver returns
 * as a number is held to the nearest double (a bigint is compared exactly).
 */
export function atDriverPrecision(oracle: unknown, driver: unknown): unknown {
  if (typeof oracle === "bigint") return typeof driver === "number" ? Number(oracle) : oracle;
  if (
    oracle instanceof Uint8Array || !oracle || typeof oracle !== "object" || !driver ||
    typeof driver !== "object"
  ) {
    return oracle;
  }
  const d = driver as Record<string, unknown>;
  return Object.fromEntries(Object.entries(oracle).map(([k, v]) => [k, atDriverPrecision(v, d[k])]));
}
