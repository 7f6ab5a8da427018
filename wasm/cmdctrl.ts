/**
 * Binding of the Cmd&Ctrl codec (core/cmdctrl): command encoders, the incremental response
 * decoder, and typed views of every payload layout (spec §3) in both directions, so hosts parse
 * and emulators build them with one definition.
 */
import { cmdctrlWasmBase64 } from "./_generated/cmdctrl_wasm.ts";
import { instantiateWasm, memoryView } from "./_instantiate.ts";

/** Exports of the codec module, typed by hand (see core/cmdctrl/index.ts). */
interface CmdCtrlExports {
  memory: WebAssembly.Memory;
  inputPtr(): number;
  inputBytes(): number;
  commandPtr(): number;
  chunkPtr(): number;
  markerPtr(): number;
  markerBytes(): number;
  eventCode(): number;
  eventPtr(): number;
  eventLength(): number;
  decoderState(): number;
  commandPayloadBytes(code: number): number;
  checksum8(ptr: number, length: number): number;
  decoderArm(code: number, mode: number, length: number): void;
  decoderReset(): void;
  decoderExpectMarker(length: number): void;
  encodeSimple(code: number): number;
  encodeStart(mode: number, length: number): number;
  encodeSetConfig(
    pp: number,
    level: number,
    flags: number,
    lsbits: number,
    hash: number,
    block: number,
    target: number,
  ): number;
  encodeEnableInstance(instance: number, enable: number): number;
  encodeUpdateInit(total: number): number;
  encodeUpdateChunk(length: number): number;
  encodeHashChunk(length: number): number;
  encodeSignedRead(length: number): number;
  encodeReboot(): number;
  feed(length: number): void;
  next(): number;
  stopQuiet(): number;
}

/** Command codes (spec §2). */
export const CMD = {
  GET_STATUS: 0x01,
  START: 0x04,
  STOP: 0x05,
  GET_CONFIG: 0x07,
  SET_CONFIG: 0x08,
  GET_STATISTICS: 0x09,
  RESET: 0x0a,
  GET_INFO: 0x0b,
  HASH_TEST_INIT: 0x20,
  HASH_TEST_ACCUMULATE: 0x22,
  HASH_TEST_DIGEST: 0x23,
  ENABLE_INSTANCE: 0x30,
  UPDATE_INIT: 0x40,
  UPDATE_CHUNK: 0x41,
  SIGNED_READ: 0x51,
  GET_DEV_AUTH_PUBKEY: 0xf7,
  REBOOT: 0xf8,
  GET_DEV_CERTIFICATE: 0xf9,
} as const;

/** Response codes (spec §2). */
export const RESP = {
  ACK: 0x11,
  NACK: 0x12,
  CONFIG: 0x17,
  STATISTICS: 0x19,
  INFO: 0x1b,
  HASH_TEST_ACK: 0x21,
  HASH_TEST_DIGEST: 0x24,
  UPDATE: 0x43,
  SIGNED_READ: 0x52,
  SET_OK: 0xf8,
  PUBKEY: 0xf9,
  CERTIFICATE: 0xfb,
} as const;

/** Data bytes per update or hash-test chunk. */
export const CHUNK_BYTES = 1024;
/** Bytes of an ECDSA P-256 raw signature r‖s, and of a raw public key x‖y. */
export const SIGNATURE_BYTES = 64;

/** What {@link CmdCtrlCodec.next} found. */
export type DecoderEvent =
  | { type: "need-input" }
  | { type: "response"; code: number; payload: Uint8Array }
  | { type: "nack" }
  | { type: "data"; bytes: Uint8Array }
  | { type: "signature"; signature: Uint8Array }
  | { type: "stopped"; status: Uint8Array }
  | { type: "protocol-error"; byte: number; held?: Uint8Array };

const EVENT_TYPES = [
  "need-input",
  "response",
  "nack",
  "data",
  "signature",
  "stopped",
  "protocol-error",
] as const;

/**
 * One codec instance per connection. Encoders return a view of the command (valid until the
 * next encode) and arm the decoder for its answer. Received bytes go into {@link input} (read
 * straight into it), then {@link feed}; {@link next} yields events until "need-input". Views in
 * events are valid until the next feed.
 */
export class CmdCtrlCodec {
  readonly #w: CmdCtrlExports;
  /** Where received bytes go before {@link feed}: a view of WASM memory. */
  readonly input: Uint8Array;

