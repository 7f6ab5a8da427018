import { describe, expect, it } from "vitest";
import { runTimeline } from "../cli/emulators/xr232_timeline.ts";
import { XR232_DEFAULTS, Xr232Model } from "../wasm/xr232.ts";

/** Runs a host that always has a request in flight; returns the bytes and the timeline. */
async function runHost(model: Xr232Model, seconds: number, baud = 230_400) {
  const chunks: Uint8Array[] = [];
  const timeline = await runTimeline(model, seconds, baud, (b) => void chunks.push(b.slice()));
  return { bytes: Buffer.concat(chunks), timeline };
}

describe("XR232USB model: sampling", () => {
  it("extracts raw bits balanced within a few 0.01 % from undisturbed pulses", () => {
    for (const seed of [1n, 7n]) {
      const model = new Xr232Model(seed);
      model.advance(30);
      const s = model.stats();
      expect(s.bits).toBeGreaterThan(7_000_000);
      expect(Math.abs(s.ones / s.bits - 0.5)).toBeLessThan(0.0005);
    }
  });

  it("shows a clear bias when pulse widths barely vary (a broken source)", () => {
    const model = new Xr232Model(1n, { sigma: 0.02 });
    model.advance(2);
    const s = model.stats();
    expect(Math.abs(s.ones / s.bits - 0.5)).toBeGreaterThan(0.05);
  });

  it("refreshes the pool about 70 times per second, as bit rate / (8 x pool size)", () => {
    const model = new Xr232Model(3n);
    model.advance(10);
    const s = model.stats();
    const perSecond = s.refreshes / 10;
    expect(perSecond).toBeGreaterThan(65);
    expect(perSecond).toBeLessThan(75);
    expect(perSecond).toBeCloseTo(s.bits / 10 / 8 / XR232_DEFAULTS.poolBytes, 0);
    // The rate follows from the mechanism: twice the pool, half the refreshes.
    const big = new Xr232Model(3n, { poolBytes: 960 });
    big.advance(10);
    expect(big.stats().refreshes / 10).toBeCloseTo(perSecond / 2, 0);
  });

  it("produces the same bytes for a seed however the requests are split", () => {
    const a = new Xr232Model(42n);
    const b = new Xr232Model(42n);
    a.advance(0.2, true);
    b.advance(0.2, true);
    const whole = a.serve(3000, 115_200).slice();
    const parts: number[] = [];
    for (let i = 0; i < 3000; i += 7) parts.push(...b.serve(Math.min(7, 3000 - i), 115_200));
    expect(Buffer.from(parts)).toEqual(Buffer.from(whole));
    const c = new Xr232Model(43n);
    c.advance(0.2, true);
    expect(Buffer.from(c.serve(3000, 115_200))).not.toEqual(Buffer.from(whole));
  });

  it("serves bytes that look uniform (mean near 127.5)", () => {
    const model = new Xr232Model(5n);
    model.advance(0.2, true);
    const bytes = model.serve(65536, 230_400);
    const mean = bytes.reduce((sum, b) => sum + b, 0) / bytes.length;
    expect(Math.abs(mean - 127.5)).toBeLessThan(1.5);
  });
});

describe("XR232USB model: recorded pulses", () => {
  it("takes one bit per level change from the counter's LSB (3,4,3,3,4,4,4,3 ticks make 0xb1)", () => {
    // at 2 MHz a poll tick is 0.5 us; a pulse of n whole ticks from a tick boundary counts n
    const ticks = [3, 4, 3, 3, 4, 4, 4, 3];
    const model = new Xr232Model(1n, { coldRotations: 0 }, [], ticks.map((t) => t / 2));
    model.advance(0.01);
    expect(model.stats().bits).toBe(8);
    expect(model.pool()[0]).toBe(0b10110001);
    expect(model.pool()[1]).toBe(0);
  });

  it("sees the end of a recording as a source that went down: CTS off after tR1", () => {
    const widths = Array.from({ length: 200_000 }, (_, i) => 3 + ((i * 7919) % 11) / 2); // 3..8 us
    const model = new Xr232Model(1n, {}, [], widths);
    model.advance(0.2, true);
    expect(model.cts).toBe(true);
    const end = widths.reduce((a, b) => a + b, 0) / 1e6;
    model.advance(end + 0.1);
    const offs = model.takeEvents().filter((e) => e.kind === "cts-off");
    expect(offs).toHaveLength(1);
    expect(offs[0].timeS).toBeGreaterThan(end + 0.019);
    expect(offs[0].timeS).toBeLessThan(end + 0.021);
  });

  it("rejects a width that is not positive", () => {
    expect(() => new Xr232Model(1n, {}, [], [2, 0, 3])).toThrow(/recorded pulse 1/);
  });
});

