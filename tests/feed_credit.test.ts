/**
 * What `qrng feed` credits and when it feeds on its own: the credit per byte after
 * post-processing, the running whole-bit credit, and the minimum-rate schedule.
 */
import { describe, expect, it } from "vitest";
import { creditBitsPerByte, CreditLedger } from "../cli/feed/credit.ts";
import { Pacer } from "../cli/feed/pacing.ts";

describe("creditBitsPerByte", () => {
  it("credits the claimed H per byte, without post-processing and after a fold", () => {
    expect(creditBitsPerByte("feed", 8, {})).toBe(8);
    expect(creditBitsPerByte("feed", 3, {})).toBe(3);
    // A fold of 4 bytes at H = 3 is still credited 3, not 12 (nor 8).
    expect(creditBitsPerByte("feed", 3, { xorFold: 4 })).toBe(3);
  });

  it("refuses von Neumann debiasing with a usage error naming the flag", () => {
    expect(() => creditBitsPerByte("feed", 8, { debias: "von-neumann" })).toThrow(
      expect.objectContaining({
        kind: "usage",
        message: expect.stringMatching(/^qrng feed: --debias von-neumann /),
      }),
    );
  });
});

describe("CreditLedger", () => {
  it("credits whole bits per call that sum to floor(H x bytes) over the run", () => {
    const ledger = new CreditLedger(1 / 16);
    const calls: number[] = [];
    for (const bytes of [10, 10, 10, 3, 512]) {
      calls.push(ledger.creditFor(bytes));
      ledger.record(bytes);
    }
    expect(calls).toEqual([0, 1, 0, 1, 32]);
    expect(ledger.bits).toBe(Math.floor(545 / 16));
    expect(ledger.bytes).toBe(545);
  });

  it("records nothing until told the kernel took the bytes", () => {
    const ledger = new CreditLedger(7.5);
    expect(ledger.creditFor(3)).toBe(22);
    expect(ledger.creditFor(3)).toBe(22);
    expect(ledger.bits).toBe(0);
    ledger.record(3);
    expect(ledger.creditFor(1)).toBe(8); // 30 - 22
  });

  it("refuses more than 8 bits per byte", () => {
    expect(() => new CreditLedger(8.5)).toThrow(RangeError);
  });
});

describe("Pacer", () => {
  it("is due at the start, then after each chunk's share of a second at the rate", () => {
    const pacer = new Pacer(512, 1000);
    expect(pacer.waitMs(1000)).toBe(0);
    pacer.record(256);
    expect(pacer.waitMs(1000)).toBe(500);
    expect(pacer.waitMs(1400)).toBe(100);
    expect(pacer.waitMs(2000)).toBe(0);
  });

  it("counts bytes fed when the kernel asked, so a burst is followed by a pause", () => {
    const pacer = new Pacer(100, 0);
    pacer.record(1000);
    expect(pacer.waitMs(0)).toBe(10_000);
  });

  it("never waits at rate max and is never due at rate 0", () => {
    const max = new Pacer(Infinity, 0);
    max.record(1 << 30);
    expect(max.waitMs(0)).toBe(0);
    expect(new Pacer(0, 0).waitMs(1e9)).toBe(Infinity);
  });
});
