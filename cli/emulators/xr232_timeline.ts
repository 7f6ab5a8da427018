/**
 * Runs the XR232USB model the way a host with a generous CTS timeout uses the device: it keeps
 * a magic character in flight at all times, so the device answers at the line rate whenever CTS
 * is on, and the host waits while CTS is off. Collects the per-second timeline `qrng model`
 * prints and hands the served bytes to a callback in order.
 */
import type { Xr232Event, Xr232Model, Xr232Stats } from "../../wasm/xr232.ts";

/** Bytes asked for per model call; small enough for second boundaries to fall close. */
const CHUNK_BYTES = 4096;
/** Model time the waiting host lets pass per step while CTS is off. */
const WAIT_STEP_S = 0.01;

/** One second (or the last partial second) of the timeline. */
export interface TimelineSlice {
  /** Start of the slice, model seconds. */
  startS: number;
  /** End of the slice, model seconds. */
  endS: number;
  /** Bytes the device answered. */
  bytesServed: number;
  /** Bytes the source XORed into the pool. */
  bytesWritten: number;
  /** Full passes of the pool's write pointer. */
  refreshes: number;
  ctsDrops: number;
  ctsRecoveries: number;
  /** Model seconds with CTS off (device withholding data). */
  ctsOffS: number;
}

/** The whole run. */
export interface Timeline {
  slices: TimelineSlice[];
  events: Xr232Event[];
  final: Xr232Stats;
}

/**
 * Runs `model` from its current state for `seconds` of model time at `baud`, calling `onBytes`
 * with each batch of served bytes (a view: copy it to keep it).
 */
export async function runTimeline(
  model: Xr232Model,
  seconds: number,
  baud: number,
  onBytes: (bytes: Uint8Array) => Promise<void> | void,
): Promise<Timeline> {
  const slices: TimelineSlice[] = [];
  const events: Xr232Event[] = [];
  const endS = model.timeS + seconds;
  let before = model.stats();
  const byteS = 10 / baud;
  // Model time is kept in fixed point; anything closer than a poll tick counts as reached.
  const epsilonS = 1 / model.params.pollHz;
  while (model.timeS < endS - epsilonS) {
    const sliceStart = model.timeS;
    const sliceEnd = Math.min(endS, Math.floor(sliceStart + 1 + 1e-9));
    let ctsOffS = 0;
    while (model.timeS < sliceEnd - epsilonS) {
      if (model.cts) {
        const want = Math.max(1, Math.min(CHUNK_BYTES, Math.ceil((sliceEnd - model.timeS) / byteS)));
        const bytes = model.serve(want, baud);
        if (bytes.length > 0) await onBytes(bytes);
      } else {
        const t0 = model.timeS;
        model.advance(Math.min(WAIT_STEP_S, sliceEnd - t0), true);
        ctsOffS += model.timeS - t0;
      }
    }
    const now = model.stats();
    slices.push({
      startS: sliceStart,
      endS: model.timeS,
      bytesServed: now.bytesServed - before.bytesServed,
      bytesWritten: now.bytesWritten - before.bytesWritten,
      refreshes: now.refreshes - before.refreshes,
      ctsDrops: now.ctsDrops - before.ctsDrops,
      ctsRecoveries: now.ctsRises - before.ctsRises,
      ctsOffS,
    });
    events.push(...model.takeEvents());
    before = now;
  }
  return { slices, events, final: model.stats() };
}
