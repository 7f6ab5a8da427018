/**
 * The repetition check's parameters and results (core/analysis/repeat.ts has the theory): any
 * stretch of `stretchBytes` or more that occurs twice within the last `historyBytes` of the
 * stream is found, at every period and alignment. The parameters follow from the claimed
 * min-entropy per byte: the fingerprinted gram carries 256 bits of it.
 */
import { type AnalysisExports, SLOT } from "./_analysis.ts";
import { memoryView } from "./_instantiate.ts";

/** The check stops counting after this many repeats (core/analysis/repeat.ts). */
export const REPEAT_COUNT_LIMIT = 1024;
/** History the check remembers: a repeat further apart is not looked for. */
export const REPETITION_HISTORY_BYTES = 256 << 20;
/** Winnowing window (positions): one position in (window + 1) / 2 is fingerprinted. */
const WINDOW_POSITIONS = 2047;
/** Candidates are ~this many per window, so a window without one (slow path) is ~e^-10 rare. */
const CANDIDATES_PER_WINDOW = 10;
/** Table: 2^19 slots of 16 bytes (8 MiB); 256 MiB of history fills half of them. */
const TABLE_BITS = 19;
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
  /** Every repeat at least this long is found: window + gramBytes − 1. */
  stretchBytes: number;
  historyBytes: number;
  /** Memory of the fingerprint table. */
  tableBytes: number;
  /** Expected false alarms of ideal data (at the claimed H) per TiB: fingerprint collisions. */
  falseAlarmsPerTiB: number;
}

/** The parameters for a claim of `hPerByte` bits of min-entropy per byte (1/16..8). */
export function repetitionParameters(hPerByte: number): RepetitionParameters {
  const gramBytes = 8 * Math.ceil(GRAM_ENTROPY_BITS / 8 / hPerByte);
  const selectedPerByte = 2 / (WINDOW_POSITIONS + 1);
  // Linear probing at the fullest the sweep lets the table get (history + one 32 MiB sweep
  // period: 9/16 of the slots) compares ~½(1 + 1/(1 − 9/16)²) ≈ 3.1 slots per lookup; say 4.
  const slotsCompared = 4;
  // A gram of ideal data recurs with probability <= 2^-256 per pair: nothing beside this.
  const falseAlarmsPerTiB = TIB * selectedPerByte * slotsCompared * 2 ** -FINGERPRINT_BITS;
  return {
    gramBytes,
    stretchBytes: WINDOW_POSITIONS + gramBytes - 1,
    historyBytes: REPETITION_HISTORY_BYTES,
    tableBytes: TABLE_SLOT_BYTES << TABLE_BITS,
    falseAlarmsPerTiB,
  };
}

/** Configures the repetition check of an analysis instance for `hPerByte`; returns its parameters. */
export function configureRepetition(wasm: AnalysisExports, hPerByte: number): RepetitionParameters {
  const p = repetitionParameters(hPerByte);
  const terms = Math.min(p.gramBytes / 2, Math.ceil(SELECTION_ENTROPY_BITS / 2 / hPerByte));
  const threshold = Math.floor(2 ** 16 * CANDIDATES_PER_WINDOW / WINDOW_POSITIONS);
  wasm.repeatConfigure(p.gramBytes, terms, WINDOW_POSITIONS, threshold, p.historyBytes, TABLE_BITS);
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
  /** Grams fingerprinted and looked up. */
  selected: number;
  /** Grams found again within the history. */
  repeats: number;
  /** The first repeats (up to 32), in stream order. */
  first: Repeat[];
  /** Fingerprints the full table could not store (never for ideal data). */
  overloads: number;
}

/** Reads the check's counters from a snapshot (`stats`) and its log. */
export function repetitionResults(wasm: AnalysisExports, stats: Float64Array, parameters: RepetitionParameters): RepetitionResults {
  const repeats = stats[SLOT.repeatMatches];
  const log = memoryView(wasm, Float64Array, wasm.repeatLogPtr(), 64);
  const first: Repeat[] = [];
  for (let i = 0; i < Math.min(repeats, 32); i++) first.push({ earlier: log[2 * i], later: log[2 * i + 1] });
  return {
    parameters,
    bytes: stats[SLOT.repeatBytes],
    selected: stats[SLOT.repeatSelected],
    repeats,
    first,
    overloads: stats[SLOT.repeatOverloads],
  };
}
