/**
 * A QCicada as a pure state machine: bytes from the host in, reply bytes out, random data
 * produced on demand at the configured rate. No I/O and no clock of its own (`now` is given),
 * so the same machine runs behind a pty, TCP, UDP, TCP+UDP or in-process, and under tests.
 *
 * Modelled: every command of spec §2 with its payload layout; ready_bytes that one-shots and
 * streams drain and that refill at the rate (capped at the one-shot ceiling); continuous mode
 * (commands other than STOP and RESET are ignored while streaming, as on a device); config kept
 * across commands; statistics that count; RESET and REBOOT restart generation with a startup
 * test period (no data, ready 0); signed reads; the update state machine with checksum8; the
 * hash test; NACK where the spec says a device refuses. `stuckAfterBytes` simulates a broken
 * noise source (constant output and the repetition-count flag) for fail-closed tests.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import {
  checksum8,
  CMD,
  commandPayloadBytes,
  type Config,
  configBytes,
  infoBytes,
  parseConfig,
  RESP,
  statisticsBytes,
  type Status,
  statusBytes,
  updateBytes,
} from "../../../wasm/cmdctrl.ts";
import { SeededBytes } from "../seeded_bytes.ts";
import { deviceSign, type InfoStrings, type QcicadaIdentity, qcicadaIdentity } from "./identity.ts";

import {
  DEFAULT_RATE_BYTES_PER_S,
  MAX_IMAGE_BYTES,
  ONE_SHOT_MAX_BYTES,
  STARTUP_TEST_MS,
} from "./constants.ts";
export { DEFAULT_RATE_BYTES_PER_S, MAX_IMAGE_BYTES, ONE_SHOT_MAX_BYTES, STARTUP_TEST_MS };

/** While streaming, data can pile up for this long before the pool is full. */
const STREAM_BUFFER_MS = 50;

/** Options of {@link QcicadaMachine}. */
export interface QcicadaOptions {
  /** Seed of the data stream and of the keys. @default 1 */
  seed?: number;
  /** Refill and streaming rate in bytes/s; Infinity for "as fast as the host reads". */
  rateBytesPerS?: number;
  /** Monotonic milliseconds. */
  now(): number;
  /** Startup test duration. @default STARTUP_TEST_MS */
  startupMs?: number;
  /** After this many bytes the noise source is "stuck": zeros and the RCT flag. */
  stuckAfterBytes?: number;
  /** Flip a bit in every signature (tests that hosts refuse tampered data). @default false */
  tamperSignatures?: boolean;
  /** Lose the Nth UPDATE_CHUNK (1-based) as if it never arrived, once (tests chunk retries). */
  dropUpdateChunk?: number;
  /** Told about firmware images received completely (bytes and SHA-256). */
  onImage?(image: Uint8Array): void;
  /** Serial and hw_info to report instead of the defaults. */
  info?: InfoStrings;
}

/** The QCicada defaults a fresh device reports (the config vector seen on a device). */
export const DEFAULT_CONFIG: Config = {
  postprocess: 0,
  initialLevel: 0.5,
  startupTest: true,
  autoCalibration: true,
  repetitionCount: true,
  adaptiveProportion: true,
  bitCount: false,
  generateOnError: false,
  nLsbits: 4,
  hashInputSize: 64,
  blockSize: 448,
  autocalibrationTarget: 2048,
};

/** Bytes to send to the host; `data` marks random data (vs. responses). */
export interface Reply {
  bytes: Uint8Array;
  data: boolean;
}

/**
 * Cuts the host's bytes into whole commands (code and payload) as they arrive, keeping a
 * partial command for the next push; a byte that starts no command comes out alone.
 */
export class CommandFramer {
  #pending = new Uint8Array(0);

