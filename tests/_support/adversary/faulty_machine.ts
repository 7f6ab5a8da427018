/**
 * The protocol half of the adversarial device: the emulator's QcicadaMachine, unchanged, with a
 * layer that alters its replies as a {@link FaultScript} says: status flags and ready_bytes,
 * STOPs ignored or unanswered, replies cut or lengthened, bytes nobody asked for, one-shot and
 * signed blocks replayed, data replaced by periodic patterns. Commands reach the machine one
 * whole command at a time (the machine's own CommandFramer cuts them), so every reply is known
 * to answer a given command. Every data byte sent as an answer is recorded (see record.ts);
 * foreign bytes are counted, never recorded as data.
 */
import { CMD, RESP, STATUS_FLAGS } from "../../../wasm/cmdctrl.ts";
import { deviceSign } from "../../../cli/emulators/qcicada/identity.ts";
import { CommandFramer, QcicadaMachine, type Reply } from "../../../cli/emulators/qcicada/machine.ts";
import type { SessionMachine } from "../../../cli/emulators/qcicada/session.ts";
import { SeededBytes } from "../../../cli/emulators/seeded_bytes.ts";
import { DATA_DATAGRAM_BYTES } from "./faulty_link.ts";
import type { Recorder } from "./record.ts";
import type { FaultScript, FlagFault, StatusReply } from "./script.ts";

/** An ACK carrying a status: the code and five payload bytes. */
const STATUS_ANSWER_BYTES = 6;
/** Data sent ahead of a STOP's answer by the stopTail fault. */
const ANSWER_LIKE_TAIL_BYTES = 64;
const STARTUP_BIT = 1 << STATUS_FLAGS.indexOf("startupTestInProgress");
/** Flags whose raising means the device reports a fault (bit 2 upward: supply and health). */
const FAULT_FLAGS = STATUS_FLAGS.slice(2);
const COMMAND_NAMES = new Map<number, string>(Object.entries(CMD).map(([name, code]) => [code, name]));

/** Where foreign bytes come from: a stream no data stream of the device shares. */
export function foreignStream(seed: number): SeededBytes {
  return new SeededBytes((seed ^ 0x5eed_f00d) >>> 0);
}

/** See the module comment. */
export class FaultyMachine implements SessionMachine {
  readonly inner: QcicadaMachine;
  readonly #script: FaultScript;
  readonly #record: Recorder;
  readonly #foreign: SeededBytes;
  readonly #framer = new CommandFramer();
  /** Replies matched so far, per flag rule. */
  readonly #flagMatches: number[];
  /** Replies sent so far, per command code. */
  readonly #answered = new Map<number, number>();
  readonly #pattern: Uint8Array | undefined;
  #patternAt = 0;
  #firstBlock: { data: Uint8Array; signature?: Uint8Array } | undefined;
  #pauseBeforeReplyMs = 0;
  /** Whether the next command goes unanswered (after a STOP, by the "drops-next" fault). */
  #dropNext = false;

  constructor(script: FaultScript, record: Recorder, now: () => number) {
    const seed = script.seed ?? 1;
    this.inner = new QcicadaMachine({
      seed,
      rateBytesPerS: script.rate === undefined || script.rate === "max" ? Infinity : script.rate,
      startupMs: script.startupMs ?? 0,
      now,
    });
    this.#script = script;
    this.#record = record;
    this.#foreign = foreignStream(seed);
    this.#flagMatches = (script.flags ?? []).map(() => 0);
    const pattern = script.pattern;
    if (pattern === "counter") this.#pattern = Uint8Array.from({ length: 256 }, (_, i) => i);
    else if (pattern) this.#pattern = new SeededBytes(seed).take(pattern.periodBytes);
  }

  get streaming(): boolean {
    return this.inner.streaming;
  }
  get rateBytesPerS(): number {
    return this.inner.rateBytesPerS;
  }
  readyBytes(): number {
    return this.inner.readyBytes();
  }
  msUntilData(bytes?: number): number {
    return this.inner.msUntilData(bytes);
  }

