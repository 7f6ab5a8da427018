/**
 * Typed binding of the XR232USB sampling/pool model (core/xr232/). One {@link Xr232Model} is one
 * instance with its own memory: the firmware state machine, the pool and a seeded pulse source.
 * The wrapper validates; the kernel has no error paths.
 */
import { instantiateWasm, memoryView } from "./_instantiate.ts";
import { xr232WasmBase64 } from "./_generated/xr232_wasm.ts";

/** Model parameters; every timing has the published value as its default. */
export interface Xr232Params {
  /**
   * Firmware polling rate, the time base (one poll tick). "More than 1 million" in the text; 2 MHz
   * (an 8-cycle loop at 16 MHz) puts the median count at 7, inside the published 2..14. @default 2_000_000
   */
  pollHz: number;
  /** Median frequency of the comparator's square wave (a pulse is half a period). @default 140_000 */
  medianHz: number;
  /** Log-normal spread of pulse widths (3 sigma spans about 3..17 ticks). @default 0.3 */
  sigma: number;
  /** Pool size ("nearly 500 bytes"). @default 480 */
  poolBytes: number;
  /** A pulse this many poll ticks long or longer marks the source as down. @default 32 */
  longPulseTicks: number;
  /** Source down this long: CTS off (20 ms in the text, 2 ms in its worked example). @default 20 */
  tr1Ms: number;
  /** Dead time: source up this long before the cold start. @default 3 */
  tr2Ms: number;
  /** Cold start duration tR3, after reset and after a long disturbance (~1/10 s). @default 100 */
  coldStartMs: number;
  /** Pool rotations of a cold start ("some thousands"). @default 2000 */
  coldRotations: number;
  /** Median square-wave frequency during a disturbance; 0 = a static level. @default 2000 */
  disturbHz: number;
}

/** The published defaults. */
export const XR232_DEFAULTS: Readonly<Xr232Params> = Object.freeze({
  pollHz: 2_000_000,
  medianHz: 140_000,
  sigma: 0.3,
  poolBytes: 480,
  longPulseTicks: 32,
  tr1Ms: 20,
  tr2Ms: 3,
  coldStartMs: 100,
  coldRotations: 2000,
  disturbHz: 2000,
});

const PARAM_ORDER: ReadonlyArray<keyof Xr232Params> = [
  "pollHz",
  "medianHz",
  "sigma",
  "poolBytes",
  "longPulseTicks",
  "tr1Ms",
  "tr2Ms",
  "coldStartMs",
  "coldRotations",
  "disturbHz",
];

/** One interval of abnormally long pulses, in model seconds. */
export interface Disturbance {
  startS: number;
  durationS: number;
}

/** Counters since power-on. */
export interface Xr232Stats {
  /** Model time in poll ticks. */
  nowTicks: number;
  pulses: number;
  /** Bits extracted (pulses of normal width while sampling). */
  bits: number;
  ones: number;
  longPulses: number;
  bytesWritten: number;
  /** Full passes of the pool's write pointer. */
  refreshes: number;
  bytesServed: number;
  ctsDrops: number;
  ctsRises: number;
  resets: number;
  cts: boolean;
  /** "run", "dead" (waiting for the source) or "cold" (cold start). */
  state: "run" | "dead" | "cold";
  sourceDown: boolean;
  eventsLost: number;
}

/** What happened, in model time. */
export type Xr232EventKind = "cts-off" | "cts-on" | "source-down" | "source-up" | "reset" | "cold-start";

/** One timeline entry. */
export interface Xr232Event {
  /** Model time in seconds. */
  timeS: number;
  kind: Xr232EventKind;
}

const EVENT_KINDS: readonly Xr232EventKind[] = [
  "cts-off",
  "cts-on",
  "source-down",
  "source-up",
  "reset",
  "cold-start",
];
const STATES = ["run", "dead", "cold"] as const;
const SCHEDULE_CAPACITY = 256;
/** Most recorded pulse widths a model takes. */
export const RECORDED_PULSES_CAPACITY = 1 << 20;
/** Most bytes one {@link Xr232Model.serve} call returns. */
export const SERVE_CHUNK_BYTES = 65536;

interface Exports {
  memory: WebAssembly.Memory;
  paramsPtr(): number;
  schedulePtr(): number;
  outPtr(): number;
  statsPtr(): number;
  eventsPtr(): number;
  poolPtr(): number;
  pulsesPtr(): number;
  init(seedLo: number, seedHi: number, scheduleCount: number, recorded: number): void;
  resetDevice(): void;
  advance(ticks: number, untilCts: number): number;
  serve(count: number, byteTicks: number): number;
  takeEvents(): number;
}

/** Line time of one byte (start + 8 data + stop bits) at `baud`, in seconds. */
function byteSeconds(baud: number): number {
  return 10 / baud;
}

/**
 * The XR232USB firmware model. Model time advances only through {@link advance} and
 * {@link serve}, so the bytes are a pure function of seed, parameters, schedule, baud and the
 * sequence of calls: an emulator that serves bytes on the line clock reproduces them exactly.
 */
export class Xr232Model {
  readonly params: Readonly<Xr232Params>;
  readonly #x: Exports;

