/**
 * The host side of Cmd&Ctrl over any Transport: one method per command, with the fixes the
 * existing clients lack (spec §8): a device left streaming is stopped and drained on connect,
 * stale input is flushed before every command, STOP success is judged by the tail after the
 * data in flight, timeouts are generous, and every signature can be verified.
 *
 * Ending a stream: once the device's INFO is known, GET_INFO goes right behind the STOP. Its
 * answer, known byte for byte, marks where the data in flight and the STOP's answer end, so a
 * stop costs a round trip instead of spec §4's 100 ms of quiet (which bounded a daemon that
 * stops the device after every burst to judge its status). A device that drops that GET_INFO
 * is stopped by the quiet rule from then on (see stop_answer.ts).
 *
 * With a separate data channel (TCP+UDP), responses come on the transport and random data on
 * the channel; the driver counts the data bytes and treats a shortfall as an error.
 *
 * Over datagrams (UDP, TCP+UDP), only bytes that answer the current request count: before a
 * request the data path is flushed, and after a counted read a GET_STATUS round trip settles
 * it: any byte beyond the count that arrives before the device's answer (a duplicated or
 * foreign datagram, or a legitimate one that a foreign one displaced) fails the read closed,
 * so a block is handed on only once it is complete and clean (see datagram_guard.ts).
 */
import { QrngError } from "../../errors.ts";
import { DatagramGuard, type DatagramReceiver, endOfTurn } from "./datagram_guard.ts";
import { abortableTransport } from "../../transports/abortable.ts";
import type { Transport } from "../../transports/transport.ts";
import { plausibleStopStatus, STOP_QUIET_MS, StopAnswerWatch } from "./stop_answer.ts";
import {
  CHUNK_BYTES,
  CMD,
  CmdCtrlCodec,
  type Config,
  type DecoderEvent,
  type Info,
  parseConfig,
  parseInfo,
  parseStatistics,
  parseStatus,
  parseUpdate,
  RESP,
  type Statistics,
  type Status,
  type UpdateState,
} from "../../../wasm/cmdctrl.ts";

/** How long a device may take to send a response code (spec §7: 3 s, generous for macOS). */
export const RESPONSE_TIMEOUT_MS = 3000;
/** How long data may pause before a read gives up. */
export const DATA_TIMEOUT_MS = 3000;
export { IDLE_STOP_QUIET_MS, STOP_QUIET_MS } from "./stop_answer.ts";
/** Most time a drain may take before the device is declared unstoppable. */
export const DRAIN_LIMIT_MS = 10_000;

/**
 * Codecs of closed devices, for the next device to use: a daemon reopens its device after every
 * pause, and under Bun a fresh WASM instance (its own memory) cost ~5 ms of a busy daemon's
 * time (the runtime collects to make room for it).
 */
const spareCodecs: CmdCtrlCodec[] = [];
/** The most spare codecs kept. */
const MAX_SPARE_CODECS = 4;

/** What the driver needs from its surroundings. */
export interface DriverOptions {
  /** A separate channel carrying random data (TCP+UDP mode). */
  data?: Transport;
  /**
   * Where datagrams arrive (UDP: the transport; TCP+UDP: the data channel): reads are flushed
   * before and settled after (see the module comment).
   */
  datagrams?: DatagramReceiver;
  /** Notes for stderr (stray datagrams discarded, drops). */
  log?(line: string): void;
  /**
   * Largest single read: USB serial adapters (macOS FTDI) time out on large reads, so serial
   * ports read about 8 KiB at a time (spec §7). @default the decoder's whole input buffer
   */
  maxReadBytes?: number;
  now(): number;
  /** Ctrl-C: a wait pending when it aborts rejects with kind "interrupted" (later ones work). */
  signal?: AbortSignal;
}

/** A response as the driver hands it on: the payload is a copy. */
interface Response {
  code: number;
  payload: Uint8Array;
}