  constructor() {
    this.#w = instantiateWasm(cmdctrlWasmBase64).exports as unknown as CmdCtrlExports;
    this.input = memoryView(this.#w, Uint8Array, this.#w.inputPtr(), this.#w.inputBytes());
  }

  #command(length: number): Uint8Array {
    return memoryView(this.#w, Uint8Array, this.#w.commandPtr(), length);
  }

  #stage(data: Uint8Array): number {
    if (data.length > CHUNK_BYTES) throw new RangeError(`a chunk holds at most ${CHUNK_BYTES} bytes`);
    memoryView(this.#w, Uint8Array, this.#w.chunkPtr(), CHUNK_BYTES).set(data);
    return data.length;
  }

  /** A command without payload (GET_STATUS, STOP, GET_CONFIG, GET_STATISTICS, RESET, ...). */
  simple(code: number): Uint8Array {
    if (this.#w.commandPayloadBytes(code) !== 0) {
      throw new RangeError(`command 0x${code.toString(16)} takes a payload`);
    }
    return this.#command(this.#w.encodeSimple(code));
  }
  /** START continuous (length 0). */
  startContinuous(): Uint8Array {
    return this.#command(this.#w.encodeStart(0, 0));
  }
  /** START one-shot of `length` (1..65535) bytes. */
  startOneShot(length: number): Uint8Array {
    if (!(length >= 1 && length <= 0xffff)) throw new RangeError("one-shot length must be 1..65535");
    return this.#command(this.#w.encodeStart(1, length));
  }
  /** SET_CONFIG with `config`. */
  setConfig(c: Config): Uint8Array {
    return this.#command(
      this.#w.encodeSetConfig(
        c.postprocess,
        c.initialLevel,
        configFlagsByte(c),
        c.nLsbits,
        c.hashInputSize,
        c.blockSize,
        c.autocalibrationTarget,
      ),
    );
  }
  /** ENABLE_INSTANCE. */
  enableInstance(instance: number, enable: boolean): Uint8Array {
    return this.#command(this.#w.encodeEnableInstance(instance, enable ? 1 : 0));
  }
  /** UPDATE_INIT for an image of `totalLength` bytes. */
  updateInit(totalLength: number): Uint8Array {
    return this.#command(this.#w.encodeUpdateInit(totalLength >>> 0));
  }
  /** UPDATE_CHUNK of up to 1024 bytes: 1027 bytes with checksum8. */
  updateChunk(data: Uint8Array): Uint8Array {
    return this.#command(this.#w.encodeUpdateChunk(this.#stage(data)));
  }
  /** HASH_TEST_ACCUMULATE of up to 1024 bytes: 1026 bytes. */
  hashChunk(data: Uint8Array): Uint8Array {
    return this.#command(this.#w.encodeHashChunk(this.#stage(data)));
  }
  /** SIGNED_READ of `length` bytes. */
  signedRead(length: number): Uint8Array {
    if (!(length >= 1 && length <= 0xffff)) throw new RangeError("signed read length must be 1..65535");
    return this.#command(this.#w.encodeSignedRead(length));
  }
  /** REBOOT with its magic. */
  reboot(): Uint8Array {
    return this.#command(this.#w.encodeReboot());
  }
  /** Re-arms the decoder for the answer to `code` without encoding (e.g. a command resent). */
  arm(code: number, mode = 0, length = 0): void {
    this.#w.decoderArm(code, mode, length);
  }
  /**
   * Drops fed bytes not yet decoded (stale input before a command: what followed the last
   * answer in the same read); the expectation an encoder armed stays.
   */
  discardInput(): void {
    this.#w.feed(0);
  }
  /**
   * While stopping a stream: the host sent a command with the known answer `answer` (code and
   * payload) right behind STOP, so {@link next} reports "stopped" as soon as the bytes end with
   * ACK + status + `answer`, without waiting for quiet. {@link stopQuiet} still ends a stream
   * whose device never answered it (call it until it yields something other than "data").
   */
  expectMarker(answer: Uint8Array): void {
    const w = this.#w;
    if (answer.length > w.markerBytes()) {
      throw new RangeError(`a marker holds at most ${w.markerBytes()} bytes`);
    }
    memoryView(w, Uint8Array, w.markerPtr(), answer.length).set(answer);
    w.decoderExpectMarker(answer.length);
  }
  /** Forgets every expectation (after draining the line). */
  reset(): void {
    this.#w.decoderReset();
  }
  /** Whether the decoder is inside a continuous stream (or stopping one). */
  get streaming(): boolean {
    const s = this.#w.decoderState();
    return s === 4 || s === 5;
  }
  /** `length` new bytes are in {@link input}. */
  feed(length: number): void {
    this.#w.feed(length);
  }
  /** The next event from the fed bytes. */
  next(): DecoderEvent {
    return this.#event(this.#w.next());
  }
  /**
   * The line went quiet after STOP: "data" for held bytes that turned out to be data (when an
   * expected marker never came; call again), then "stopped" with the status, or "protocol-error".
   */
  stopQuiet(): DecoderEvent {
    return this.#event(this.#w.stopQuiet());
  }

  #event(type: number): DecoderEvent {
    const w = this.#w;
    const view = () => memoryView(w, Uint8Array, w.eventPtr(), w.eventLength());
    switch (EVENT_TYPES[type]) {
      case "need-input":
        return { type: "need-input" };
      case "response":
        return { type: "response", code: w.eventCode(), payload: view() };
      case "nack":
        return { type: "nack" };
      case "data":
        return { type: "data", bytes: view() };
      case "signature":
        return { type: "signature", signature: view() };
      case "stopped":
        return { type: "stopped", status: view() };
      default:
        return { type: "protocol-error", byte: w.eventCode(), held: view() };
    }
  }
}

const sharedCodec = (() => {
  let codec: CmdCtrlExports | undefined;
  return () => codec ??= instantiateWasm(cmdctrlWasmBase64).exports as unknown as CmdCtrlExports;
})();

/** checksum8(data): ones' complement of the 8-bit sum (spec §1), computed in the WASM core. */
export function checksum8(data: Uint8Array): number {
  const w = sharedCodec();
  // The core sums one staging buffer at a time; ~ of the partial results gives their sums back.
  let total = 0;
  for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
    const part = data.subarray(offset, offset + CHUNK_BYTES);
    memoryView(w, Uint8Array, w.chunkPtr(), CHUNK_BYTES).set(part);
    total = (total + (~w.checksum8(w.chunkPtr(), part.length) & 0xff)) & 0xff;
  }
  return ~total & 0xff;
}

/** Request payload size of a command code, or -1 (not a command). */
export function commandPayloadBytes(code: number): number {
  return sharedCodec().commandPayloadBytes(code);
}

export * from "./cmdctrl_views.ts";
import { type Config, configFlagsByte } from "./cmdctrl_views.ts";
