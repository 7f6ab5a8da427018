/**
 * The health policy of `qrng read`: SP 800-90B continuous tests on every byte, through the
 * fail-closed gate of wasm/health.ts, with defaults chosen so ideal data almost never alarms.
 *
 * Defaults: samples are bytes, claimed min-entropy H = 8 bits per byte (a conditioned output
 * such as QCicada's SHA256 mode; pass --h for raw modes), α = 2^-40 per test (the
 * smallest SP 800-90B allows), so RCT cutoff C = 1 + ⌈40 / 8⌉ = 6 and the APT cutoff over 512
 * byte windows is the exact binomial quantile at 2^-40.
 *
 * Arithmetic for 1 GiB of ideal data: each 512-byte window fails falsely with probability
 * p ≤ 512·2^-40 (RCT, per sample) + 2^-40 (APT) ≈ 4.7·10^-10. 1 GiB is 2^21 windows, so the
 * expected number of dropped windows is 2^21 · 4.7·10^-10 ≈ 0.001: about one read in a
 * thousand drops one window (512 bytes, counted and reported, never output), and stopping the
 * read needs more failures than Binomial(2^21, p) exceeds with probability 10^-6 (wasm/health.ts
 * VERDICT_SIGNIFICANCE), i.e. at least two windows: P ≈ (0.001)²/2 = 5·10^-7 per GiB.
 * A stuck or biased source fails every window it touches and stops the read within a few
 * windows; any health or supply flag the device raises stops it at once.
 *
 * The repetition check (core/analysis/repeat.ts) stops the read at the first stretch (at H = 8)
 * of 1054 bytes or more that recurs within 4 MiB, or of 2078 bytes or more that recurs within
 * the last 256 MiB: a replayed block, a counter, any period. (Lower claims need longer grams:
 * 1278 and 2302 bytes at H = 1.) The gate holds the last 2077 released bytes back until later
 * data shows they start no repeat, so none of a repeat is output. Ideal data trips it about
 * 4·10^-19 times per TiB (fingerprint collisions; a true repeat of 256 bits is rarer still).
 */
import { QrngError } from "../errors.ts";
import { HealthGate, type HealthGateStats, isPersistentFailure } from "../../wasm/health.ts";

/** log2 of the per-test false-positive probability. */
export const DEFAULT_ALPHA_LOG2 = -40;
/** Claimed min-entropy per byte, in bits. */
export const DEFAULT_H_PER_BYTE = 8;

/**
 * Pushes between looks at the failure counts. The gate itself never releases a failing window,
 * so looking less often only delays the verdict (by at most this many reads: up to 16 MiB when
 * each fills the gate's 1 MiB staging buffer, less at usual read sizes), never lets a bad
 * byte out; {@link ReadHealth.finish} gives the last verdict before a read counts as done.
 */
const VERDICT_EVERY_PUSHES = 16;

/** A gate plus the persistent-failure rule. */
export class ReadHealth {
  readonly gate: HealthGate;
  #failed = 0;
  #pushes = 0;

  constructor(h = DEFAULT_H_PER_BYTE, alphaLog2 = DEFAULT_ALPHA_LOG2) {
    this.gate = new HealthGate({ h, alphaLog2, symbols: "bytes", repetition: true });
  }

  /** Tests `chunk`; returns the released bytes; throws kind "health" on a persistent failure. */
  push(chunk: Uint8Array): Uint8Array {
    return this.#judged(this.gate.push(chunk));
  }

  /** Where to store the next bytes before {@link commit} (see HealthGate.inputSpace). */
  inputSpace(): Uint8Array {
    return this.gate.inputSpace();
  }

  /** Tests the `length` bytes stored into {@link inputSpace}; otherwise as {@link push}. */
  commit(length: number): Uint8Array {
    return this.#judged(this.gate.commit(length));
  }

  /**
   * The verdict on all failures so far; call before a read counts as done (failures in its last
   * pushes were not looked at yet). Throws kind "health" when they are persistent.
   */
  finish(): void {
    this.#verdict();
  }

  /**
   * `released`, unless the repetition check found a repeat in this push (it holds the bytes of a
   * repeat back, so none of it was released before), after a look at the failure counts every
   * few pushes (throws when persistent).
   */
  #judged(released: Uint8Array): Uint8Array {
    if (this.gate.repetitionFailures() > 0) throw this.#repeatError();
    if (++this.#pushes % VERDICT_EVERY_PUSHES !== 0 && released.length > 0) return released;
    this.#verdict();
    return released;
  }

  #verdict(): void {
    const stats = this.gate.stats();
    if (stats.windowsFailed > this.#failed) {
      this.#failed = stats.windowsFailed;
      if (isPersistentFailure(stats.windowsFailed, stats.windowsTested, this.gate.windowFalseRate)) {
        throw new QrngError(
          "health",
          `Health tests failed ${stats.windowsFailed} of ${stats.windowsTested} windows ` +
            `(RCT ${stats.rctFailures}, APT ${stats.aptFailures}): more than ideal data explains; stopped (nothing from failing windows was output)`,
        );
      }
    }
  }

  #repeatError(): QrngError {
    const r = this.gate.stats().repetition!;
    const stop = "stopped (nothing of the repeat was output)";
    if (r.repeats === 0) {
      return new QrngError(
        "health",
        `Repetition check overloaded: far more fingerprints than random data gives; ${stop}`,
      );
    }
    const { earlier, later } = r.first[0];
    const distance = later - earlier;
    return new QrngError(
      "health",
      `Repetition check: the ${r.parameters.gramBytes} bytes at stream offset ${later} repeat those at offset ` +
        `${earlier}, ${distance} byte${
          distance === 1 ? "" : "s"
        } earlier (a stuck, cycling or replaying source); ${stop}`,
    );
  }

  /** The counts so far. */
  stats(): HealthGateStats {
    return this.gate.stats();
  }

  /** The windows ideal data would fail in `tested` windows, on average. */
  expectedFailures(tested: number): number {
    return tested * this.gate.windowFalseRate;
  }
}
