/**
 * SP 800-90B non-IID entropy assessment (§6.3) as NIST's `ea_non_iid` performs it: symbol
 * preparation, the ten estimators on the literal symbols and on their bitstring, H_original,
 * H_bitstring and the assessed min-entropy, with every intermediate value the tool prints
 * under `-vv`. Where the tool is silent about something that weakens the figure (too few
 * samples, an estimator that could not run, multi-bit data with two values treated as binary),
 * the result says so in `warnings`.
 */
import { type AssessExports, newAssessInstance, RESULT_SLOTS } from "./_assess.ts";
import { memoryView } from "./_instantiate.ts";

/** Samples an assessment of record needs (SP 800-90B §3.1.1). */
export const RECORD_SAMPLES = 1_000_000;
/** Bits the tool's `-t` keeps of the bitstring. */
export const TRUNCATED_BITSTRING_BITS = 1_000_000;

/** The ten estimators, by the names the JSON uses. */
export type EstimatorId =
  | "mcv"
  | "collision"
  | "markov"
  | "compression"
  | "tTuple"
  | "lrs"
  | "multiMcw"
  | "lag"
  | "multiMmc"
  | "lz78y";

/** Which data an estimate ran on: the symbols as they are, or their bits. */
export type Track = "literal" | "bitstring";

/** One estimator's outcome on one track. */
export interface Estimate {
  estimator: EstimatorId;
  /** The tool's name for it ("Most Common Value", "MultiMCW Prediction", ...). */
  name: string;
  track: Track;
  /** Min-entropy per symbol of the track (per bit on the bitstring); null: could not run. */
  minEntropy: number | null;
  /** Every intermediate value, keyed as {@link FIELD_LABELS} names them; null: not computed. */
  values: Record<string, number | boolean | null>;
}

/** How to assess. */
export interface AssessOptions {
  /** Bits per symbol, 1..8. @default inferred from the largest sample, as the tool does */
  bitsPerSymbol?: number;
  /** Keep only the first 1,000,000 bits of the bitstring (the tool's `-t`). @default false */
  truncateBitstring?: boolean;
}

/** What an assessment says of its samples. */
export interface AssessedSamples {
  samples: number;
  bitsPerSymbol: number;
  distinctSymbols: number;
  /** Symbols were rank-mapped onto 0..k−1 ("Symbols have been translated"). */
  translated: boolean;
  /** Assessed as binary data: every estimator once, on the symbols. */
  binary: boolean;
  /** Bits in the bitstring track (0 for binary data). */
  bitstringBits: number;
}

/** The whole non-IID assessment. */
export interface NonIidAssessment extends AssessedSamples {
  /** In the tool's print order. */
  estimates: Estimate[];
  hOriginal: number;
  /** Per bit; null for binary data. */
  hBitstring: number | null;
  /** min(H_original, bitsPerSymbol × H_bitstring), or H_original for binary data. */
  minEntropy: number;
  /** The estimate that sets minEntropy. */
  binding: { estimator: EstimatorId; track: Track };
  /** What the tool does not say: short data, estimators that could not run, two-valued data. */
  warnings: string[];
}

/** The tool's label for each value key, as `ea_non_iid -vv` prints it. */
export const FIELD_LABELS: Record<string, string> = {
  modeCount: "Mode count",
  pHat: "p-hat",
  pU: "p_u",
  v: "v",
  sumT: "Sum t_i",
  xBar: "X-bar",
  sigmaHat: "sigma-hat",
  xBarPrime: "X-bar'",
  p: "p",
  pFound: "Found p",
  p0: "P_0",
  p1: "P_1",
  p00: "P_{0,0}",
  p01: "P_{0,1}",
  p10: "P_{1,0}",
  p11: "P_{1,1}",
  pHatMax: "p-hat_max",
  t: "t",
  u: "u",
  c: "C",
  r: "r",
  n: "N",
  pGlobal: "P_global",
  pGlobalPrime: "P_global'",
  pLocal: "P_local",
  testBlocks: "test blocks",
};

interface EstimatorSpec {
  id: EstimatorId;
  name: string;
  /** Value keys and their result slots. */
  fields: Array<[string, number]>;
  entropySlot: number;
  /** Slot that is 1 when p was found (collision, compression). */
  foundSlot?: number;
}

