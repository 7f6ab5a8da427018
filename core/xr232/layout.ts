/**
 * Static memory of the XR232USB model: the only things the host touches. All buffers are
 * fixed, zeroed at instantiation and addressed by pointer; the host writes parameters and the
 * disturbance schedule, then calls the stepping functions and reads output, stats and events.
 *
 *   PARAMS    f64[16]        model parameters (see the PARAM_* indices)
 *   SCHEDULE  f64[2 * 256]   disturbances: start seconds, duration seconds, sorted by start
 *   OUT       u8[65536]      bytes served by the last `serve` call
 *   STATS     f64[16]        counters (see the STAT_* indices)
 *   EVENTS    f64[2 * 4096]  (time in poll ticks, EVENT_* kind) pairs since the last drain
 *   POOL      u8[4096]       the firmware's random pool (first PARAM_POOL_BYTES bytes used)
 *   PULSES    f32[1 << 20]   recorded pulse widths in poll ticks (optional source)
 */

/** Parameter slots (f64). */
export const PARAM_POLL_HZ = 0;
export const PARAM_MEDIAN_HZ = 1;
export const PARAM_SIGMA = 2;
export const PARAM_POOL_BYTES = 3;
export const PARAM_LONG_PULSE_TICKS = 4;
export const PARAM_TR1_MS = 5;
export const PARAM_TR2_MS = 6;
export const PARAM_COLD_START_MS = 7;
export const PARAM_COLD_ROTATIONS = 8;
export const PARAM_DISTURB_HZ = 9;
export const PARAM_COUNT = 16;

/** Stat slots (f64). */
export const STAT_NOW_TICKS = 0;
export const STAT_PULSES = 1;
export const STAT_BITS = 2;
export const STAT_ONES = 3;
export const STAT_LONG_PULSES = 4;
export const STAT_BYTES_WRITTEN = 5;
export const STAT_REFRESHES = 6;
export const STAT_BYTES_SERVED = 7;
export const STAT_CTS_DROPS = 8;
export const STAT_CTS_RISES = 9;
export const STAT_RESETS = 10;
export const STAT_CTS = 11;
export const STAT_STATE = 12;
export const STAT_SOURCE_DOWN = 13;
export const STAT_EVENTS_LOST = 14;
export const STAT_COUNT = 16;

/** Event kinds. */
export const EVENT_CTS_OFF: f64 = 1;
export const EVENT_CTS_ON: f64 = 2;
export const EVENT_SOURCE_DOWN: f64 = 3;
export const EVENT_SOURCE_UP: f64 = 4;
export const EVENT_RESET: f64 = 5;
export const EVENT_COLD_START: f64 = 6;

export const SCHEDULE_CAPACITY = 256;
export const OUT_CAPACITY = 65536;
export const EVENT_CAPACITY = 4096;
export const POOL_CAPACITY = 4096;
export const PULSE_CAPACITY = 1 << 20;

export const paramsPtr: usize = memory.data(PARAM_COUNT * 8, 8);
export const schedulePtr: usize = memory.data(SCHEDULE_CAPACITY * 16, 8);
export const outPtr: usize = memory.data(OUT_CAPACITY, 16);
export const statsPtr: usize = memory.data(STAT_COUNT * 8, 8);
export const eventsPtr: usize = memory.data(EVENT_CAPACITY * 16, 8);
export const poolPtr: usize = memory.data(POOL_CAPACITY, 16);
export const pulsesPtr: usize = memory.data(PULSE_CAPACITY * 4, 16);

/** Reads parameter `index`. */
// @ts-ignore: decorator
@inline export function param(index: i32): f64 {
  return load<f64>(paramsPtr + (<usize> index << 3));
}

/** Adds `delta` to stat `index`. */
// @ts-ignore: decorator
@inline export function bump(index: i32, delta: f64 = 1): void {
  const at = statsPtr + (<usize> index << 3);
  store<f64>(at, load<f64>(at) + delta);
}

/** Sets stat `index`. */
// @ts-ignore: decorator
@inline export function setStat(index: i32, value: f64): void {
  store<f64>(statsPtr + (<usize> index << 3), value);
}

/** Appends an event; counts it as lost when the buffer is full (the host drains it). */
export function pushEvent(count: i32, timeTicks: f64, kind: f64): i32 {
  if (count >= EVENT_CAPACITY) {
    bump(STAT_EVENTS_LOST);
    return count;
  }
  const at = eventsPtr + (<usize> count << 4);
  store<f64>(at, timeTicks);
  store<f64>(at, kind, 8);
  return count + 1;
}