  /** The commands `bytes` completes, in order (views valid until the next push). */
  push(bytes: Uint8Array): Uint8Array[] {
    const all = new Uint8Array(this.#pending.length + bytes.length);
    all.set(this.#pending);
    all.set(bytes, this.#pending.length);
    const commands: Uint8Array[] = [];
    let pos = 0;
    while (pos < all.length) {
      const size = Math.max(0, commandPayloadBytes(all[pos]));
      if (pos + 1 + size > all.length) break;
      commands.push(all.subarray(pos, pos + 1 + size));
      pos += 1 + size;
    }
    this.#pending = all.slice(pos);
    return commands;
  }
}

/** See the module comment. */
export class QcicadaMachine {
  readonly identity: QcicadaIdentity;
  readonly #o: QcicadaOptions;
  readonly #rate: number;
  #data: SeededBytes;
  #config: Config = { ...DEFAULT_CONFIG };
  readonly #framer = new CommandFramer();
  #streaming = false;
  #ready = 0;
  #refilledAt = 0;
  #startupUntil = 0;
  #generated = 0;
  #rctFailures = 0;
  #hash: ReturnType<typeof sha256.create> | undefined;
  #update: { image: Uint8Array; received: number } | undefined;
  #chunksSeen = 0;

  constructor(options: QcicadaOptions) {
    this.#o = options;
    this.#rate = options.rateBytesPerS ?? DEFAULT_RATE_BYTES_PER_S;
    this.identity = qcicadaIdentity(options.seed ?? 1, options.info);
    this.#data = new SeededBytes(options.seed ?? 1);
    this.#restart();
  }

  /** The refill and streaming rate (Infinity: as fast as the host reads). */
  get rateBytesPerS(): number {
    return this.#rate;
  }

  /** Bytes deliverable now (Infinity at rate max). */
  readyBytes(): number {
    if (this.#rate === Infinity) return this.#inStartup() ? 0 : Infinity;
    this.#refill();
    return this.#inStartup() ? 0 : this.#ready;
  }

  /** Whether continuous mode is on (the adapter then calls {@link streamInto}). */
  get streaming(): boolean {
    return this.#streaming;
  }

  #restart(): void {
    this.#streaming = false;
    this.#ready = 0;
    this.#refilledAt = this.#o.now();
    this.#startupUntil = this.#o.now() +
      (this.#config.startupTest ? this.#o.startupMs ?? STARTUP_TEST_MS : 0);
  }

  #inStartup(): boolean {
    return this.#o.now() < this.#startupUntil;
  }

  /** Brings ready_bytes up to date with the clock. */
  #refill(): void {
    const now = this.#o.now();
    if (this.#inStartup()) {
      this.#refilledAt = now;
      return;
    }
    const from = Math.max(this.#refilledAt, this.#startupUntil);
    const gained = this.#rate === Infinity ? Infinity : Math.floor((now - from) * this.#rate / 1000);
    if (gained > 0) {
      this.#ready = Math.min(this.#capacity(), this.#ready + gained);
      this.#refilledAt = gained === Infinity ? now : from + gained * 1000 / this.#rate;
    }
  }

  /**
   * The most bytes that can be waiting: the one-shot ceiling, or while streaming
   * STREAM_BUFFER_MS of data (a fast stream must not be throttled by the one-shot pool).
   */
  #capacity(): number {
    return this.#streaming
      ? Math.max(ONE_SHOT_MAX_BYTES, Math.ceil(this.#rate * STREAM_BUFFER_MS / 1000))
      : ONE_SHOT_MAX_BYTES;
  }

  #stuck(): boolean {
    return this.#o.stuckAfterBytes !== undefined && this.#generated >= this.#o.stuckAfterBytes;
  }

  /** The current status. */
  status(): Status {
    this.#refill();
    const startup = this.#inStartup();
    return {
      started: !startup,
      startupTestInProgress: startup,
      voltageLow: false,
      voltageHigh: false,
      voltageUndefined: false,
      bitcount: false,
      repetitionCount: this.#stuck(),
      adaptiveProportion: false,
      readyBytes: startup ? 0 : Math.min(this.#ready, ONE_SHOT_MAX_BYTES),
    };
  }

  #produceInto(buffer: Uint8Array): void {
    const healthy = this.#o.stuckAfterBytes === undefined
      ? buffer.length
      : Math.max(0, Math.min(buffer.length, this.#o.stuckAfterBytes - this.#generated));
    this.#data.fill(buffer.subarray(0, healthy));
    if (healthy < buffer.length) {
      buffer.fill(0, healthy);
      this.#rctFailures++;
    }
    this.#generated += buffer.length;
  }

  #produce(length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    this.#produceInto(bytes);
    return bytes;
  }

  /**
   * While streaming: fills the start of `buffer` with as many bytes as the rate allows now and
   * returns the count (0: call again after {@link msUntilData}).
   */
  streamInto(buffer: Uint8Array): number {
    if (!this.#streaming) return 0;
    this.#refill();
    const count = this.#rate === Infinity ? buffer.length : Math.min(buffer.length, this.#ready);
    if (count <= 0) return 0;
    if (this.#rate !== Infinity) this.#ready -= count;
    this.#produceInto(buffer.subarray(0, count));
    return count;
  }

  /** Milliseconds until {@link streamInto} can deliver at least `bytes` more. */
  msUntilData(bytes = 1): number {
    if (this.#rate === Infinity) return 0;
    const startup = Math.max(0, this.#startupUntil - this.#o.now());
    return startup + Math.max(1, Math.ceil((bytes - this.#ready) * 1000 / this.#rate));
  }

  /**
   * Feeds bytes from the host; returns the replies to send, in order. Random data is marked
   * `data: true` (TCP+UDP sends it by datagram, everything else on the command channel).
   */
  receive(bytes: Uint8Array): Reply[] {
    const replies: Reply[] = [];
    for (const command of this.#framer.push(bytes)) {
      const code = command[0];
      if (commandPayloadBytes(code) < 0) {
        // Unknown or factory (0xF0-0xF6) command: refuse it, byte by byte.
        if (!this.#streaming) replies.push({ bytes: new Uint8Array([RESP.NACK]), data: false });
        continue;
      }
      const reply = this.#command(code, command.subarray(1));
      if (reply instanceof Uint8Array) replies.push({ bytes: reply, data: false });
      else if (reply) replies.push(...reply);
    }
    return replies;
  }

  #ack(): Uint8Array {
    return frame(RESP.ACK, statusBytes(this.status()));
  }

  #command(code: number, p: Uint8Array): Uint8Array | Reply[] | undefined {
    const nack = new Uint8Array([RESP.NACK]);
    const u16 = (at: number) => p[at] | p[at + 1] << 8;
    if (this.#streaming && code !== CMD.STOP && code !== CMD.RESET) return undefined; // not answered while streaming
    switch (code) {
      case CMD.GET_STATUS:
        return this.#ack();
      case CMD.START: {
        const [mode] = p;
        const length = u16(1);
        const status = this.status();
        if (status.startupTestInProgress) return nack;
        if (mode === 0 && length === 0) {
          this.#streaming = true;
          return this.#ack();
        }
        if (mode !== 1 || length === 0 || length > status.readyBytes) return nack;
        const ack = this.#ack();
        this.#ready -= length;
        return [{ bytes: ack, data: false }, { bytes: this.#produce(length), data: true }];
      }
      case CMD.STOP:
        this.#streaming = false;
        this.#ready = Math.min(this.#ready, ONE_SHOT_MAX_BYTES);
        return this.#ack();
      case CMD.GET_CONFIG:
        return frame(RESP.CONFIG, configBytes(this.#config));
      case CMD.SET_CONFIG: {
        const c = parseConfig(p);
        if (
          p.every((b) => b === 0) || c.postprocess > 2 || c.nLsbits < 1 || c.nLsbits > 8 || p[5] & 0xc0 ||
          !(c.initialLevel >= 0 && c.initialLevel <= 100)
        ) return nack;
        this.#config = c;
        return this.#ack();
      }
      case CMD.GET_STATISTICS:
        return frame(
          RESP.STATISTICS,
          statisticsBytes({
            generatedBytes: BigInt(this.#generated),
            repetitionCountFailures: this.#rctFailures,
            adaptiveProportionFailures: 0,
            bitcountFailures: 0,
            speed: Math.min(0xffffffff, this.#rate === Infinity ? 0xffffffff : this.#rate * 8),
            sensifAverage: 2048,
            ledctrlLevel: this.#config.initialLevel,
          }),
        );
      case CMD.RESET:
        this.#generated = 0;
        this.#rctFailures = 0;
        this.#restart();
        return this.#ack();
      case CMD.GET_INFO:
        return frame(RESP.INFO, infoBytes(this.identity.info));
      case CMD.HASH_TEST_INIT:
        this.#hash = sha256.create();
        return new Uint8Array([RESP.HASH_TEST_ACK]);
      case CMD.HASH_TEST_ACCUMULATE: {
        const length = u16(0);
        if (!this.#hash || length > 1024) return nack;
        this.#hash.update(p.subarray(2, 2 + length));
        return new Uint8Array([RESP.HASH_TEST_ACK]);
      }
      case CMD.HASH_TEST_DIGEST: {
        if (!this.#hash) return nack;
        const digest = this.#hash.digest();
        this.#hash = undefined;
        return frame(RESP.HASH_TEST_DIGEST, digest);
      }
      case CMD.ENABLE_INSTANCE:
        return p[0] === 0 ? this.#ack() : nack; // QCicada has one noise source: instance 0
      case CMD.UPDATE_INIT:
        return this.#updateInit(p[0] | p[1] << 8 | p[2] << 16 | p[3] << 24);
      case CMD.UPDATE_CHUNK:
        if (++this.#chunksSeen === this.#o.dropUpdateChunk) return undefined; // lost on the way
        return this.#updateChunk(u16(0), p.subarray(2, 1026), p[1026]);
      case CMD.SIGNED_READ: {
        const length = u16(0);
        const status = this.status();
        if (status.startupTestInProgress || length === 0 || length > status.readyBytes) return nack;
        this.#ready -= length;
        const data = this.#produce(length);
        return [
          { bytes: new Uint8Array([RESP.SIGNED_READ]), data: false },
          { bytes: data, data: true },
          { bytes: this.#sign(data), data: false },
        ];
      }
      case CMD.GET_DEV_AUTH_PUBKEY:
        return frame(RESP.PUBKEY, this.identity.devicePublic);
      case CMD.REBOOT:
        if (p[0] !== 0xa1 || p[1] !== 0x25) return nack;
        this.#restart();
        return new Uint8Array([RESP.SET_OK]);
      case CMD.GET_DEV_CERTIFICATE:
        return frame(RESP.CERTIFICATE, this.identity.certificate);
    }
    return nack;
  }

  #sign(data: Uint8Array): Uint8Array {
    const signature = deviceSign(this.identity, data);
    if (this.#o.tamperSignatures) signature[63] ^= 1;
    return signature;
  }

  #updateInit(total: number): Uint8Array {
    const size = total >>> 0;
    if (size === 0) return frame(RESP.UPDATE, updateBytes({ status: 6, remaining: 0 }));
    if (size > MAX_IMAGE_BYTES) return frame(RESP.UPDATE, updateBytes({ status: 4, remaining: size }));
    this.#update = { image: new Uint8Array(size), received: 0 };
    return frame(RESP.UPDATE, updateBytes({ status: 0, remaining: size }));
  }

  #updateChunk(length: number, data: Uint8Array, sum: number): Uint8Array {
    const u = this.#update;
    const answer = (status: number, remaining: number) =>
      frame(RESP.UPDATE, updateBytes({ status, remaining }));
    if (!u) return answer(3, 0);
    const remaining = u.image.length - u.received;
    if (length === 0 || length > 1024 || length > remaining) return answer(6, remaining);
    if (checksum8(data.subarray(0, length)) !== sum) {
      this.#update = undefined;
      return answer(5, remaining);
    }
    u.image.set(data.subarray(0, length), u.received);
    u.received += length;
    if (u.received < u.image.length) return answer(1, u.image.length - u.received);
    this.#update = undefined;
    this.#o.onImage?.(u.image);
    this.#restart(); // installs and restarts
    return answer(2, 0);
  }
}

function frame(code: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + payload.length);
  out[0] = code;
  out.set(payload, 1);
  return out;
}