const PREDICTOR_FIELDS: Array<[string, number]> = [
  ["c", 0],
  ["r", 1],
  ["n", 2],
  ["pGlobal", 3],
  ["pGlobalPrime", 4],
  ["pLocal", 5],
];

const SPECS: Record<EstimatorId, EstimatorSpec> = {
  mcv: {
    id: "mcv",
    name: "Most Common Value",
    fields: [["modeCount", 0], ["pHat", 1], ["pU", 2]],
    entropySlot: 3,
  },
  collision: {
    id: "collision",
    name: "Collision",
    entropySlot: 6,
    foundSlot: 7,
    fields: [["v", 0], ["sumT", 1], ["xBar", 2], ["sigmaHat", 3], ["xBarPrime", 4], ["p", 5]],
  },
  markov: {
    id: "markov",
    name: "Markov",
    entropySlot: 7,
    fields: [["p0", 0], ["p1", 1], ["p00", 2], ["p01", 3], ["p10", 4], ["p11", 5], ["pHatMax", 6]],
  },
  compression: {
    id: "compression",
    name: "Compression",
    entropySlot: 4,
    foundSlot: 5,
    fields: [["xBar", 0], ["sigmaHat", 1], ["xBarPrime", 2], ["p", 3], ["testBlocks", 6]],
  },
  tTuple: { id: "tTuple", name: "t-Tuple", fields: [["t", 0], ["pHatMax", 1], ["pU", 2]], entropySlot: 3 },
  lrs: { id: "lrs", name: "LRS", fields: [["u", 4], ["v", 5], ["pHat", 6], ["pU", 7]], entropySlot: 8 },
  multiMcw: { id: "multiMcw", name: "MultiMCW Prediction", fields: PREDICTOR_FIELDS, entropySlot: 6 },
  lag: { id: "lag", name: "Lag Prediction", fields: PREDICTOR_FIELDS, entropySlot: 6 },
  multiMmc: { id: "multiMmc", name: "MultiMMC Prediction", fields: PREDICTOR_FIELDS, entropySlot: 6 },
  lz78y: { id: "lz78y", name: "LZ78Y Prediction", fields: PREDICTOR_FIELDS, entropySlot: 6 },
};

/** Where one track's data sits in the instance. */
export interface TrackData {
  track: Track;
  ptr: number;
  len: number;
  width: number;
}

/** Runs `id` on `data` and reads its result slots. */
export function runEstimator(wasm: AssessExports, id: EstimatorId, data: TrackData): Estimate {
  const { ptr, len, width } = data;
  switch (id) {
    case "mcv":
      wasm.mostCommonValue(ptr, len);
      break;
    case "collision":
      wasm.collision(ptr, len);
      break;
    case "markov":
      wasm.markov(ptr, len);
      break;
    case "compression":
      wasm.compression(ptr, len);
      break;
    case "tTuple":
    case "lrs":
      wasm.tupleAndLrs(ptr, len, width);
      break;
    case "multiMcw":
      wasm.multiMcw(ptr, len, width);
      break;
    case "lag":
      wasm.lag(ptr, len, width);
      break;
    case "multiMmc":
      wasm.multiMmc(ptr, len, width);
      break;
    case "lz78y":
      wasm.lz78y(ptr, len, width);
      break;
  }
  return readEstimate(wasm, SPECS[id], data.track);
}

function readEstimate(wasm: AssessExports, spec: EstimatorSpec, track: Track): Estimate {
  const slots = memoryView(wasm, Float64Array, wasm.resultsPtr(), RESULT_SLOTS);
  const values: Record<string, number | boolean | null> = {};
  for (const [key, slot] of spec.fields) values[key] = Number.isNaN(slots[slot]) ? null : slots[slot];
  if (spec.foundSlot !== undefined) values.pFound = slots[spec.foundSlot] === 1;
  const h = slots[spec.entropySlot];
  return { estimator: spec.id, name: spec.name, track, minEntropy: Number.isFinite(h) ? h : null, values };
}

/** Lowest estimate (ties: the first in print order). */
function lowest(estimates: Estimate[]): Estimate {
  let best: Estimate | undefined;
  for (const e of estimates) {
    if (e.minEntropy !== null && (!best || e.minEntropy < best.minEntropy!)) best = e;
  }
  if (!best) throw new Error("Cannot assess: no estimator could run on this data");
  return best;
}

