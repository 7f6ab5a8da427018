/**
 * The repetition check's parameters and results (core/analysis/repeat.ts has the theory). Two
 * guarantees, at every period and alignment: any stretch of `nearStretchBytes` or more that
 * occurs twice within `nearHistoryBytes` is found, and any stretch of `stretchBytes` or more
 * within `historyBytes`. The parameters follow from the claimed min-entropy per byte: the
 * fingerprinted gram carries 256 bits of it.
 */
import { type AnalysisExports, SLOT } from "./_analysis.ts";
import { memoryView } from "./_instantiate.ts";

/** The check stops counting after this many repeats (core/analysis/repeat.ts). */
export const REPEAT_COUNT_LIMIT = 1024;
/** History the far tier remembers: a repeat further apart is not looked for. */
export const REPETITION_HISTORY_BYTES = 256 << 20;
/** History the near tier remembers: shorter repeats are guaranteed within this distance. */
export const REPETITION_NEAR_HISTORY_BYTES = 4 << 20;
/** Winnowing windows (positions): one position in (window + 1) / 2 is fingerprinted. */
const FAR_WINDOW_POSITIONS = 2047;
const NEAR_WINDOW_POSITIONS = 1023;
/**
 * Candidates (positions whose 16-bit selection value is below a threshold) per far window: ~5
 * per near window, so ~0.7% of near windows hold none and their minimum is sought among wide
 * candidates, WIDE_FACTOR times as frequent (a near window without one: ~e^-20).
 */
const CANDIDATES_PER_FAR_WINDOW = 10;
const WIDE_FACTOR = 4;
/**
 * Tables of 16-byte slots: the far one 2^19 (8 MiB), the near one 2^14 (256 KiB); each holds at
 * most the selections of its history and one sweep period (1/4 of it): 5/8 of its slots.
 */
const FAR_TABLE_BITS = 19;
const NEAR_TABLE_BITS = 14;
const TABLE_SLOT_BYTES = 16;
/** Bits of fingerprint compared per slot: a 64-bit check and 31 more beside the home bits. */
const FINGERPRINT_BITS = 95;
/** Bits of claimed min-entropy in a gram. */
const GRAM_ENTROPY_BITS = 256;
/** Bits of claimed min-entropy the selection hash covers at least. */
const SELECTION_ENTROPY_BITS = 16;
const TIB = 2 ** 40;

/** What the check looks for, for a claimed min-entropy per byte. */
export interface RepetitionParameters {
  /** Bytes fingerprinted at each selected position (>= 256 bits of the claim). */
  gramBytes: number;
  /** Every repeat at least this long is found within {@link historyBytes}: far window + gramBytes − 1. */
  stretchBytes: number;
  historyBytes: number;
  /** Every repeat at least this long is found within {@link nearHistoryBytes}: near window + gramBytes − 1. */
  nearStretchBytes: number;
  nearHistoryBytes: number;
  /** Memory of the two fingerprint tables. */
  tableBytes: number;
  /** Expected false alarms of ideal data (at the claimed H) per TiB: fingerprint collisions. */
  falseAlarmsPerTiB: number;
}

/** The parameters for a claim of `hPerByte` bits of min-entropy per byte (1/16..8). */
export function repetitionParameters(hPerByte: number): RepetitionParameters {
  const gramBytes = 8 * Math.ceil(GRAM_ENTROPY_BITS / 8 / hPerByte);
  const lookupsPerByte = 2 / (FAR_WINDOW_POSITIONS + 1) + 2 / (NEAR_WINDOW_POSITIONS + 1);
  // Linear probing at the fullest the sweep lets a table get (5/8 of the slots) compares
  // ~½(1 + 1/(1 − 5/8)²) ≈ 4.1 slots per lookup; say 5.
  const slotsCompared = 5;
  // A gram of ideal data recurs with probability <= 2^-256 per pair: nothing beside this.
  const falseAlarmsPerTiB = TIB * lookupsPerByte * slotsCompared * 2 ** -FINGERPRINT_BITS;
  return {
    gramBytes,
    stretchBytes: FAR_WINDOW_POSITIONS + gramBytes - 1,
    historyBytes: REPETITION_HISTORY_BYTES,
    nearStretchBytes: NEAR_WINDOW_POSITIONS + gramBytes - 1,
    nearHistoryBytes: REPETITION_NEAR_HISTORY_BYTES,
    tableBytes: TABLE_SLOT_BYTES * (2 ** FAR_TABLE_BITS + 2 ** NEAR_TABLE_BITS),
    falseAlarmsPerTiB,
  };
}