  /**
   * Powers on a model; throws RangeError on impossible parameters or schedule. With
   * `recordedWidthsUs` (pulse widths in microseconds, e.g. from a logic analyser) the model
   * plays the recording instead of its seeded source; after its end the level stays put, which
   * the firmware sees as its source going down.
   */
  constructor(
    seed: bigint | number,
    params: Partial<Xr232Params> = {},
    schedule: readonly Disturbance[] = [],
    recordedWidthsUs?: ArrayLike<number>,
  ) {
    const p = { ...XR232_DEFAULTS, ...params };
    for (const key of PARAM_ORDER) {
      if (!Number.isFinite(p[key]) || p[key] < 0) {
        throw new RangeError(`xr232 model: ${key} must be a number >= 0`);
      }
    }
    if (p.pollHz < 1000 || p.medianHz <= 0 || p.medianHz * 2 > p.pollHz) {
      throw new RangeError("xr232 model: need pollHz >= 1000 and 0 < medianHz <= pollHz / 2");
    }
    if (!Number.isInteger(p.poolBytes) || p.poolBytes < 1 || p.poolBytes > 4096) {
      throw new RangeError("xr232 model: poolBytes must be an integer 1..4096");
    }
    if (p.longPulseTicks < 2 || p.sigma > 3 || p.disturbHz * 2 > p.pollHz) {
      throw new RangeError("xr232 model: need longPulseTicks >= 2, sigma <= 3, disturbHz <= pollHz / 2");
    }
    if (schedule.length > SCHEDULE_CAPACITY) {
      throw new RangeError(`xr232 model: at most ${SCHEDULE_CAPACITY} disturbances`);
    }
    const sorted = [...schedule].sort((a, b) => a.startS - b.startS);
    for (const d of sorted) {
      if (!(d.startS >= 0) || !(d.durationS > 0)) {
        throw new RangeError("xr232 model: disturbances need start >= 0 and duration > 0");
      }
    }
    this.params = Object.freeze(p);
    this.#x = instantiateWasm(xr232WasmBase64).exports as unknown as Exports;
    const x = this.#x;
    const params64 = memoryView(x, Float64Array, x.paramsPtr(), 16);
    PARAM_ORDER.forEach((key, i) => (params64[i] = p[key]));
    const sched = memoryView(x, Float64Array, x.schedulePtr(), SCHEDULE_CAPACITY * 2);
    sorted.forEach((d, i) => {
      sched[2 * i] = d.startS;
      sched[2 * i + 1] = d.durationS;
    });
    const recorded = recordedWidthsUs?.length ?? 0;
    if (recorded > RECORDED_PULSES_CAPACITY) {
      throw new RangeError(`xr232 model: at most ${RECORDED_PULSES_CAPACITY} recorded pulses`);
    }
    if (recordedWidthsUs && recorded > 0) {
      const widths = memoryView(x, Float32Array, x.pulsesPtr(), recorded);
      for (let i = 0; i < recorded; i++) {
        const us = recordedWidthsUs[i];
        if (!(us > 0) || !Number.isFinite(us)) {
          throw new RangeError(`xr232 model: recorded pulse ${i} is not a width > 0`);
        }
        widths[i] = (us * p.pollHz) / 1e6;
      }
    }
    const big = BigInt.asUintN(64, BigInt(seed));
    x.init(Number(big & 0xffffffffn) | 0, Number(big >> 32n) | 0, sorted.length, recorded);
  }

  /** The reset that opening the port causes (CTS off, cold start). */
  reset(): void {
    this.#x.resetDevice();
  }

  /** Runs `seconds` of model time, stopping early when CTS goes on if `untilCts`; returns CTS. */
  advance(seconds: number, untilCts = false): boolean {
    if (!(seconds >= 0)) throw new RangeError("xr232 model: cannot run backwards");
    return this.#x.advance(seconds * this.params.pollHz, untilCts ? 1 : 0) !== 0;
  }

  /**
   * Answers up to `count` magic characters at `baud` (10 bit times each), stopping when CTS is
   * off; returns a view of the bytes (valid until the next call on this model).
   */
  serve(count: number, baud: number): Uint8Array {
    if (!Number.isInteger(count) || count < 0 || count > SERVE_CHUNK_BYTES) {
      throw new RangeError(`xr232 model: serve 0..${SERVE_CHUNK_BYTES} bytes at a time`);
    }
    const x = this.#x;
    const served = x.serve(count, byteSeconds(baud) * this.params.pollHz);
    return memoryView(x, Uint8Array, x.outPtr(), served);
  }

  /** Current counters. */
  stats(): Xr232Stats {
    const s = memoryView(this.#x, Float64Array, this.#x.statsPtr(), 16);
    return {
      nowTicks: s[0],
      pulses: s[1],
      bits: s[2],
      ones: s[3],
      longPulses: s[4],
      bytesWritten: s[5],
      refreshes: s[6],
      bytesServed: s[7],
      ctsDrops: s[8],
      ctsRises: s[9],
      resets: s[10],
      cts: s[11] !== 0,
      state: STATES[s[12]],
      sourceDown: s[13] !== 0,
      eventsLost: s[14],
    };
  }

  /** Model time in seconds. */
  get timeS(): number {
    return this.stats().nowTicks / this.params.pollHz;
  }

  /** Whether CTS is on (the device answers). */
  get cts(): boolean {
    return this.stats().cts;
  }

  /** The events since the last call, oldest first. */
  takeEvents(): Xr232Event[] {
    const x = this.#x;
    const n = x.takeEvents();
    const e = memoryView(x, Float64Array, x.eventsPtr(), n * 2);
    const out: Xr232Event[] = [];
    for (let i = 0; i < n; i++) {
      out.push({ timeS: e[2 * i] / this.params.pollHz, kind: EVENT_KINDS[e[2 * i + 1] - 1] });
    }
    return out;
  }

  /** A copy of the pool's current contents. */
  pool(): Uint8Array {
    return memoryView(this.#x, Uint8Array, this.#x.poolPtr(), this.params.poolBytes).slice();
  }
}
