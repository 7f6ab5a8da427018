/**
 * A scripted in-memory Transport for driver tests: it checks each command the driver sends
 * against a script and plays the reply, in pieces, on virtual time (a read of a silent line
 * resolves 0 at once and advances the clock by its timeout).
 */
import { QrngError } from "../../cli/errors.ts";
import type { Transport } from "../../cli/transports/transport.ts";
import type { LineEnd } from "./cmdctrl_oracle.ts";

/** More reads than this for one script is a hang (a live device would have timed out long ago). */
const MAX_READS_PER_SCRIPT = 10_000;

/** A fault of the harness or of the driver's use of the line (not a device answer). */
export class HarnessFailure extends Error {}

/** What a scripted line plays: each command it expects, with its reply. */
export interface LineScript {
  exchanges: ReadonlyArray<{ command: Uint8Array; reply: Uint8Array }>;
  /** Most bytes the next read returns. */
  piece(): number;
  /** After the last reply: silence, or the device closes the line. */
  end: LineEnd;
}

/**
 * The device side of a case: checks each command the driver sends against the script and
 * plays the matching reply in the script's pieces.
 */
export class ScriptedLine implements Transport {
  readonly description = "fuzz line";
  /** Virtual milliseconds: advanced by every read that finds the line silent. */
  clockMs = 0;
  #script: LineScript | undefined;
  #next = 0;
  #pending: Uint8Array = new Uint8Array(0);
  #closed = false;
  #reads = 0;

  /** Plays `script` from its first exchange. */
  load(script: LineScript): void {
    this.#script = script;
    this.#next = 0;
    this.#pending = new Uint8Array(0);
    this.#closed = false;
    this.#reads = 0;
  }

  /** Plays `exchanges`, each reply whole, then silence. */
  script(exchanges: ReadonlyArray<readonly [command: Uint8Array, reply: Uint8Array]>): void {
    this.load({
      exchanges: exchanges.map(([command, reply]) => ({ command, reply })),
      piece: () => Infinity,
      end: "quiet",
    });
  }

  write(data: Uint8Array): Promise<void> {
    const script = this.#script;
    if (!script) throw new HarnessFailure("the driver wrote before a script was loaded");
    if (this.#closed) return Promise.reject(new QrngError("disconnected", "fuzz line: closed"));
    const i = this.#next++;
    const expected = script.exchanges[i]?.command;
    if (!expected || !sameBytes(data, expected)) {
      throw new HarnessFailure(
        `command ${i}: driver sent ${short(data)}, the script expects ${
          expected ? short(expected) : "nothing"
        }`,
      );
    }
    this.#pending = script.exchanges[i].reply;
    if (i === script.exchanges.length - 1 && script.end === "closed") this.#closed = true;
    return Promise.resolve();
  }

  read(buffer: Uint8Array, timeoutMs: number): Promise<number> {
    if (++this.#reads > MAX_READS_PER_SCRIPT) {
      throw new HarnessFailure(`hang: more than ${MAX_READS_PER_SCRIPT} reads`);
    }
    if (this.#pending.length === 0) {
      if (this.#closed) return Promise.reject(new QrngError("disconnected", "fuzz line: the device closed"));
      this.clockMs += timeoutMs;
      return Promise.resolve(0);
    }
    const n = Math.min(buffer.length, this.#script?.piece() ?? Infinity, this.#pending.length);
    buffer.set(this.#pending.subarray(0, n));
    this.#pending = this.#pending.subarray(n);
    return Promise.resolve(n);
  }

  discardInput(): Promise<void> {
    this.#pending = new Uint8Array(0);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Commands the driver sent since the script was loaded. */
  get commandsSent(): number {
    return this.#next;
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
export const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
export const short = (
  b: Uint8Array,
) => (b.length > 48 ? `${hex(b.subarray(0, 48))}... (${b.length} bytes)` : hex(b) || "(nothing)");