  /** Foreign bytes (strays, injections), counted in the record. */
  foreign(length: number): Uint8Array {
    this.#record.foreign(length);
    return this.#foreign.take(length);
  }

  /** Foreign bytes sent where data goes (by datagram on TCP+UDP): never recorded as data. */
  #foreignData(length: number): Reply {
    return { bytes: this.foreign(length), data: true };
  }

  streamInto(buffer: Uint8Array): number {
    const count = this.inner.streamInto(buffer);
    this.#shape(buffer.subarray(0, count));
    this.#record.data(buffer.subarray(0, count));
    return count;
  }

  receive(bytes: Uint8Array): Reply[] {
    return this.#framer.push(bytes).flatMap((command) => this.#command(command));
  }

  #command(command: Uint8Array): Reply[] {
    if (this.#dropNext) {
      this.#dropNext = false;
      return [];
    }
    const code = command[0];
    const endsStream = code === CMD.STOP && this.inner.streaming;
    this.#dropNext = endsStream && this.#script.stop === "drops-next";
    if (endsStream && this.#script.stop === "ignore") {
      this.#record.fault();
      return [];
    }
    const oneShot = code === CMD.START && command[1] === 1;
    const tail = endsStream && this.#script.stopTail ? this.#answerLikeTail() : undefined;
    const replies = this.inner.receive(command);
    if (endsStream && this.#script.stop === "no-ack") {
      this.#record.fault();
      return [];
    }
    const kind: StatusReply | undefined = code === CMD.GET_STATUS
      ? "status"
      : code === CMD.START
      ? (oneShot ? "one-shot" : "start")
      : endsStream
      ? "stop"
      : undefined;
    const first = replies[0];
    if (first && first.bytes[0] === RESP.ACK && first.bytes.length === STATUS_ANSWER_BYTES) {
      this.#alterStatus(first.bytes, kind);
    }
    const data = replies.find((r) => r.data);
    if (data) {
      this.#shape(data.bytes);
      if (code === CMD.SIGNED_READ) this.#signedBlock(data, replies[2]);
      else if (this.#script.replay === "one-shot") this.#replay(data);
    }
    const nth = (this.#answered.get(code) ?? 0) + 1;
    this.#answered.set(code, nth);
    const resized = this.#resize(code, nth, replies);
    if (data && resized.includes(data)) this.#record.data(data.bytes);
    if (tail) {
      resized.unshift(tail);
      this.#pauseBeforeReplyMs = this.#script.stopTail!.pauseMs;
    }
    const strays = this.#script.strays;
    if (strays && strays.after === COMMAND_NAMES.get(code)) {
      for (let i = 0; i < strays.count; i++) resized.push(this.#foreignData(DATA_DATAGRAM_BYTES));
    }
    return resized;
  }

  /**
   * How long the line is to stay silent before the next answer to a command (then 0 again):
   * the pause after a {@link FaultScript.stopTail}.
   */
  takePauseBeforeReply(): number {
    const ms = this.#pauseBeforeReplyMs;
    this.#pauseBeforeReplyMs = 0;
    return ms;
  }

  /**
   * Data still in flight at a STOP, ending like an answer that reports a fault (stopTail): 0x11,
   * flags started and repetition_count, and a ready_bytes above 2^31 (as random data's almost
   * always is: no device has that many ready).
   */
  #answerLikeTail(): Reply {
    const bytes = new Uint8Array(ANSWER_LIKE_TAIL_BYTES);
    const count = this.inner.streamInto(bytes);
    if (count < STATUS_ANSWER_BYTES) throw new Error("stopTail needs a stream with data ready at the STOP");
    const tail = bytes.subarray(0, count);
    this.#shape(tail);
    const at = count - STATUS_ANSWER_BYTES;
    tail[at] = RESP.ACK;
    tail[at + 1] = 1 << STATUS_FLAGS.indexOf("started") | 1 << STATUS_FLAGS.indexOf("repetitionCount");
    tail[at + 5] |= 0x80;
    this.#record.data(tail);
    return { bytes: tail, data: true };
  }

  /** Flags and ready_bytes of one ACK+status, as the flag rules and readyBytes say. */
  #alterStatus(answer: Uint8Array, kind: StatusReply | undefined): void {
    const kinds = [kind, answer[1] & STARTUP_BIT ? "startup" : undefined];
    (this.#script.flags ?? []).forEach((rule: FlagFault, index) => {
      if (!kinds.includes(rule.in)) return;
      const match = ++this.#flagMatches[index];
      const from = rule.from ?? 1;
      if (match < from || match >= from + (rule.count ?? Infinity)) return;
      for (const flag of rule.raise ?? []) answer[1] |= 1 << STATUS_FLAGS.indexOf(flag);
      for (const flag of rule.clear ?? []) answer[1] &= ~(1 << STATUS_FLAGS.indexOf(flag));
      if ((rule.raise ?? []).some((f) => FAULT_FLAGS.includes(f)) || rule.clear?.includes("started")) {
        this.#record.fault();
      }
    });
    if (this.#script.readyBytes !== undefined) {
      new DataView(answer.buffer, answer.byteOffset + 2, 4).setUint32(0, this.#script.readyBytes, true);
    }
  }

  /** Replaces data by the script's periodic pattern, continuing where the last reply ended. */
  #shape(bytes: Uint8Array): void {
    const pattern = this.#pattern;
    if (!pattern) return;
    for (let i = 0; i < bytes.length; i++) bytes[i] = pattern[(this.#patternAt + i) % pattern.length];
    this.#patternAt = (this.#patternAt + bytes.length) % pattern.length;
  }

  /** The first block's bytes, repeated to `length`. */
  #replayed(length: number): Uint8Array {
    const first = this.#firstBlock!.data;
    return Uint8Array.from({ length }, (_, i) => first[i % first.length]);
  }

  #replay(data: Reply): void {
    if (this.#firstBlock) data.bytes = this.#replayed(data.bytes.length);
    else this.#firstBlock = { data: data.bytes.slice() };
  }

  /** A signed block: signed again after shaping; replayed with the first one's signature. */
  #signedBlock(data: Reply, signature: Reply): void {
    if (this.#script.replay === "signed" && this.#firstBlock) {
      data.bytes = this.#replayed(data.bytes.length);
      signature.bytes = this.#firstBlock.signature!;
      return;
    }
    if (this.#pattern) signature.bytes = deviceSign(this.inner.identity, data.bytes);
    if (this.#script.replay === "signed") {
      this.#firstBlock = { data: data.bytes.slice(), signature: signature.bytes };
    }
  }

  /** Cuts or lengthens the replies to the `nth` `code` command as the resize rules say. */
  #resize(code: number, nth: number, replies: Reply[]): Reply[] {
    const name = COMMAND_NAMES.get(code);
    let out = replies;
    for (const rule of this.#script.resize ?? []) {
      if (rule.command !== name || (rule.nth ?? 1) !== nth) continue;
      const target = rule.part === "data" ? out.find((r) => r.data) : out[0];
      if (!target) continue;
      if (rule.bytes < 0) {
        target.bytes = target.bytes.subarray(0, Math.max(0, target.bytes.length + rule.bytes));
      } else if (rule.part === "data") {
        // Surplus after the data, as its own write: foreign, never recorded.
        out = [
          ...out.slice(0, out.indexOf(target) + 1),
          this.#foreignData(rule.bytes),
          ...out.slice(out.indexOf(target) + 1),
        ];
      } else {
        const longer = new Uint8Array(target.bytes.length + rule.bytes);
        longer.set(target.bytes);
        longer.set(this.foreign(rule.bytes), target.bytes.length);
        target.bytes = longer;
      }
    }
    return out;
  }
}
