/**
 * SP 800-90B continuous health tests for embedders: the cutoffs derived from a claimed
 * min-entropy H and a false-positive probability α, and {@link HealthGate}, a streaming
 * fail-closed gate that releases only bytes whose whole window passed every test.
 *
 * Gate semantics:
 * - Windows: the APT window (1024 bits = 128 bytes for bits, 512 bytes for bytes), or the
 *   least common multiple with the bit-count block; `windowBytes` says which.
 * - Start-up (§4.3): the first windows, at least 1024 samples in a row without any failure,
 *   are tested and never released; a failure during start-up restarts it.
 * - A window with any failure (RCT, APT or bit count) is dropped whole. RCT counts run across
 *   windows, so a stuck source fails every window it touches.
 * - A trailing partial window is held until it is complete: nothing leaves untested.
 * - Ideal data also fails windows, at `windowFalseRate`; {@link isPersistentFailure} says when
 *   the failures are more than that explains (then the source is broken: stop reading it).
 */
import {
  binomialCutoff,
  binomialTail,
  binomialThreshold,
  bitcountBounds,
  rctCutoff,
  rctFailureRate,
} from "./cutoffs.ts";
import { type AnalysisExports, newAnalysisInstance, SLOT } from "./_analysis.ts";
import { memoryView } from "./_instantiate.ts";
import {
  configureRepetition,
  type RepetitionParameters,
  type RepetitionResults,
  repetitionResults,
} from "./repetition.ts";

/** How the health tests are parameterised. */
export interface HealthTestOptions {
  /** Claimed min-entropy per sample in bits ({@link claimedHRange}: 1/128..1 for bits, 1/16..8 for bytes). */
  h: number;
  /** log2 of the false-positive probability per test, e.g. -20 or -40. */
  alphaLog2: number;
  /** Samples are bits (MSB first) or bytes. */
  symbols: "bits" | "bytes";
  /**
   * APT cutoff formula: "standard" = 1 + CRITBINOM(W, 2^-H, 1 − α) (SP 800-90B),
   * "corrected" = 2 + CRITBINOM(W − 1, 2^-H, 1 − α) (the first sample is the reference).
   * @default "standard"
   */
  aptCutoff?: "standard" | "corrected";
  /** Bit-count test: block size in bits (a multiple of 8) and its α, or false. @default false */
  bitcount?: { blockBits: number; alphaLog2: number } | false;
  /**
   * {@link HealthGate} only: also run the repetition check (wasm/repetition.ts) at the claimed H
   * and hold released bytes back until it has seen far enough past them. @default false
   */
  repetition?: boolean;
}

/** The cutoffs and the false-positive rates an ideal source at entropy H would show. */
export interface HealthCutoffs {
  /** RCT fails when a sample repeats this many times in a row. */
  rct: number;
  /** APT fails a window where the first sample occurs this many times. */
  apt: number;
  /** APT window in samples. */
  aptWindowSamples: number;
  /** RCT failures per sample of ideal data at the claimed H, as the test runs (see rctFailureRate). */
  rctRate: number;
  /**
   * Probability that one APT window of ideal data fails: the first sample is the reference, so
   * the window fails when C − 1 or more of the other W − 1 samples equal it, P(Binomial(W − 1,
   * 2^-H) >= C − 1). The corrected cutoff keeps it <= α; the standard one (sized by a tail over
   * all W samples) lets it exceed α several times.
   */
  aptRate: number;
  /** Bit-count acceptance interval of the ones count and its false-rejection rate, if enabled. */
  bitcount?: { blockBits: number; low: number; high: number; rate: number };
}

/** Default verdict significance: failures beyond what ideal data shows with probability 10^-6. */
export const VERDICT_SIGNIFICANCE = 1e-6;
/** Samples of start-up testing before anything is released (SP 800-90B §4.3). */
export const STARTUP_SAMPLES = 1024;

