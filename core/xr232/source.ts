/**
 * The noise source: the LM393's quantised chaotic oscillation as a stream of pulse widths.
 *
 * A pulse is the time between two level changes (half a period of the square wave). Widths are
 * log-normal around the median frequency's half period (140 kHz -> 3.57 us -> 7.1 poll ticks
 * at 2 MHz) with spread `sigma`; 0.3 puts 3 sigma at about 3..17 ticks, near the "2..14 units"
 * the designer reports, and the mean (7.5 ticks) gives 268,000 level changes per second, near
 * the estimated 280 kbit/s maximum. During a scheduled disturbance the source runs slow (median
 * `disturbHz`, same spread), or, with `disturbHz` 0, holds a static level until it ends.
 *
 * Why 2 MHz polling and not a lower rate: the parity of a count is balanced only when the width
 * distribution is smooth over several counts. At 1.2 MHz the median count is 4.3 and the
 * log-normal's steep lower flank leaves a parity bias of about 0.4 %, far from the published
 * "within a few 0.01 %"; at 2 MHz (median 7.1) the bias is about 0.01 %. The spec's "more than
 * 1 million polls per second" allows either; the published balance decides.
 *
 * Widths come from a 4097-entry inverse-CDF table interpolated with 16 random bits, so one
 * SplitMix64 call yields one pulse. Times are fixed point: 1 poll tick = 65536 subticks.
 *
 * Or they come from a recording (widths in poll ticks at `pulsesPtr`): when it runs out the
 * level stays where it is, so the firmware sees its source go down, as it would on hardware.
 * Scheduled disturbances apply to either source.
 */
import { nextU64 } from "./rng.ts";
import { pulsesPtr, SCHEDULE_CAPACITY, schedulePtr } from "./layout.ts";

/** Fixed-point shift: subticks per poll tick = 1 << SUB_SHIFT. */
export const SUB_SHIFT: u64 = 16;
/** One poll tick in subticks. */
export const TICK: u64 = 1 << SUB_SHIFT;
const TABLE_BITS = 12;
const TABLE_SIZE = (1 << TABLE_BITS) + 1;

const normalTable: usize = memory.data(TABLE_SIZE * 8, 8);
const disturbedTable: usize = memory.data(TABLE_SIZE * 8, 8);
let staticDisturbance = false;

const scheduleStart: usize = memory.data(SCHEDULE_CAPACITY * 8, 8);
const scheduleEnd: usize = memory.data(SCHEDULE_CAPACITY * 8, 8);
let scheduleCount = 0;
let scheduleIndex = 0;
let recordedCount = 0;
let recordedIndex = 0;
/** Width of the pulse after a recording ends: longer than any run (about 4.5 years at 2 MHz). */
const ENDLESS: u64 = <u64> 1 << 62;

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
function inverseNormal(p: f64): f64 {
  const a1 = -39.69683028665376, a2 = 220.9460984245205, a3 = -275.9285104469687;
  const a4 = 138.3577518672690, a5 = -30.66479806614716, a6 = 2.506628277459239;
  const b1 = -54.47609879822406, b2 = 161.5858368580409, b3 = -155.6989798598866;
  const b4 = 66.80131188771972, b5 = -13.28068155288572;
  const c1 = -0.007784894002430293, c2 = -0.3223964580411365, c3 = -2.400758277161838;
  const c4 = -2.549732539343734, c5 = 4.374664141464968, c6 = 2.938163982698783;
  const d1 = 0.007784695709041462, d2 = 0.3224671290700398, d3 = 2.445134137142996;
  const d4 = 3.754408661907416;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) /
      ((((d1 * q + d2) * q + d3) * q + d4) * q + 1);
  }
  if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) /
      ((((d1 * q + d2) * q + d3) * q + d4) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (((((a1 * r + a2) * r + a3) * r + a4) * r + a5) * r + a6) * q /
    (((((b1 * r + b2) * r + b3) * r + b4) * r + b5) * r + 1);
}

function fillTable(table: usize, pollHz: f64, medianHz: f64, sigma: f64): void {
  const medianTicks = pollHz / (2 * medianHz);
  for (let i = 0; i < TABLE_SIZE; i++) {
    const p = (<f64> i + 0.5) / <f64> TABLE_SIZE;
    let ticks = medianTicks * Math.exp(sigma * inverseNormal(p));
    if (ticks < 1) ticks = 1; // the poll loop sees every pulse of at least one poll period
    store<u64>(table + (<usize> i << 3), <u64> (ticks * <f64> TICK));
  }
}

/** Builds the width tables and loads `count` disturbances (seconds) from the schedule buffer. */
export function configureSource(
  pollHz: f64,
  medianHz: f64,
  sigma: f64,
  disturbHz: f64,
  count: i32,
  recorded: i32,
): void {
  recordedCount = recorded;
  recordedIndex = 0;
  fillTable(normalTable, pollHz, medianHz, sigma);
  staticDisturbance = disturbHz <= 0;
  if (!staticDisturbance) fillTable(disturbedTable, pollHz, disturbHz, sigma);
  scheduleCount = count;
  scheduleIndex = 0;
  const subticksPerSecond = pollHz * <f64> TICK;
  for (let i = 0; i < count; i++) {
    const start = load<f64>(schedulePtr + (<usize> i << 4));
    const duration = load<f64>(schedulePtr + (<usize> i << 4), 8);
    store<u64>(scheduleStart + (<usize> i << 3), <u64> (start * subticksPerSecond));
    store<u64>(scheduleEnd + (<usize> i << 3), <u64> ((start + duration) * subticksPerSecond));
  }
}

// @ts-ignore: decorator
@inline function widthFrom(table: usize): u64 {
  const r = nextU64();
  const i = <usize> (r >> (64 - TABLE_BITS));
  const f = (r >> (48 - TABLE_BITS)) & 0xFFFF;
  const lo = load<u64>(table + (i << 3));
  const hi = load<u64>(table + (i << 3), 8);
  return lo + (((hi - lo) * f) >> 16);
}

/** The width in subticks of the pulse that starts at `start` (times never go backwards). */
export function nextWidth(start: u64): u64 {
  while (scheduleIndex < scheduleCount && load<u64>(scheduleEnd + (<usize> scheduleIndex << 3)) <= start) {
    scheduleIndex++;
  }
  if (scheduleIndex < scheduleCount && load<u64>(scheduleStart + (<usize> scheduleIndex << 3)) <= start) {
    if (staticDisturbance) {
      const rest = load<u64>(scheduleEnd + (<usize> scheduleIndex << 3)) - start;
      return rest > TICK ? rest : TICK;
    }
    return widthFrom(disturbedTable);
  }
  if (recordedCount > 0) {
    if (recordedIndex >= recordedCount) return ENDLESS;
    const ticks = <f64> load<f32>(pulsesPtr + (<usize> recordedIndex << 2));
    recordedIndex++;
    return ticks > 1 ? <u64> (ticks * <f64> TICK) : TICK;
  }
  return widthFrom(normalTable);
}