/** Copies `samples` into the instance. */
function load(wasm: AssessExports, samples: Uint8Array): number {
  const ptr = wasm.reserve(samples.length);
  memoryView(wasm, Uint8Array, ptr, samples.length).set(samples);
  return ptr;
}

/**
 * Runs `assess` and turns a WASM trap into a RangeError naming the sample count: the core traps
 * only when linear memory cannot grow (4 GiB, or less where the host limits it).
 */
export function withWasmMemory<T>(samples: Uint8Array, assess: () => T): T {
  try {
    return assess();
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) {
      throw new RangeError(`Cannot assess ${samples.length} samples: out of WASM memory`, { cause: error });
    }
    throw error;
  }
}

/**
 * Assesses `samples` (one symbol per byte, the low bits) as `ea_non_iid -i` does: translated
 * symbols, binary data once, multi-bit data on both tracks.
 */
export function assessNonIid(samples: Uint8Array, options: AssessOptions = {}): NonIidAssessment {
  return withWasmMemory(samples, () => assess(samples, options));
}

/** Samples in a fresh instance, prepared as the tool prepares them (symbols not yet translated). */
export interface PreparedSamples {
  wasm: AssessExports;
  samples: number;
  bitsPerSymbol: number;
  distinctSymbols: number;
  translated: boolean;
  binary: boolean;
  literal: TrackData;
  /** Absent for binary data. */
  bitstring?: TrackData;
  /** Too few samples, two-valued multi-bit data. */
  warnings: string[];
}

/**
 * Loads `samples` into a fresh instance, masks them to the symbol width and expands the
 * bitstring (truncated with `truncateBitstring`). The caller translates the literal symbols
 * (`wasm.translateSymbols`) when `translated` says the tool would.
 */
export function prepareSamples(samples: Uint8Array, options: AssessOptions): PreparedSamples {
  const given = options.bitsPerSymbol;
  if (given !== undefined && !(Number.isInteger(given) && given >= 1 && given <= 8)) {
    throw new RangeError(`bitsPerSymbol must be an integer 1..8, not ${given}`);
  }
  if (samples.length < 2) throw new RangeError("Cannot assess: fewer than 2 samples");
  const wasm = newAssessInstance();
  const ptr = load(wasm, samples);
  const info = wasm.prepareSymbols(ptr, samples.length, given ?? 8);
  const distinct = (info & 0xFF) + 1, largest = (info >> 8) & 0xFF, translated = (info >> 16) !== 0;
  const bits = given ?? Math.max(1, Math.ceil(Math.log2(largest + 1)));
  const binary = bits === 1 || distinct === 2;
  const warnings: string[] = [];
  if (samples.length < RECORD_SAMPLES) {
    warnings.push(
      `only ${samples.length} samples: SP 800-90B asks for at least ${RECORD_SAMPLES} (the figure is not one of record)`,
    );
  }
  if (binary && bits > 1) {
    warnings.push(
      `${bits}-bit data with only two distinct values was assessed as binary, as NIST's tool does: H_bitstring and the ${bits} × H_bitstring bound were skipped`,
    );
  }
  const literal: TrackData = { track: "literal", ptr, len: samples.length, width: binary ? 1 : bits };
  let bitstring: TrackData | undefined;
  if (!binary) {
    const allBits = samples.length * bits;
    const len = options.truncateBitstring ? Math.min(allBits, TRUNCATED_BITSTRING_BITS) : allBits;
    const bitsPtr = wasm.reserve(allBits);
    wasm.expandBits(ptr, samples.length, bits, bitsPtr);
    bitstring = { track: "bitstring", ptr: bitsPtr, len, width: 1 };
  }
  return {
    wasm,
    samples: samples.length,
    bitsPerSymbol: bits,
    distinctSymbols: distinct,
    translated,
    binary,
    literal,
    bitstring,
    warnings,
  };
}

/** One estimator run on one track: the unit of work that {@link assessNonIid}'s callers may share out. */
export interface EstimatorRun {
  /** "tTuple" also yields the LRS estimate (one suffix pass). */
  estimator: Exclude<EstimatorId, "lrs">;
  track: Track;
}

/**
 * Every run of the assessment of samples prepared as `prepared` says (binary or not), in the
 * tool's print order: MCV, the bit-only three, t-tuple and LRS, then the predictors; the
 * bitstring before the literal symbols within each.
 */
