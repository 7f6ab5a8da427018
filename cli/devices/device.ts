/**
 * What every driver delivers: an open {@link RandomSource} over a device it was handed. Which
 * device URI opens which driver on which transport is the source layer's registry
 * (cli/sources/registry.ts); the health gate after the source is cli/sources/gated.ts.
 * A source only delivers bytes and reports device faults.
 */
import type { Platform } from "../platform.ts";

/** What `qrng read` asks of a source when opening it. */
export interface SourceOptions {
  readonly platform: Platform;
  /**
   * How many bytes the caller expects to need (a little more may be asked for when the health
   * gate drops windows): drivers use it to choose between one-shot and continuous reads.
   */
  readonly sizeHint: number;
  /** Ask for signed data and verify every signature (drivers that cannot, refuse). @default false */
  readonly signed?: boolean;
  /** Lines for stderr (warnings, recovery notes); never data. */
  log(line: string): void;
  /**
   * Ctrl-C (and SIGTERM): every wait of the source (reads, polls, sleeps, opening) ends as
   * soon as it aborts, rejecting with kind "interrupted". {@link RandomSource.close} still
   * stops the device afterwards.
   */
  readonly signal?: AbortSignal;
}

/** An open source of random bytes. */
export interface RandomSource {
  /** What is being read, for messages: "QCicada QC0000000217 over tcp://10.0.0.5:54936". */
  readonly description: string;
  /** True for emulators: `qrng read` then warns that the data is not random. */
  readonly emulated: boolean;
  /**
   * Resolves the next run of random bytes, at least one: a view valid until the next call.
   * Rejects with a QrngError when no more good bytes come: kind "device" for a health flag the
   * device raised or a signature that does not verify, "timeout", "disconnected", "protocol",
   * or "interrupted" (the signal aborted while waiting).
   */
  next(): Promise<Uint8Array>;
  /**
   * Like {@link next}, but stores the bytes into `buffer` (e.g. WASM memory) and resolves how
   * many, at least one. Optional: sources that can read straight into it save a copy.
   */
  nextInto?(buffer: Uint8Array): Promise<number>;
  /**
   * Ends a read that got all it needs, before anything is committed: stops the data flow
   * (the data still in flight is not needed), judges the device's last status and releases
   * the device. Rejects with kind "device" when that status reports a fault or STOP is not
   * acknowledged (the read then failed: commit nothing, exit 1), or any kind a wait can end
   * with. The source is closed afterwards either way.
   */
  finish(): Promise<void>;
  /**
   * Optional: judges the device's status now without ending the read, so every byte delivered
   * before the call is covered by a judged status (continuous mode stops, keeps the data in
   * flight and streams on at the next read). With `keep`, the bytes the source holds and those
   * in flight go to it instead, in order, each a view valid during the call: covered by this
   * status too, and nothing is held for the next read. Rejects as {@link finish} does; the
   * source stays open. Sources with no status to judge omit it (their bytes count as good once
   * delivered).
   */
  checkpoint?(keep?: (data: Uint8Array) => void): Promise<void>;
  /**
   * Aborts: stops the data flow as far as the device lets it (continuous mode: STOP and
   * drain) and releases the device, judging nothing. For error paths and Ctrl-C. Safe to call
   * more than once, after {@link finish} and while idle; never rejects.
   */
  close(): Promise<void>;
}