describe("XR232USB model: CTS", () => {
  it("holds CTS off after power-on for the cold start, then serves", () => {
    const model = new Xr232Model(1n);
    expect(model.cts).toBe(false);
    expect(model.serve(10, 230_400).length).toBe(0);
    model.advance(1, true);
    expect(model.cts).toBe(true);
    expect(model.timeS).toBeCloseTo(XR232_DEFAULTS.coldStartMs / 1000, 6);
    expect(model.serve(10, 230_400).length).toBe(10);
  });

  it("resets on open: CTS off for the cold start while the pool keeps its contents", () => {
    const model = new Xr232Model(1n);
    model.advance(0.5);
    const before = model.pool();
    model.reset();
    expect(model.cts).toBe(false);
    expect(model.pool()).toEqual(before);
    const t0 = model.timeS;
    model.advance(1, true);
    expect(model.timeS - t0).toBeCloseTo(0.1, 6);
    expect(model.takeEvents().map((e) => e.kind)).toEqual(["reset", "cts-on", "reset", "cts-on"]);
  });

  it("keeps CTS off when reset during a long disturbance, and time never runs backwards", () => {
    const model = new Xr232Model(1n, {}, [{ startS: 0.2, durationS: 0.3 }]);
    model.advance(0.3);
    expect(model.stats().state).toBe("dead");
    model.reset(); // the host reopens while the source is still down
    const t0 = model.timeS;
    model.advance(1, true);
    const events = model.takeEvents();
    for (let i = 1; i < events.length; i++) {
      expect(events[i].timeS).toBeGreaterThanOrEqual(events[i - 1].timeS);
    }
    const afterReset = events.filter((e) => e.timeS >= t0).map((e) => e.kind);
    expect(afterReset).toEqual(["reset", "cts-off", "source-up", "cold-start", "cts-on"]);
    expect(model.timeS).toBeGreaterThan(0.5 + 0.003 + 0.1);
    expect(model.timeS).toBeLessThan(0.5 + 0.003 + 0.1 + 0.001);
  });

  it("drops CTS only for disturbances longer than tR1", async () => {
    const lengthsMs = [5, 15, 19, 22, 40];
    const schedule = lengthsMs.map((ms, i) => ({ startS: 0.5 + i * 0.5, durationS: ms / 1000 }));
    const model = new Xr232Model(9n, {}, schedule);
    const { timeline } = await runHost(model, 3.2);
    const offs = timeline.events.filter((e) => e.kind === "cts-off").map((e) => e.timeS);
    expect(offs.length).toBe(2);
    expect(offs[0] - schedule[3].startS).toBeCloseTo(0.020, 3);
    expect(offs[1] - schedule[4].startS).toBeCloseTo(0.020, 3);
    expect(timeline.final.longPulses).toBeGreaterThan(0);
    // With the worked example's tR1 of 2 ms every one of them drops CTS.
    const strict = new Xr232Model(9n, { tr1Ms: 2 }, schedule);
    const { timeline: t2 } = await runHost(strict, 3.2);
    expect(t2.events.filter((e) => e.kind === "cts-off").length).toBe(5);
  });

  it("recovers after a long disturbance: dead time tR2, then a cold start, then CTS on", async () => {
    const model = new Xr232Model(2n, {}, [{ startS: 1, durationS: 0.04 }]);
    const { timeline } = await runHost(model, 2);
    const at = (kind: string) => timeline.events.filter((e) => e.kind === kind).map((e) => e.timeS);
    const up = at("source-up").at(-1)!;
    expect(up).toBeGreaterThanOrEqual(1.04);
    expect(up).toBeLessThan(1.041);
    expect(at("cold-start")[0] - up).toBeCloseTo(0.003, 6);
    expect(at("cts-on").at(-1)! - at("cold-start")[0]).toBeCloseTo(0.1, 6);
    const slice = timeline.slices[1];
    expect(slice.ctsDrops).toBe(1);
    expect(slice.ctsRecoveries).toBe(1);
    expect(slice.ctsOffS).toBeCloseTo(at("cts-on").at(-1)! - at("cts-off")[0], 3);
  });

  it("absorbs a short disturbance: bytes keep flowing at the line rate", async () => {
    const model = new Xr232Model(4n, {}, [{ startS: 0.5, durationS: 0.005 }]);
    const { timeline } = await runHost(model, 1);
    expect(timeline.final.ctsDrops).toBe(0);
    expect(timeline.final.longPulses).toBeGreaterThan(0);
    expect(timeline.slices[0].bytesServed).toBe(Math.ceil(0.9 * 23_040));
  });

  it("re-serves pool bytes unchanged during an absorbed disturbance longer than a read lap", () => {
    // At 230400 baud the read pointer laps the 480-byte pool every 20.8 ms; while the source is
    // down nothing is written, so bytes come round again unchanged: the firmware's design, seen.
    const repeats = (ms: number) => {
      const model = new Xr232Model(3n, {}, ms ? [{ startS: 0.5, durationS: ms / 1000 }] : []);
      model.advance(1, true);
      const out: number[] = [];
      while (out.length < 23_040) out.push(...model.serve(4096, 230_400));
      let same = 0;
      for (let i = 480; i < out.length; i++) if (out[i] === out[i - 480]) same++;
      return same;
    };
    expect(repeats(0)).toBeLessThan(130); // chance: 22,560 / 256 = 88
    expect(repeats(19)).toBeGreaterThan(350);
  });

  it("detects a static level as a disturbance too", async () => {
    const model = new Xr232Model(4n, { disturbHz: 0 }, [{ startS: 0.5, durationS: 0.03 }]);
    const { timeline } = await runHost(model, 1);
    expect(timeline.final.ctsDrops).toBe(1);
    expect(timeline.events.some((e) => e.kind === "source-down")).toBe(true);
  });

  it("rejects impossible parameters", () => {
    expect(() => new Xr232Model(1n, { poolBytes: 0 })).toThrow(RangeError);
    expect(() => new Xr232Model(1n, { medianHz: 2e6 })).toThrow(RangeError);
    expect(() => new Xr232Model(1n, {}, [{ startS: 1, durationS: 0 }])).toThrow(RangeError);
  });
});