export function plannedRuns(prepared: { binary: boolean }): EstimatorRun[] {
  const tracks: Track[] = prepared.binary ? ["literal"] : ["bitstring", "literal"];
  const runs: EstimatorRun[] = tracks.map((track) => ({ estimator: "mcv", track }));
  for (const estimator of ["collision", "markov", "compression"] as const) {
    runs.push({ estimator, track: tracks[0] });
  }
  for (const estimator of ["tTuple", "multiMcw", "lag", "multiMmc", "lz78y"] as const) {
    for (const track of tracks) runs.push({ estimator, track });
  }
  return runs;
}

/** Loads `samples` into a fresh instance ready for any {@link EstimatorRun}: symbols translated as the tool does. */
export function prepareEstimators(samples: Uint8Array, options: AssessOptions): PreparedSamples {
  const prepared = prepareSamples(samples, options);
  if (prepared.translated) prepared.wasm.translateSymbols(prepared.literal.ptr, prepared.samples);
  return prepared;
}

/** Runs `runs` in order on `prepared` (from {@link prepareEstimators}); a t-Tuple run adds the LRS estimate after its own. */
export function runEstimators(prepared: PreparedSamples, runs: readonly EstimatorRun[]): Estimate[] {
  const estimates: Estimate[] = [];
  for (const { estimator, track } of runs) {
    const data = track === "literal" ? prepared.literal : prepared.bitstring;
    if (!data) throw new RangeError(`Cannot run ${estimator} on the bitstring of binary data`);
    estimates.push(runEstimator(prepared.wasm, estimator, data));
    if (estimator === "tTuple") estimates.push(readEstimate(prepared.wasm, SPECS.lrs, track)); // same pass
  }
  return estimates;
}

/**
 * The assessment of `prepared` from the estimates of all its {@link plannedRuns}, in any order
 * and from any instance (another thread's too): they are put in print order here.
 */
export function combineEstimates(
  prepared: PreparedSamples,
  estimates: readonly Estimate[],
): NonIidAssessment {
  const { samples, bitsPerSymbol: bits, distinctSymbols: distinct, translated, binary, bitstring } = prepared;
  const byRun = new Map(estimates.map((e) => [`${e.estimator}/${e.track}`, e]));
  const ordered = plannedRuns(prepared).flatMap(({ estimator, track }) =>
    estimator === "tTuple" ? [`tTuple/${track}`, `lrs/${track}`] : [`${estimator}/${track}`]
  ).map((key) => {
    const estimate = byRun.get(key);
    if (!estimate) throw new Error(`Cannot assess: the ${key} estimate is missing`);
    return estimate;
  });
  const warnings = [...prepared.warnings];
  for (const e of ordered) {
    if (e.minEntropy === null) {
      warnings.push(`${e.track} ${e.name} could not run (${whyNot(e)}) and is left out of the minimum`);
    }
  }
  const original = lowest(ordered.filter((e) => e.track === "literal"));
  const facts = { samples, bitsPerSymbol: bits, distinctSymbols: distinct, translated, binary };
  if (!bitstring) {
    return {
      ...facts,
      bitstringBits: 0,
      estimates: ordered,
      hOriginal: original.minEntropy!,
      hBitstring: null,
      minEntropy: original.minEntropy!,
      binding: { estimator: original.estimator, track: "literal" },
      warnings,
    };
  }
  const perBit = lowest(ordered.filter((e) => e.track === "bitstring"));
  const fromBits = bits * perBit.minEntropy!;
  const binding = fromBits < original.minEntropy! ? perBit : original;
  return {
    ...facts,
    bitstringBits: bitstring.len,
    estimates: ordered,
    hOriginal: original.minEntropy!,
    hBitstring: perBit.minEntropy!,
    minEntropy: Math.min(original.minEntropy!, fromBits),
    binding: { estimator: binding.estimator, track: binding.track },
    warnings,
  };
}

function assess(samples: Uint8Array, options: AssessOptions): NonIidAssessment {
  const prepared = prepareEstimators(samples, options);
  return combineEstimates(prepared, runEstimators(prepared, plannedRuns(prepared)));
}

function whyNot(e: Estimate): string {
  if (e.estimator === "tTuple") return "no tuple occurs 35 times";
  if (e.estimator === "lrs") return `longest repeat v = ${e.values.v} is shorter than u = ${e.values.u}`;
  return "too little data";
}
