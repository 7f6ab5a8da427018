/**
 * XR232USB sampling and pool model: entry point of wasm/xr232.wasm. See firmware.ts for the
 * mechanism and layout.ts for the memory the host reads and writes.
 */
import * as L from "./layout.ts";
import { seedRng } from "./rng.ts";
import { configureSource, TICK } from "./source.ts";
import { drainEvents, nowSub, powerOn, reset, runTo, serveBytes } from "./firmware.ts";

// Buffer addresses, as functions like every core module's (wasm/_instantiate.ts: the memory convention).
export function paramsPtr(): usize { return L.paramsPtr; }
export function schedulePtr(): usize { return L.schedulePtr; }
export function outPtr(): usize { return L.outPtr; }
export function statsPtr(): usize { return L.statsPtr; }
export function eventsPtr(): usize { return L.eventsPtr; }
export function poolPtr(): usize { return L.poolPtr; }
export function pulsesPtr(): usize { return L.pulsesPtr; }

/**
 * Starts a model: reads the parameters and `scheduleCount` disturbances, seeds the source with
 * (seedHi << 32 | seedLo), or plays `recorded` pulse widths when that is not 0, and powers on
 * (cold start in progress, CTS off).
 */
export function init(seedLo: u32, seedHi: u32, scheduleCount: i32, recorded: i32): void {
  seedRng((<u64> seedHi << 32) | <u64> seedLo);
  configureSource(
    L.param(L.PARAM_POLL_HZ),
    L.param(L.PARAM_MEDIAN_HZ),
    L.param(L.PARAM_SIGMA),
    L.param(L.PARAM_DISTURB_HZ),
    scheduleCount,
    recorded,
  );
  powerOn();
}

/** The firmware reset that opening the port causes. */
export function resetDevice(): void {
  reset();
}

/** Runs `ticks` poll ticks of model time (stopping when CTS goes on if `untilCts`); returns CTS. */
export function advance(ticks: f64, untilCts: bool): bool {
  return runTo(nowSub() + <u64> (ticks * <f64> TICK), untilCts);
}

/** Serves up to `count` (<= 65536) bytes, one per `byteTicks` of line time; returns how many. */
export function serve(count: i32, byteTicks: f64): i32 {
  return serveBytes(count, <u64> (byteTicks * <f64> TICK + 0.5));
}

/** Number of (time, kind) event pairs at eventsPtr since the last call. */
export function takeEvents(): i32 {
  return drainEvents();
}
