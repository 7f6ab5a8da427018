/**
 * The XR232USB firmware as an event-driven state machine over the pulse stream.
 *
 * Sampling: the poll loop counts polls while the level stays the same; at each level change
 * the counter's least significant bit is one random bit. A pulse covering [s, e) subticks holds
 * ceil(e) - ceil(s) poll instants. Eight bits make a byte that is XORed into the pool at the
 * write pointer; a refresh is one full pass of the write pointer. Reads (one byte per magic
 * character) take the pool byte at a separate read pointer.
 *
 * Health: when the counter reaches `longPulseTicks` without a level change the source is down
 * and bits are dropped (with any partial byte). Down for tR1: CTS off (state DEAD). Once the
 * source has been up again for the dead time tR2: cold start (state COLD) for tR3, sampling on,
 * then the pool is rotated `coldRotations` times and CTS goes on (state RUN). A reset (port
 * open) re-initialises pointers and registers and enters COLD; the pool survives (SRAM keeps
 * its contents, which the cold start "recycles").
 *
 *   RUN --down for tR1--> DEAD --up for tR2--> COLD --tR3--> RUN (CTS on)
 *    ^  reset from any state enters COLD; COLD also drops to DEAD when down for tR1
 *
 * Spec notes: tR1 is "about 20 ms" in one place and 2 ms in the worked example; the default is
 * 20 ms so that disturbances under tdis1 (about 20 ms) are absorbed, as the text says. The cold
 * start is "thousands of rotations" in "about 1/10 s": an AVR needs >= 5 cycles per byte, so
 * 2000 passes over 480 bytes would take >= 0.3 s at 16 MHz; the two numbers do not fit, so the
 * duration and the rotation count are separate parameters.
 */
import * as L from "./layout.ts";
import { nextWidth, SUB_SHIFT, TICK } from "./source.ts";

const NEVER: u64 = 0xFFFFFFFFFFFFFFFF;
/** Firmware states (also reported in STAT_STATE). */
export const STATE_RUN = 0;
export const STATE_DEAD = 1;
export const STATE_COLD = 2;

let now: u64 = 0;
let pulseStart: u64 = 0;
let pulseEnd: u64 = 0;
let detectAt: u64 = 0;
let down = false;
let downSince: u64 = 0;
let upSince: u64 = 0;
let state = STATE_COLD;
let cts = false;
let coldEnd: u64 = 0;
let shift: u32 = 0;
let bitCount: u32 = 0;
let writeIndex: u32 = 0;
let readIndex: u32 = 0;
let eventCount = 0;

let poolBytes: u32 = 480;
let longTicks: u64 = 32;
let tr1: u64 = 0;
let tr2: u64 = 0;
let coldTicks: u64 = 0;
let rotations: i32 = 0;
let pollHz: f64 = 1.2e6;

// @ts-ignore: decorator
@inline function ceilTick(t: u64): u64 {
  return (t + TICK - 1) >> SUB_SHIFT;
}

function ticksOf(t: u64): f64 {
  return <f64>t / <f64>TICK;
}

function event(t: u64, kind: f64): void {
  eventCount = L.pushEvent(eventCount, ticksOf(t), kind);
}

function msToSub(ms: f64): u64 {
  return <u64>(ms * 1e-3 * pollHz * <f64>TICK);
}

function beginPulse(start: u64): void {
  pulseStart = start;
  pulseEnd = start + nextWidth(start);
  detectAt = (ceilTick(start) + longTicks) << SUB_SHIFT;
}

/** Loads the firmware parameters and powers on with a zeroed pool at time 0. */
export function powerOn(): void {
  pollHz = L.param(L.PARAM_POLL_HZ);
  poolBytes = <u32>L.param(L.PARAM_POOL_BYTES);
  longTicks = <u64>L.param(L.PARAM_LONG_PULSE_TICKS);
  tr1 = msToSub(L.param(L.PARAM_TR1_MS));
  tr2 = msToSub(L.param(L.PARAM_TR2_MS));
  coldTicks = msToSub(L.param(L.PARAM_COLD_START_MS));
  rotations = <i32>L.param(L.PARAM_COLD_ROTATIONS);
  memory.fill(L.poolPtr, 0, L.POOL_CAPACITY);
  memory.fill(L.statsPtr, 0, L.STAT_COUNT * 8);
  now = 0;
  down = false;
  eventCount = 0;
  beginPulse(0);
  reset();
}

/** The reset the host causes by opening the port: registers cleared, cold start, CTS off. */
export function reset(): void {
  shift = 0;
  bitCount = 0;
  writeIndex = 0;
  readIndex = 0;
  if (cts) L.bump(L.STAT_CTS_DROPS);
  cts = false;
  state = STATE_COLD;
  coldEnd = now + coldTicks;
  L.bump(L.STAT_RESETS);
  event(now, L.EVENT_RESET);
  publish();
}

