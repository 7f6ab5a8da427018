/**
 * When has STOP been answered? A stopped stream ends with ACK and the 5-byte status, after the
 * data still in flight, with no framing to tell the two apart (spec §4). The reference clients
 * wait for 100 ms of silence and then look at the last 6 bytes; over a network 300 ms away
 * that silence comes before the answer does, and the late answer is then read as the reply to
 * the next command. So the wait is driven by the protocol instead: until the bytes received
 * end like an answer, wait for more with the response timeout; once they do, they count as the
 * answer when the line then stays quiet.
 *
 * How quiet: STOP_QUIET_MS, or twice the longest pause seen between arrivals after this STOP if
 * that is longer (a jittery link pauses mid-stream, and data that happens to end in 0x11 and
 * five more bytes must not pass for the answer during such a pause). An idle device answers
 * with the 6 bytes alone: nothing follows them, so a short quiet suffices.
 *
 * What counts as an answer: ACK and a status whose ready_bytes a device can report (at most
 * MAX_ANSWER_READY_BYTES). Random data ends in 0x11 once in 256 pauses; with a plausible
 * ready_bytes after it (its top 12 bits zero) once in 2^20, so a pause longer than the quiet
 * rule foresaw at the wrong moment no longer passes the data's tail off as the device's status.
 *
 * With a marker (a command with a known answer sent right behind STOP, see driver.ts) no quiet
 * is needed: the decoder finds the end where that answer follows the ACK and status. The watch
 * then waits the answer timeout throughout, and falls back to the quiet rule's verdict only
 * when nothing came for that long (a device that drops commands sent while it stops): a marker
 * answer delayed by a jittery link is still waited for, never left to be read as the answer to
 * the next command.
 */
import { RESP } from "../../../wasm/cmdctrl.ts";

/** Quiet after an answer's tail: spec §4's 100 ms. */
export const STOP_QUIET_MS = 100;
/** Quiet enough after an idle device's STOP answer (nothing follows an ACK). */
export const IDLE_STOP_QUIET_MS = 10;
/** ACK and its 5-byte status: the answer to STOP. */
export const STOP_ANSWER_BYTES = 6;
/**
 * The most ready_bytes an answer may report: far above the one-shot ceilings devices show
 * (13,440 and 35,200 bytes, spec §4; a one-shot asks for at most 65,535).
 */
export const MAX_ANSWER_READY_BYTES = (1 << 20) - 1;

/** Whether a STOP answer's 5-byte status reports a ready_bytes a device can have. */
export function plausibleStopStatus(status: Uint8Array): boolean {
  return new DataView(status.buffer, status.byteOffset, status.byteLength).getUint32(1, true) <=
    MAX_ANSWER_READY_BYTES;
}

/** Watches the bytes after one STOP; see the module comment. */
export class StopAnswerWatch {
  readonly #tail = new Uint8Array(STOP_ANSWER_BYTES);
  readonly #answerTimeoutMs: number;
  readonly #markerSent: boolean;
  #received = 0;
  #lastArrival = -1;
  #longestPauseMs = 0;

  /**
   * `answerTimeoutMs`: how long to wait while no answer has been seen; `markerSent`: whether a
   * command with a known answer followed the STOP (every wait is then the answer timeout).
   */
  constructor(answerTimeoutMs: number, markerSent = false) {
    this.#answerTimeoutMs = answerTimeoutMs;
    this.#markerSent = markerSent;
  }

  /** Bytes received after STOP, in order, and when (monotonic ms). */
  received(bytes: Uint8Array, atMs: number): void {
    if (this.#lastArrival >= 0) {
      this.#longestPauseMs = Math.max(this.#longestPauseMs, atMs - this.#lastArrival);
    }
    this.#lastArrival = atMs;
    const keep = Math.min(bytes.length, STOP_ANSWER_BYTES);
    this.#tail.copyWithin(0, keep);
    this.#tail.set(bytes.subarray(bytes.length - keep), STOP_ANSWER_BYTES - keep);
    this.#received += bytes.length;
  }

  /** Whether the bytes so far end like an answer (ACK and a plausible status). */
  get tailSeen(): boolean {
    if (this.#received < STOP_ANSWER_BYTES || this.#tail[0] !== RESP.ACK) return false;
    return plausibleStopStatus(this.#tail.subarray(1));
  }

  /** Bytes received after STOP so far. */
  get receivedBytes(): number {
    return this.#received;
  }

  /** How long the next read may wait: for the answer, or for the quiet that confirms it. */
  waitMs(): number {
    if (!this.tailSeen || this.#markerSent) return this.#answerTimeoutMs;
    if (this.#received === STOP_ANSWER_BYTES) return IDLE_STOP_QUIET_MS;
    return Math.max(STOP_QUIET_MS, 2 * this.#longestPauseMs);
  }
}