/**
 * The least claimed min-entropy per byte the tests take: below it the RCT cutoff outgrows any
 * stream (H = 1e-300 overflowed it into a failure at every sample) and the repetition check's
 * stretch, 256 bits' worth, would pass 4 KiB.
 */
export const MIN_H_PER_BYTE = 1 / 16;

/** The range of claimed min-entropy per sample, [min, max] bits, for `symbols`. */
export function claimedHRange(symbols: "bits" | "bytes"): { min: number; max: number } {
  return symbols === "bits" ? { min: MIN_H_PER_BYTE / 8, max: 1 } : { min: MIN_H_PER_BYTE, max: 8 };
}

/** Validates `o` and throws RangeError for impossible parameters. */
function check(o: HealthTestOptions): void {
  if (o.symbols !== "bits" && o.symbols !== "bytes") {
    throw new RangeError(`symbols must be "bits" or "bytes"`);
  }
  const { min, max } = claimedHRange(o.symbols);
  if (!(o.h >= min && o.h <= max)) throw new RangeError(`h must be in [${min}, ${max}] for ${o.symbols}`);
  if (!(o.alphaLog2 < 0 && o.alphaLog2 >= -100)) throw new RangeError("alphaLog2 must be in [-100, 0)");
  if (o.bitcount) {
    const { blockBits, alphaLog2 } = o.bitcount;
    if (!Number.isInteger(blockBits) || blockBits < 64 || blockBits % 8 || blockBits > 1 << 20) {
      throw new RangeError("bitcount.blockBits must be a multiple of 8 in [64, 2^20]");
    }
    if (!(alphaLog2 < 0 && alphaLog2 >= -100)) {
      throw new RangeError("bitcount.alphaLog2 must be in [-100, 0)");
    }
  }
}

/** The RCT and APT cutoffs (and bit-count bounds) for `o`, computed exactly. */
export function healthCutoffs(o: HealthTestOptions): HealthCutoffs {
  check(o);
  const w = o.symbols === "bits" ? 1024 : 512;
  const apt = Math.min( // clamped so the test can still fail
    o.aptCutoff === "corrected"
      ? binomialCutoff(w - 1, o.h, o.alphaLog2).cutoff + 1
      : binomialCutoff(w, o.h, o.alphaLog2).cutoff,
    w,
  );
  const rct = rctCutoff(o.h, o.alphaLog2);
  const result: HealthCutoffs = {
    rct,
    apt,
    aptWindowSamples: w,
    rctRate: rctFailureRate(o.h, rct),
    aptRate: binomialTail(w - 1, o.h, apt - 1),
  };
  if (o.bitcount) {
    result.bitcount = {
      blockBits: o.bitcount.blockBits,
      ...bitcountBounds(o.bitcount.blockBits, o.bitcount.alphaLog2),
    };
  }
  return result;
}

/** Configures the health tests of an analysis instance. */
export function configureHealth(wasm: AnalysisExports, o: HealthTestOptions, c: HealthCutoffs): void {
  wasm.healthConfigure(
    o.symbols === "bits" ? 1 : 0,
    c.rct,
    c.apt,
    c.aptWindowSamples,
    c.bitcount?.blockBits ?? 0,
    c.bitcount?.low ?? 0,
    c.bitcount?.high ?? 0,
  );
}

/** What the gate has seen so far. */
export interface HealthGateStats {
  /** Samples tested (bits or bytes, as configured). */
  samples: number;
  windowsTested: number;
  windowsPassed: number;
  windowsFailed: number;
  bytesReleased: number;
  rctFailures: number;
  aptFailures: number;
  bitcountFailures: number;
  /** Whether start-up testing has completed (only then are bytes released). */
  startupComplete: boolean;
  /** The repetition check's findings, when it runs. */
  repetition?: RepetitionResults;
}

const gcd = (a: number, b: number): number => b ? gcd(b, a % b) : a;