/** Configures the repetition check of an analysis instance for `hPerByte`; returns its parameters. */
export function configureRepetition(wasm: AnalysisExports, hPerByte: number): RepetitionParameters {
  const p = repetitionParameters(hPerByte);
  const terms = Math.min(p.gramBytes / 2, Math.ceil(SELECTION_ENTROPY_BITS / 2 / hPerByte));
  const candidates = Math.floor(2 ** 16 * CANDIDATES_PER_FAR_WINDOW / FAR_WINDOW_POSITIONS);
  wasm.repeatConfigure(
    p.gramBytes,
    terms,
    candidates,
    WIDE_FACTOR * candidates,
    NEAR_WINDOW_POSITIONS,
    p.nearHistoryBytes,
    NEAR_TABLE_BITS,
    FAR_WINDOW_POSITIONS,
    p.historyBytes,
    FAR_TABLE_BITS,
  );
  return p;
}

/** One repeat: the stream offsets of the gram's earlier and later occurrence. */
export interface Repeat {
  earlier: number;
  later: number;
}

/** What the check has found so far. */
export interface RepetitionResults {
  parameters: RepetitionParameters;
  /** Bytes checked. */
  bytes: number;
  /** Grams the far tier fingerprinted and looked up. */
  selected: number;
  /** Grams the near tier fingerprinted and looked up. */
  nearSelected: number;
  /** Grams found again within a history (a repeat both tiers find counts twice). */
  repeats: number;
  /** The first repeats (up to 32), in stream order of the later occurrence. */
  first: Repeat[];
  /** Fingerprints a full table could not store (never for ideal data). */
  overloads: number;
}

/** The first `count` (earlier, later) pairs of a tier's log at `ptr`. */
function loggedRepeats(wasm: AnalysisExports, ptr: number, count: number): Repeat[] {
  const log = memoryView(wasm, Float64Array, ptr, 2 * LOGGED_REPEATS);
  return Array.from(
    { length: Math.min(count, LOGGED_REPEATS) },
    (_, i) => ({ earlier: log[2 * i], later: log[2 * i + 1] }),
  );
}

/** Repeats each tier logs (core/analysis/layout.ts LOG_SLOTS). */
const LOGGED_REPEATS = 32;

/** Reads the check's counters from a snapshot (`stats`) and its logs. */
export function repetitionResults(
  wasm: AnalysisExports,
  stats: Float64Array,
  parameters: RepetitionParameters,
): RepetitionResults {
  const first = [
    ...loggedRepeats(wasm, wasm.repeatNearLogPtr(), stats[SLOT.repeatNearMatches]),
    ...loggedRepeats(wasm, wasm.repeatFarLogPtr(), stats[SLOT.repeatFarMatches]),
  ].sort((x, y) => x.later - y.later || x.earlier - y.earlier)
    .filter((r, i, all) => i === 0 || r.later !== all[i - 1].later || r.earlier !== all[i - 1].earlier) // found by both tiers
    .slice(0, LOGGED_REPEATS);
  return {
    parameters,
    bytes: stats[SLOT.repeatBytes],
    selected: stats[SLOT.repeatFarSelected],
    nearSelected: stats[SLOT.repeatNearSelected],
    repeats: stats[SLOT.repeatMatches],
    first,
    overloads: stats[SLOT.repeatOverloads],
  };
}