/** A connected Cmd&Ctrl device; see the module comment. */
export class CmdCtrlDevice {
  readonly transport: Transport;
  readonly #data: Transport | undefined;
  /** This device's codec until {@link close} hands it on (see spareCodecs). */
  #ownCodec: CmdCtrlCodec | undefined;
  readonly #now: () => number;
  #streaming = false;
  #dataBuffer: Uint8Array | undefined;
  /** Decoded data bytes not yet handed out (a view of the decoder's input, valid until a feed). */
  #undelivered: Uint8Array | undefined;
  readonly #sink: Uint8Array;
  readonly #guard: DatagramGuard | undefined;
  readonly #log: (line: string) => void;
  /** INFO's answer (code and payload) once read: sent for behind a STOP, it marks the end. */
  #infoAnswer: Uint8Array | undefined;
  /** Whether the device left a GET_INFO behind a STOP unanswered: stops then end on quiet. */
  #markerIgnored = false;

  constructor(transport: Transport, options: DriverOptions) {
    this.#ownCodec = spareCodecs.pop() ?? new CmdCtrlCodec();
    this.#ownCodec.reset();
    const { signal } = options;
    this.transport = signal ? abortableTransport(transport, signal) : transport;
    this.#data = signal && options.data ? abortableTransport(options.data, signal) : options.data;
    this.#now = options.now;
    this.#log = options.log ?? (() => {});
    if (options.datagrams) this.#guard = new DatagramGuard(options.datagrams, this.#log);
    if (this.#data) this.#dataBuffer = new Uint8Array(65536);
    this.#sink = options.maxReadBytes
      ? this.#codec.input.subarray(0, options.maxReadBytes)
      : this.#codec.input;
  }

  get #codec(): CmdCtrlCodec {
    if (!this.#ownCodec) throw new QrngError("disconnected", `${this.transport.description} was closed`);
    return this.#ownCodec;
  }

  /** Whether continuous mode is running. */
  get streaming(): boolean {
    return this.#streaming;
  }

  /**
   * Sends STOP and discards everything up to its answer (see stop_answer.ts), then flushes
   * input: recovers a device a previous client left streaming, also over a slow network and
   * while another client's stream is still in flight. Rejects with kind "timeout" when nothing
   * answers STOP, "device" when the data never ends. Resolves the number of bytes discarded
   * (6, the answer alone, when the device was idle).
   */
  async drain(): Promise<number> {
    // No flush before STOP: data already waiting is the evidence that the device was streaming.
    await this.transport.write(new Uint8Array([CMD.STOP]));
    const watch = new StopAnswerWatch(RESPONSE_TIMEOUT_MS);
    const started = this.#now();
    while (true) {
      const waitMs = watch.waitMs();
      const n = await this.transport.read(this.#sink, waitMs);
      if (n === 0) {
        if (watch.tailSeen) break;
        throw new QrngError(
          "timeout",
          `Cannot stop ${this.transport.description}: no answer to STOP in ${waitMs} ms`,
        );
      }
      watch.received(this.#sink.subarray(0, n), this.#now());
      this.#checkDrainLimit(started);
    }
    let discarded = watch.receivedBytes;
    // Data sent by datagram before the STOP arrived: whatever comes until the line is quiet.
    if (this.#data) {
      while (true) {
        const n = await this.#data.read(this.#sink, STOP_QUIET_MS);
        if (n === 0) break;
        discarded += n;
        this.#checkDrainLimit(started);
      }
      await this.#data.discardInput();
    }
    await this.transport.discardInput();
    this.#codec.reset();
    this.#undelivered = undefined;
    this.#streaming = false;
    // Whatever answers from now on is learnt afresh (a reconnect may reach another device).
    this.#infoAnswer = undefined;
    this.#markerIgnored = false;
    return discarded;
  }

  #checkDrainLimit(startedMs: number): void {
    if (this.#now() - startedMs > DRAIN_LIMIT_MS) {
      throw new QrngError("device", `Cannot stop ${this.transport.description}: it keeps sending data`);
    }
  }

  async #send(command: Uint8Array): Promise<void> {
    // Stale input is whatever the transport holds and whatever followed the last answer in
    // the read that brought it (the decoder's unread rest): neither may answer this command.
    this.#codec.discardInput();
    await this.transport.discardInput();
    await this.transport.write(command);
  }

  /** Waits for the next decoder event, reading as needed; 0 bytes in `timeoutMs` is a timeout. */
  async #event(what: string, timeoutMs: number): Promise<DecoderEvent> {
    while (true) {
      const event = this.#codec.next();
      if (event.type !== "need-input") return event;
      const n = await this.transport.read(this.#sink, timeoutMs);
      if (n === 0) {
        throw new QrngError(
          "timeout",
          `Cannot ${what}: ${this.transport.description} did not answer in ${timeoutMs} ms`,
        );
      }
      this.#codec.feed(n);
    }
  }

  /** Sends `command` and resolves its response (NACK and stray bytes become errors). */
  async #request(command: Uint8Array, what: string): Promise<Response> {
    if (this.#streaming) {
      throw new QrngError("device", `Cannot ${what}: the device is streaming (stop it first)`);
    }
    await this.#send(command);
    return this.#response(what);
  }

