/**
 * The fail-closed health gate: tests whole windows and copies only windows without any health
 * failure to the output, after a start-up phase (SP 800-90B §4.3) of at least
 * `startupSamples` consecutive samples in passing windows. A failed window is dropped whole; a
 * failure during start-up restarts the start-up count. When configured, the repetition check
 * (repeat.ts) sees every staged byte first; a repeat it finds is the caller's to act on (the
 * binding holds released bytes back until the check has seen far enough past them). Memory: the caller stages whole windows
 * (at INPUT_PTR); the released ones are compacted in place to the front of the staged run.
 */
import { healthFailureTotal, healthRestore, healthSave, healthUpdate } from "./health.ts";
import { repeatEnabled, repeatUpdate } from "./repeat.ts";

let gateWindowBytes: i32 = 512;
let gateStartupBytes: i32 = 1024;
let startupPassedBytes: i32 = 0;
/** Whether start-up testing has completed. */
export let gateStartupComplete = false;
export let gateWindowsPassed: i64 = 0;
export let gateWindowsFailed: i64 = 0;
export let gateBytesReleased: i64 = 0;

/** Sets the window size and the start-up length (both in bytes) and resets the gate counters. */
export function gateConfigure(windowBytes: i32, startupBytes: i32): void {
  gateWindowBytes = windowBytes;
  gateStartupBytes = startupBytes;
  startupPassedBytes = 0;
  gateStartupComplete = false;
  gateWindowsPassed = gateWindowsFailed = gateBytesReleased = 0;
}

/**
 * Tests the `len` bytes at `ptr` (a whole number of windows) and moves the released windows,
 * in order, to the front of them; returns how many bytes were released.
 *
 * After start-up, ideal data almost never fails a window, so the whole run is tested in one
 * pass and released where it lies; only when that pass saw a failure is it undone and the run
 * tested again window by window, to drop exactly the failing windows (same counts, same log).
 */
export function gateWindows(ptr: usize, len: i32): i32 {
  if (repeatEnabled) repeatUpdate(ptr, len); // once per byte, before windows are compacted away
  if (gateStartupComplete && len >= gateWindowBytes) {
    const before = healthFailureTotal();
    healthSave();
    healthUpdate(ptr, len);
    if (healthFailureTotal() == before) {
      gateWindowsPassed += len / gateWindowBytes;
      gateBytesReleased += len;
      return len;
    }
    healthRestore();
  }
  return gateEachWindow(ptr, len);
}

/** {@link gateWindows} one window at a time (start-up, and runs with a failure). */
function gateEachWindow(ptr: usize, len: i32): i32 {
  const w = gateWindowBytes;
  let released = 0;
  for (let i = 0; i + w <= len; i += w) {
    const before = healthFailureTotal();
    healthUpdate(ptr + i, w);
    if (healthFailureTotal() != before) {
      gateWindowsFailed++;
      if (!gateStartupComplete) startupPassedBytes = 0;
      continue;
    }
    gateWindowsPassed++;
    if (!gateStartupComplete) {
      startupPassedBytes += w;
      if (startupPassedBytes >= gateStartupBytes) gateStartupComplete = true;
      continue; // start-up samples are tested, never released
    }
    memory.copy(ptr + released, ptr + i, w);
    released += w;
  }
  gateBytesReleased += released;
  return released;
}
