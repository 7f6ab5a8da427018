/**
 * The output invariant of `qrng read`, checked against what the device recorded sending.
 *
 * The health gate releases whole 512-byte windows of the received stream after 1024 start-up
 * bytes, so every aligned 32-byte chunk of correct output is 32 consecutive bytes the device
 * sent as data (32 divides both; data datagrams are whole chunks, see faulty_link.ts). The
 * output is cut into such chunks (the last may be shorter) and each must:
 * - occur in the device's data (nothing invented: no foreign byte, no seam of two duplicated
 *   datagrams, no byte of a reply);
 * - occur nowhere else in the output (none twice: a byte the device sent once is output once);
 * - have been sent before the device's first fault (nothing after a failure), when there was one.
 * Chunk order is not checked: reordered datagrams are undetectable and harmless.
 */
import type { DeviceRecord } from "./record.ts";

/** Bytes per checked chunk: divides the gate's start-up (1024) and window (512) sizes. */
export const CHECK_CHUNK_BYTES = 32;
/** Violations listed in full; the rest are counted. */
const SHOWN_VIOLATIONS = 5;

/** Where each CHECK_CHUNK_BYTES-long stretch of `data` starts, by content (chained hash). */
class ChunkIndex {
  readonly #data: Uint8Array;
  readonly #view: DataView;
  readonly #heads: Int32Array;
  readonly #next: Int32Array;
  readonly #shift: number;

  constructor(data: Uint8Array) {
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const positions = Math.max(0, data.length - CHECK_CHUNK_BYTES + 1);
    const bits = Math.max(4, Math.ceil(Math.log2(positions + 1)));
    this.#shift = 32 - bits;
    this.#heads = new Int32Array(1 << bits).fill(-1);
    this.#next = new Int32Array(positions);
    // Inserted last to first, so that chains list earlier positions first.
    for (let p = positions - 1; p >= 0; p--) {
      const slot = this.#slot(this.#view, p);
      this.#next[p] = this.#heads[slot];
      this.#heads[slot] = p;
    }
  }

  #slot(view: DataView, at: number): number {
    return Math.imul(
      view.getUint32(at, true) ^ Math.imul(view.getUint32(at + 4, true), 0x9e3779b1),
      0x85ebca6b,
    ) >>> this.#shift;
  }

  /** The earliest position where `chunk` (CHECK_CHUNK_BYTES long) occurs, or -1. */
  first(chunk: Uint8Array): number {
    if (this.#next.length === 0) return -1;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let p = this.#heads[this.#slot(view, 0)]; p >= 0; p = this.#next[p]) {
      if (equalAt(this.#data, p, chunk)) return p;
    }
    return -1;
  }
}

function equalAt(data: Uint8Array, at: number, chunk: Uint8Array): boolean {
  for (let i = 0; i < chunk.length; i++) if (data[at + i] !== chunk[i]) return false;
  return true;
}

/** Every way `output` breaks the invariant (see the module comment); empty when it holds. */
export function outputViolations(output: Uint8Array, record: DeviceRecord): string[] {
  const index = new ChunkIndex(record.data);
  const seen = new Map<string, number>();
  const found: string[] = [];
  const note = (text: string) => found.push(text);
  const limit = record.faultAtByte ?? Infinity;
  for (let at = 0; at < output.length; at += CHECK_CHUNK_BYTES) {
    const chunk = output.subarray(at, at + CHECK_CHUNK_BYTES);
    const where = chunk.length === CHECK_CHUNK_BYTES
      ? index.first(chunk)
      : Buffer.from(record.data).indexOf(chunk);
    if (where < 0) {
      note(`output bytes ${at}..${at + chunk.length} were never sent by the device as data (invented)`);
      continue;
    }
    const key = Buffer.from(chunk).toString("latin1");
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      note(`output bytes ${at}..${at + chunk.length} repeat output bytes ${earlier}.. (output twice)`);
    } else seen.set(key, at);
    if (where + chunk.length > limit) {
      note(
        `output bytes ${at}..${
          at + chunk.length
        } were sent at device byte ${where}, after its fault at byte ${limit}`,
      );
    }
  }
  if (found.length <= SHOWN_VIOLATIONS) return found;
  return [...found.slice(0, SHOWN_VIOLATIONS), `... and ${found.length - SHOWN_VIOLATIONS} more`];
}