  async #response(what: string): Promise<Response> {
    const event = await this.#event(what, RESPONSE_TIMEOUT_MS);
    if (event.type === "response") return { code: event.code, payload: event.payload.slice() };
    if (event.type === "nack") throw new QrngError("nack", `Cannot ${what}: device answered NACK`);
    throw this.#protocolError(what, event);
  }

  #protocolError(what: string, event: DecoderEvent): QrngError {
    const byte = event.type === "protocol-error" ? event.byte : -1;
    const shown = byte < 0 ? "nothing" : `byte 0x${byte.toString(16).padStart(2, "0")}`;
    return new QrngError("protocol", `Cannot ${what}: device sent unexpected ${shown} (${event.type})`);
  }

  /** GET_STATUS. */
  async status(): Promise<Status> {
    return parseStatus((await this.#request(this.#codec.simple(CMD.GET_STATUS), "read status")).payload);
  }
  /** GET_CONFIG. */
  async config(): Promise<Config> {
    return parseConfig((await this.#request(this.#codec.simple(CMD.GET_CONFIG), "read config")).payload);
  }
  /** SET_CONFIG; resolves the status the device answers with. */
  async setConfig(config: Config): Promise<Status> {
    return parseStatus((await this.#request(this.#codec.setConfig(config), "set config")).payload);
  }
  /** GET_STATISTICS. */
  async statistics(): Promise<Statistics> {
    return parseStatistics(
      (await this.#request(this.#codec.simple(CMD.GET_STATISTICS), "read statistics")).payload,
    );
  }
  /** RESET: restarts generation (startup test) and clears statistics. */
  async reset(): Promise<Status> {
    return parseStatus((await this.#request(this.#codec.simple(CMD.RESET), "reset")).payload);
  }
  /** GET_INFO. */
  async info(): Promise<Info> {
    const { code, payload } = await this.#request(this.#codec.simple(CMD.GET_INFO), "read info");
    const info = parseInfo(payload);
    this.#infoAnswer = Uint8Array.of(code, ...payload);
    return info;
  }
  /** ENABLE_INSTANCE. */
  async enableInstance(instance: number, enable: boolean): Promise<Status> {
    return parseStatus(
      (await this.#request(this.#codec.enableInstance(instance, enable), "enable instance")).payload,
    );
  }
  /** GET_DEV_AUTH_PUBKEY: the device's P-256 public key x‖y. */
  async publicKey(): Promise<Uint8Array> {
    return (await this.#request(this.#codec.simple(CMD.GET_DEV_AUTH_PUBKEY), "read the public key")).payload;
  }
  /** GET_DEV_CERTIFICATE: the CA's signature r‖s over the certificate blob. */
  async certificate(): Promise<Uint8Array> {
    return (await this.#request(this.#codec.simple(CMD.GET_DEV_CERTIFICATE), "read the certificate")).payload;
  }
  /** REBOOT; resolves whether the device confirmed (it may drop off first). */
  async reboot(): Promise<boolean> {
    await this.#send(this.#codec.reboot());
    try {
      await this.#response("reboot");
      return true;
    } catch (error) {
      if (error instanceof QrngError && (error.kind === "timeout" || error.kind === "disconnected")) {
        return false;
      }
      throw error;
    }
  }
  /** UPDATE_INIT. */
  async updateInit(totalLength: number): Promise<UpdateState> {
    return parseUpdate(
      (await this.#request(this.#codec.updateInit(totalLength), "start the update")).payload,
    );
  }
  /** UPDATE_CHUNK of ≤ CHUNK_BYTES bytes. */
  async updateChunk(data: Uint8Array): Promise<UpdateState> {
    return parseUpdate((await this.#request(this.#codec.updateChunk(data), "send an update chunk")).payload);
  }
  /** The hash test: resolves the device's SHA-256 of `data`. */
  async hashTest(data: Uint8Array): Promise<Uint8Array> {
    await this.#request(this.#codec.simple(CMD.HASH_TEST_INIT), "start the hash test");
    for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
      await this.#request(
        this.#codec.hashChunk(data.subarray(offset, offset + CHUNK_BYTES)),
        "send a hash-test chunk",
      );
    }
    return (await this.#request(this.#codec.simple(CMD.HASH_TEST_DIGEST), "read the hash-test digest"))
      .payload;
  }

  /** Reads exactly `length` data bytes into `into` (decoder or data channel). */
  async #dataInto(into: Uint8Array, what: string): Promise<void> {
    let have = 0;
    const shortfall = (channel: Transport) =>
      new QrngError(
        "timeout",
        `Cannot ${what}: got ${have} of ${into.length} bytes from ${channel.description} ` +
          `(${this.#guard?.newDrops() || "datagrams lost?"})`,
      );
    if (this.#data) {
      while (have < into.length) {
        const n = await this.#data.read(into.subarray(have), DATA_TIMEOUT_MS);
        if (n === 0) throw shortfall(this.#data);
        have += n;
      }
      return;
    }
    while (have < into.length) {
      let event: DecoderEvent;
      try {
        event = await this.#event(what, DATA_TIMEOUT_MS);
      } catch (error) {
        // Over UDP a read that stops short is a shortfall, perhaps of datagrams dropped as copies.
        const silent = error instanceof QrngError && error.kind === "timeout";
        throw silent && this.#guard ? shortfall(this.transport) : error;
      }
      if (event.type !== "data") throw this.#protocolError(what, event);
      into.set(event.bytes, have);
      have += event.bytes.length;
    }
  }

  /**
   * One-shot read of `length` (1..ready_bytes) bytes; resolves the data and the status in the
   * ACK, and over datagrams the status that settled the read (the device's state after it).
   */
  async oneShot(length: number): Promise<{ data: Uint8Array; status: Status; settled?: Status }> {
    const what = `read ${length} bytes`;
    await this.#guard?.flush(this.#data ?? this.transport);
    const command = this.#codec.startOneShot(length);
    if (this.#data) this.#codec.arm(CMD.START, 1, 0); // data comes by the other channel
    const ack = await this.#request(command, what);
    const data = new Uint8Array(length);
    await this.#dataInto(data, what);
    const settled = this.#guard ? await this.#settle(this.#guard, what) : undefined;
    return { data, status: parseStatus(ack.payload), settled };
  }

  /**
   * Signed read: data and the raw signature r‖s (verify with cli/devices/cmdctrl/signature.ts);
   * over datagrams also the status that settled the read.
   */
  async signedRead(length: number): Promise<{ data: Uint8Array; signature: Uint8Array; settled?: Status }> {
    const what = `read ${length} signed bytes`;
    await this.#guard?.flush(this.#data ?? this.transport);
    const command = this.#codec.signedRead(length);
    if (this.#data) this.#codec.arm(CMD.SIGNED_READ, 0, 0); // data by UDP, signature by TCP
    const answer = await this.#request(command, what);
    if (answer.code !== RESP.SIGNED_READ) {
      throw new QrngError("protocol", `Cannot ${what}: unexpected answer`);
    }
    const data = new Uint8Array(length);
    await this.#dataInto(data, what);
    const event = await this.#event(what, RESPONSE_TIMEOUT_MS);
    if (event.type !== "signature") throw this.#protocolError(what, event);
    const signature = event.signature.slice();
    const settled = this.#guard ? await this.#settle(this.#guard, what) : undefined;
    return { data, signature, settled };
  }

  /**
   * Settles a counted read over datagrams: no byte beyond the count may be waiting, nor arrive
   * before the device answers a GET_STATUS sent now (the device sent all of the read's data
   * before that answer). Resolves the status; a surplus fails closed (kind "protocol").
   */
  async #settle(guard: DatagramGuard, what: string): Promise<Status> {
    // On UDP the decoder may already hold bytes read past the count; on TCP+UDP the data channel.
    const channel = this.#data ?? this.transport;
    const waiting = async () =>
      (!this.#data && this.#codec.next().type !== "need-input") || await guard.takeWaiting(channel) > 0;
    if (await waiting()) throw guard.surplus(what);
    await this.transport.write(this.#codec.simple(CMD.GET_STATUS));
    let status: Status;
    try {
      status = parseStatus((await this.#response(what)).payload);
    } catch (error) {
      // On UDP, surplus bytes ahead of the answer garble it: name the cause, not the symptom.
      const garbled = error instanceof QrngError && (error.kind === "protocol" || error.kind === "nack");
      throw garbled && !this.#data ? guard.surplus(what) : error;
    }
    await endOfTurn();
    if (await waiting()) throw guard.surplus(what);
    guard.noteDrops();
    return status;
  }

  /** START continuous; resolves the status in the ACK. Then call {@link nextData}. */
  async startContinuous(): Promise<Status> {
    await this.#guard?.flush(this.#data ?? this.transport);
    const command = this.#codec.startContinuous();
    if (this.#data) this.#codec.arm(CMD.START, 1, 0);
    const ack = await this.#request(command, "start streaming");
    this.#streaming = true;
    return parseStatus(ack.payload);
  }

  /** The next run of streamed bytes: a view valid until the next call. */
  async nextData(): Promise<Uint8Array> {
    if (this.#data) return this.#dataBuffer!.subarray(0, await this.#readData(this.#data, this.#dataBuffer!));
    const decoded = this.#takeDecoded();
    if (decoded) return decoded;
    const event = await this.#event("read data", DATA_TIMEOUT_MS);
    if (event.type !== "data") throw this.#protocolError("read data", event);
    return event.bytes;
  }

  /**
   * Stores the next streamed bytes into `into`; resolves how many (at least one). While the
   * decoder holds nothing, the transport reads straight into `into`: in continuous mode every
   * byte until STOP is data, so the bytes need not pass through the decoder (one copy fewer).
   */
  async nextDataInto(into: Uint8Array): Promise<number> {
    if (!this.#streaming) throw new QrngError("device", "Cannot read data: the device is not streaming");
    const decoded = this.#data ? undefined : this.#takeDecoded(into.length);
    if (decoded) {
      into.set(decoded);
      return decoded.length;
    }
    return await this.#readData(this.#data ?? this.transport, into);
  }

  async #readData(channel: Transport, into: Uint8Array): Promise<number> {
    const n = await channel.read(into, DATA_TIMEOUT_MS);
    if (n === 0) {
      throw new QrngError(
        "timeout",
        `Cannot read data: ${channel.description} sent none for ${DATA_TIMEOUT_MS} ms`,
      );
    }
    return n;
  }

  /**
   * Up to `limit` data bytes the decoder already holds (a view of its input), or undefined
   * when it holds none. What exceeds `limit` is kept for the next call (and for STOP).
   */
  #takeDecoded(limit = Infinity): Uint8Array | undefined {
    if (!this.#undelivered) {
      const event = this.#codec.next();
      if (event.type === "need-input") return undefined;
      if (event.type !== "data") throw this.#protocolError("read data", event);
      this.#undelivered = event.bytes;
    }
    const run = this.#undelivered.subarray(0, limit);
    this.#undelivered = run.length < this.#undelivered.length
      ? this.#undelivered.subarray(run.length)
      : undefined;
    return run;
  }

  /**
   * STOP. When streaming, the data still in flight goes to `keep` (valid bytes; pass nothing to
   * discard them) and success is the 11 + status tail: found by the marker behind it (see the
   * module comment), or else once the line is quiet. Resolves the status.
   */
  async stop(keep?: (data: Uint8Array) => void | Promise<void>): Promise<Status> {
    if (!this.#streaming) {
      return parseStatus((await this.#request(this.#codec.simple(CMD.STOP), "stop")).payload);
    }
    this.#streaming = false;
    const undelivered = this.#undelivered;
    this.#undelivered = undefined;
    if (undelivered) await keep?.(undelivered); // decoded before STOP, not yet handed out
    const marker = this.#data || this.#markerIgnored ? undefined : this.#infoAnswer;
    const stop = this.#codec.simple(CMD.STOP);
    if (marker) this.#codec.expectMarker(marker);
    await this.transport.write(marker ? Uint8Array.of(CMD.STOP, CMD.GET_INFO) : stop);
    if (this.#data) {
      const status = parseStatus((await this.#response("stop")).payload);
      while (true) {
        const n = await this.#data.read(this.#dataBuffer!, STOP_QUIET_MS);
        if (n === 0) break;
        await keep?.(this.#dataBuffer!.subarray(0, n));
      }
      return status;
    }
    const watch = new StopAnswerWatch(RESPONSE_TIMEOUT_MS, marker !== undefined);
    const started = this.#now();
    const unacknowledged = (detail: string) =>
      new QrngError(
        "device",
        `Cannot stop ${this.transport.description}: STOP was not acknowledged (${detail})`,
      );
    while (true) {
      const event = this.#codec.next();
      if (event.type === "data") {
        await keep?.(event.bytes);
        continue;
      }
      if (event.type === "stopped") {
        // INFO's answer came: the 6 bytes before it are ACK + status, or the STOP went unanswered.
        if (!plausibleStopStatus(event.status)) throw unacknowledged("no status before INFO's answer");
        return parseStatus(event.status.slice());
      }
      const waitMs = watch.waitMs();
      const n = await this.transport.read(this.#sink, waitMs);
      if (n > 0) {
        watch.received(this.#sink.subarray(0, n), this.#now());
        this.#codec.feed(n);
        this.#checkDrainLimit(started);
        continue;
      }
      if (!watch.tailSeen) {
        this.#codec.reset();
        throw unacknowledged(`no ACK and status in ${waitMs} ms`);
      }
      let tail = this.#codec.stopQuiet();
      for (; tail.type === "data"; tail = this.#codec.stopQuiet()) await keep?.(tail.bytes);
      if (marker) {
        this.#markerIgnored = true;
        this.#log(
          `${this.transport.description} left a GET_INFO sent behind STOP unanswered: ` +
            `its streams now end after ${STOP_QUIET_MS} ms of quiet`,
        );
      }
      if (tail.type === "stopped") return parseStatus(tail.status.slice());
      throw new QrngError(
        "protocol",
        `Cannot stop ${this.transport.description}: the stream did not end with ACK and status`,
      );
    }
  }

  /** Releases the transport(s). */
  async close(): Promise<void> {
    try {
      await this.transport.close();
      await this.#data?.close();
    } finally {
      // Nothing reads into the codec once the transports are closed: the next device may use it.
      if (this.#ownCodec && spareCodecs.length < MAX_SPARE_CODECS) spareCodecs.push(this.#ownCodec);
      this.#ownCodec = undefined;
    }
  }
}