/** Mixes the pool: each pass XORs every byte with its rotated predecessor (invertible). */
function rotatePool(): void {
  const pool = L.poolPtr;
  for (let pass = 0; pass < rotations; pass++) {
    let prev = load<u8>(pool + poolBytes - 1);
    for (let i: u32 = 0; i < poolBytes; i++) {
      const b = load<u8>(pool + i) ^ <u8>((prev << 3) | (prev >> 5));
      store<u8>(pool + i, b);
      prev = b;
    }
  }
}

function addBit(bit: u32): void {
  L.bump(L.STAT_BITS);
  if (bit) L.bump(L.STAT_ONES);
  shift = (shift << 1) | bit;
  if (++bitCount < 8) return;
  bitCount = 0;
  const at = L.poolPtr + writeIndex;
  store<u8>(at, load<u8>(at) ^ <u8>shift);
  shift = 0;
  L.bump(L.STAT_BYTES_WRITTEN);
  if (++writeIndex >= poolBytes) {
    writeIndex = 0;
    L.bump(L.STAT_REFRESHES);
  }
}

function onEdge(): void {
  L.bump(L.STAT_PULSES);
  const count = ceilTick(pulseEnd) - ceilTick(pulseStart);
  if (count > longTicks) {
    L.bump(L.STAT_LONG_PULSES);
  } else {
    if (down) {
      down = false;
      upSince = pulseEnd;
      event(pulseEnd, L.EVENT_SOURCE_UP);
    }
    if (state != STATE_DEAD) addBit(<u32>(count & 1));
  }
  beginPulse(pulseEnd);
}

/** The time of the next firmware timer, or NEVER. */
function nextTimer(): u64 {
  let t = NEVER;
  if (state != STATE_DEAD && down) t = downSince + tr1;
  if (state == STATE_DEAD && !down) t = upSince + tr2;
  if (state == STATE_COLD && coldEnd < t) t = coldEnd;
  return t;
}

function onTimer(): void {
  if (state != STATE_DEAD && down && now >= downSince + tr1) {
    state = STATE_DEAD;
    if (cts) L.bump(L.STAT_CTS_DROPS);
    cts = false;
    event(now, L.EVENT_CTS_OFF);
  } else if (state == STATE_DEAD) {
    state = STATE_COLD;
    coldEnd = now + coldTicks;
    event(now, L.EVENT_COLD_START);
  } else if (state == STATE_COLD) {
    rotatePool();
    state = STATE_RUN;
    cts = true;
    L.bump(L.STAT_CTS_RISES);
    event(now, L.EVENT_CTS_ON);
  }
}

/**
 * Runs the firmware up to `target` subticks; with `stopOnCts`, stops early at the moment CTS
 * goes on. Returns whether CTS is on.
 */
export function runTo(target: u64, stopOnCts: bool): bool {
  while (true) {
    let t = pulseEnd;
    let kind = 0; // 0 edge, 1 detection, 2 timer
    if (!down && detectAt < t) {
      t = detectAt;
      kind = 1;
    }
    const timer = nextTimer();
    if (timer < t) {
      t = timer;
      kind = 2;
    }
    if (t < now) t = now; // a timer already due (a reset while the source was down) fires now
    if (t > target) break;
    now = t;
    if (kind == 0) {
      onEdge();
    } else if (kind == 1) {
      down = true;
      downSince = detectAt;
      shift = 0;
      bitCount = 0;
      event(detectAt, L.EVENT_SOURCE_DOWN);
    } else {
      onTimer();
      if (stopOnCts && cts) {
        publish();
        return true;
      }
    }
  }
  if (target > now) now = target;
  publish();
  return cts;
}

/**
 * Serves up to `count` magic characters, each taking `byteSub` subticks of line time, into the
 * output buffer; stops when CTS is off before a character. Returns the bytes served.
 */
export function serveBytes(count: i32, byteSub: u64): i32 {
  const pool = L.poolPtr;
  for (let i = 0; i < count; i++) {
    if (!cts) {
      publish();
      return i;
    }
    runTo(now + byteSub, false);
    store<u8>(L.outPtr + i, load<u8>(pool + readIndex));
    if (++readIndex >= poolBytes) readIndex = 0;
    L.bump(L.STAT_BYTES_SERVED);
  }
  publish();
  return count;
}

/** Hands the events recorded so far to the host and starts a new batch; returns their count. */
export function drainEvents(): i32 {
  const n = eventCount;
  eventCount = 0;
  return n;
}

/** Current time in subticks. */
export function nowSub(): u64 {
  return now;
}

function publish(): void {
  L.setStat(L.STAT_NOW_TICKS, ticksOf(now));
  L.setStat(L.STAT_CTS, cts ? 1 : 0);
  L.setStat(L.STAT_STATE, <f64>state);
  L.setStat(L.STAT_SOURCE_DOWN, down ? 1 : 0);
}