/** A streaming fail-closed health gate; see the module comment for its semantics. */
export class HealthGate {
  /** Gate granularity: bytes are tested and released in whole windows of this size. */
  readonly windowBytes: number;
  /** Probability that a window of ideal data (at the claimed H) fails some test. */
  readonly windowFalseRate: number;
  /** The cutoffs in use. */
  readonly cutoffs: HealthCutoffs;
  /** The repetition check's parameters, when it runs. */
  readonly repetition: RepetitionParameters | undefined;
  readonly #wasm: AnalysisExports;
  readonly #options: HealthTestOptions;
  readonly #capacity: number;
  /** Released bytes the repetition check could still find to repeat: output only after more data. */
  readonly #holdBytes: number;
  // The staging buffer holds the held-back bytes, then the untested ones (an incomplete window),
  // then new data. After a commit both sit behind the output until the next call moves them.
  #held = 0;
  #heldAt = 0;
  #pending = 0;
  #pendingAt = 0;
  #spill = new Uint8Array(0);

  constructor(o: HealthTestOptions) {
    this.cutoffs = healthCutoffs(o);
    this.#options = o;
    const samplesPerByte = o.symbols === "bits" ? 8 : 1;
    const aptBytes = this.cutoffs.aptWindowSamples / samplesPerByte;
    const bcBytes = this.cutoffs.bitcount ? this.cutoffs.bitcount.blockBits / 8 : aptBytes;
    this.windowBytes = aptBytes / gcd(aptBytes, bcBytes) * bcBytes;
    this.#wasm = newAnalysisInstance();
    this.#capacity = Math.floor(this.#wasm.inputBytes() / this.windowBytes) * this.windowBytes;
    if (this.#capacity === 0) throw new RangeError("the bit-count block is too large for the gate");
    this.#wasm.configure(0);
    configureHealth(this.#wasm, o, this.cutoffs);
    this.repetition = o.repetition ? configureRepetition(this.#wasm, o.h * samplesPerByte) : undefined;
    // A repeat is found once its whole stretch is in: the stretch's first byte is then at most
    // stretchBytes - 1 before the end of what was tested.
    this.#holdBytes = this.repetition ? this.repetition.stretchBytes - 1 : 0;
    const samples = this.windowBytes * samplesPerByte;
    const startupWindows = Math.ceil(STARTUP_SAMPLES / samples);
    this.#wasm.gateConfigure(this.windowBytes, startupWindows * this.windowBytes);
    const c = this.cutoffs;
    const pass = Math.pow(1 - c.rctRate, samples) *
      Math.pow(1 - c.aptRate, samples / c.aptWindowSamples) *
      (c.bitcount ? Math.pow(1 - c.bitcount.rate, this.windowBytes * 8 / c.bitcount.blockBits) : 1);
    this.windowFalseRate = 1 - pass;
  }

  /**
   * Tests `chunk` (any size) and returns the bytes released by this call: a view valid until
   * the next call. Bytes of an incomplete window are kept until the window completes.
   */
  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length <= this.#capacity - this.#held - this.#pending) {
      this.inputSpace().set(chunk);
      return this.commit(chunk.length);
    }
    // Larger than the staging buffer: collect the releases of several passes in a JS buffer.
    if (this.#spill.length < this.#held + this.#pending + chunk.length) {
      this.#spill = new Uint8Array(this.#held + this.#pending + chunk.length);
    }
    let length = 0;
    for (let offset = 0; offset < chunk.length;) {
      const space = this.inputSpace();
      const take = Math.min(chunk.length - offset, space.length);
      space.set(chunk.subarray(offset, offset + take));
      const released = this.commit(take);
      this.#spill.set(released, length);
      length += released.length;
      offset += take;
    }
    return this.#spill.subarray(0, length);
  }

  /**
   * The free part of the staging buffer, to fill (e.g. straight from a socket) and then pass
   * to {@link commit}: a view of WASM memory, valid until the next call.
   */
  inputSpace(): Uint8Array {
    this.#compact();
    const w = this.#wasm;
    const used = this.#held + this.#pending;
    return memoryView(w, Uint8Array, w.inputPtr() + used, this.#capacity - used);
  }

  /** Moves the held-back and untested bytes to the front once the output before them is done with. */
  #compact(): void {
    if (this.#heldAt === 0 && this.#pendingAt === this.#held) return;
    const w = this.#wasm;
    const input = memoryView(w, Uint8Array, w.inputPtr(), this.#capacity);
    input.copyWithin(0, this.#heldAt, this.#heldAt + this.#held); // held bytes come first
    input.copyWithin(this.#held, this.#pendingAt, this.#pendingAt + this.#pending);
    this.#heldAt = 0;
    this.#pendingAt = this.#held;
  }

  /**
   * Tests the `length` bytes just written at the start of {@link inputSpace} with the untested
   * ones and returns the bytes released: a view valid until the next call. Whole windows are
   * tested and released in place (the gate compacts passing windows over failing ones); the
   * rest waits until its window completes. With the repetition check on, the last released
   * bytes (stretchBytes − 1) are held back until later data shows they start no repeat.
   */
  commit(length: number): Uint8Array {
    const used = this.#held + this.#pending;
    if (length > 0 && (this.#heldAt !== 0 || this.#pendingAt !== this.#held)) {
      throw new RangeError("commit without inputSpace()");
    }
    if (!(length >= 0 && length <= this.#capacity - used)) {
      throw new RangeError("commit beyond the input space");
    }
    this.#compact();
    const w = this.#wasm;
    const staged = this.#pending + length;
    const whole = staged - staged % this.windowBytes;
    const released = whole ? w.gateWindows(w.inputPtr() + this.#held, whole) : 0;
    const ready = this.#held + released; // at the front, in stream order
    const held = Math.min(this.#holdBytes, ready);
    this.#heldAt = ready - held;
    this.#held = held;
    this.#pendingAt = used - this.#pending + whole; // behind the tested windows
    this.#pending = staged - whole;
    return memoryView(w, Uint8Array, w.inputPtr(), ready - held);
  }

  /** Repeats (and overloads) the repetition check has found: any is a failure of the source. */
  repetitionFailures(): number {
    return this.repetition ? this.#wasm.repeatFailures() : 0;
  }

  /** Counts so far. */
  stats(): HealthGateStats {
    const w = this.#wasm;
    w.snapshot();
    const s = memoryView(w, Float64Array, w.statsPtr(), 64);
    const passed = s[SLOT.gateWindowsPassed], failed = s[SLOT.gateWindowsFailed];
    return {
      samples: s[SLOT.healthBytes] * (this.#options.symbols === "bits" ? 8 : 1),
      windowsTested: passed + failed,
      windowsPassed: passed,
      windowsFailed: failed,
      bytesReleased: s[SLOT.gateBytesReleased],
      rctFailures: s[SLOT.rctFailures],
      aptFailures: s[SLOT.aptFailures],
      bitcountFailures: s[SLOT.bitcountFailures],
      startupComplete: s[SLOT.gateStartupComplete] === 1,
      ...(this.repetition ? { repetition: repetitionResults(w, s, this.repetition) } : {}),
    };
  }
}

/**
 * Whether `failedWindows` out of `testedWindows` is more than ideal data explains: more than
 * the binomial (testedWindows, windowFalseRate) count exceeded with probability `significance`.
 * A persistent failure means the source is broken: callers stop reading and report it.
 */
export function isPersistentFailure(
  failedWindows: number,
  testedWindows: number,
  windowFalseRate: number,
  significance: number = VERDICT_SIGNIFICANCE,
): boolean {
  return failedWindows > binomialThreshold(testedWindows, windowFalseRate, significance);
}
