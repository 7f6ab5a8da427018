import { describe, expect, it } from "vitest";
import { MAGIC } from "../cli/protocol/xr232.ts";
import { EMULATED_IDENTIFICATION, Xr232Device } from "../cli/emulators/xr232_device.ts";
import { Xr232Model } from "../wasm/xr232.ts";

const magic = (n: number) => new Uint8Array(n).fill(MAGIC);

/** Drives a device the way an adapter does: wait out CTS, then answer. */
function drain(device: Xr232Device, max = 1 << 20): Uint8Array {
  const out: number[] = [];
  for (let guard = 0; guard < 10_000 && device.pending > 0 && out.length < max; guard++) {
    if (!device.cts) device.wait(0.01);
    else out.push(...device.answer(Math.min(4096, max - out.length)));
  }
  return Uint8Array.from(out);
}

describe("emulated XR232USB", () => {
  it("answers one byte per U, equal to the model's bytes for the same seed and baud", () => {
    const device = new Xr232Device("xr232usb", { seed: 11n });
    device.open(115_200);
    device.receive(magic(5000));
    expect(device.cts).toBe(false); // reset on open: cold start first
    expect(device.answer(10).length).toBe(0);
    const bytes = drain(device);
    expect(bytes.length).toBe(5000);
    const model = new Xr232Model(11n);
    model.reset();
    model.advance(1, true);
    expect(Buffer.from(bytes)).toEqual(Buffer.from(model.serve(5000, 115_200)));
  });

  it("ignores bytes other than U", () => {
    const device = new Xr232Device("xr232usb");
    device.open(57_600);
    device.receive(new TextEncoder().encode("xUyU\r\n"));
    expect(device.pending).toBe(2);
  });

  it("repeats its identification string below 2400 baud until the port closes", () => {
    const device = new Xr232Device("xr232usb");
    device.open(1200);
    device.receive(magic(EMULATED_IDENTIFICATION.length * 2 + 5));
    const text = new TextDecoder().decode(drain(device));
    expect(text).toBe(EMULATED_IDENTIFICATION.repeat(2) + EMULATED_IDENTIFICATION.slice(0, 5));
    device.setBaud(230_400); // a faster rate does not end identification mode
    device.receive(magic(3));
    expect(new TextDecoder().decode(drain(device))).toBe(EMULATED_IDENTIFICATION.slice(5, 8));
    device.close();
    device.open(230_400);
    device.receive(magic(64));
    const random = drain(device);
    expect(device.mode).toBe("random");
    expect(new TextDecoder().decode(random)).not.toContain("XR232");
  });

  it("as a classic XR232 answers random bytes even at 1200 baud", () => {
    const device = new Xr232Device("xr232");
    device.open(1200);
    device.receive(magic(64));
    expect(device.mode).toBe("random");
    expect(drain(device).length).toBe(64);
  });

  it("withholds answers while CTS is off after a long disturbance, then continues", () => {
    const device = new Xr232Device("xr232usb", { schedule: [{ startS: 0.2, durationS: 0.05 }] });
    device.open(230_400);
    device.receive(magic(10_000)); // 0.1 s cold start + 10,000 x 43.4 us reaches past 0.2 s
    const first: number[] = [];
    while (!device.cts) device.wait(0.01);
    for (let b = device.answer(4096); b.length; b = device.answer(4096)) first.push(...b);
    expect(device.cts).toBe(false);
    expect(first.length).toBeGreaterThan(2000);
    expect(first.length).toBeLessThan(10_000);
    expect(device.pending).toBe(10_000 - first.length);
    expect(drain(device).length).toBe(10_000 - first.length);
  });

  it("loses unanswered requests when the host closes", () => {
    const device = new Xr232Device("xr232usb");
    device.open(230_400);
    device.receive(magic(100));
    device.close();
    expect(device.pending).toBe(0);
    expect(device.answer(100).length).toBe(0);
  });
});
