/**
 * What the adversarial device sent, for the fault matrix to compare `qrng read`'s output with:
 * the random data it sent as answers, the moment of its first fault the host must stop at, and
 * how many foreign bytes (strays, injections, extensions) it mixed in. Written with --record as
 * JSON (data in base64).
 */
import { readFileSync, writeFileSync } from "node:fs";

/** A finished recording. */
export interface DeviceRecord {
  /**
   * Every data byte sent as the answer to a request (one-shot, signed read, stream), in the
   * order produced, each once: a datagram the wire duplicated or lost counts once.
   */
  data: Uint8Array;
  /**
   * Data bytes sent before the first fault after which nothing may reach the output (a health
   * flag raised, a STOP ignored or left unanswered); undefined when the script has none.
   */
  faultAtByte?: number;
  /** Foreign bytes sent (strays, injected datagrams, reply extensions): never data. */
  foreignBytes: number;
}

/** Collects a {@link DeviceRecord} as the device runs. */
export class Recorder {
  #chunks: Uint8Array[] = [];
  #length = 0;
  #faultAt: number | undefined;
  #foreign = 0;

  /** Data bytes recorded so far. */
  get dataBytes(): number {
    return this.#length;
  }

  /** Records answer data (copied). */
  data(bytes: Uint8Array): void {
    this.#chunks.push(bytes.slice());
    this.#length += bytes.length;
  }

  /** Marks a fault the host must stop at (the first one counts). */
  fault(): void {
    this.#faultAt ??= this.#length;
  }

  /** Counts foreign bytes sent. */
  foreign(count: number): void {
    this.#foreign += count;
  }

  /** The recording so far. */
  snapshot(): DeviceRecord {
    const data = new Uint8Array(this.#length);
    let offset = 0;
    for (const chunk of this.#chunks) {
      data.set(chunk, offset);
      offset += chunk.length;
    }
    this.#chunks = [data];
    return { data, faultAtByte: this.#faultAt, foreignBytes: this.#foreign };
  }
}

/** Writes `record` to `path` as JSON. */
export function writeRecord(path: string, record: DeviceRecord): void {
  const json = { ...record, data: Buffer.from(record.data).toString("base64") };
  writeFileSync(path, JSON.stringify(json));
}

/** Reads a record {@link writeRecord} wrote. */
export function readRecord(path: string): DeviceRecord {
  const json = JSON.parse(readFileSync(path, "utf8"));
  return { ...json, data: new Uint8Array(Buffer.from(json.data, "base64")) };
}
