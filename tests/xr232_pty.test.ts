/**
 * End to end over a real pseudo-terminal: `qrng emulate xr232usb --serial` in one process, the
 * host commands (`qrng ident`, `qrng read --device xr232:/dev/pts/N`) in another, under Deno,
 * Bun and the compiled binary. The oracle for the bytes is the in-process firmware model.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EMULATED_IDENTIFICATION, Xr232Device } from "../cli/emulators/xr232_device.ts";
import { STARTUP_SAMPLES } from "../wasm/health.ts";
import type { Disturbance } from "../wasm/xr232.ts";
import { IDENT_REQUESTS } from "../cli/sources/xr232_ident.ts";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";
import { startEmulateChild } from "./_support/uri_child.ts";

const dir = testTempDir("qrng-xr232");

/** `qrng read` keeps back the health gate's start-up samples (1024 one-byte samples). */
const HELD_BACK = STARTUP_SAMPLES;

/** Where `out` lies in `record`: runs of it, each found after the previous one (throws when a byte is not). */
function runsWithin(out: Buffer, record: Buffer): { recordStart: number; bytes: number }[] {
  const runs: { recordStart: number; bytes: number }[] = [];
  let from = 0;
  for (let at = 0; at < out.length;) {
    const start = record.indexOf(out.subarray(at, at + 16), from);
    if (start < 0) throw new Error(`output bytes from ${at} are not in what the device sent after ${from}`);
    let bytes = 0;
    while (at + bytes < out.length && out[at + bytes] === record[start + bytes]) bytes++;
    runs.push({ recordStart: start, bytes });
    at += bytes;
    from = start + bytes;
  }
  return runs;
}

/** What a fresh emulated XR232USB answers to `n` requests after one open at `baud`. */
function modelAnswers(seed: bigint, baud: number, n: number, schedule: Disturbance[] = []): Buffer {
  const device = new Xr232Device("xr232usb", { seed, schedule });
  device.open(baud);
  device.receive(new Uint8Array(n).fill(0x55));
  const out: Buffer[] = [];
  while (device.pending > 0) {
    if (!device.cts) device.wait(0.01);
    else out.push(Buffer.from(device.answer(4096)));
  }
  return Buffer.concat(out);
}

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(`XR232 over a pty under ${runner.name}`, () => {
    it("identifies an XR232USB at 1200 baud and a classic XR232 by its random answer", async () => {
      const usb = await startEmulateChild(runner, ["xr232usb", "--serial"]);
      const result = await runCli(runner, ["ident", usb.uri]);
      const log = await usb.stop();
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      // All 160 answers, or fewer when a loaded machine slows the emulator past ident's budget.
      const received = Number(/repeating; (\d+) received/.exec(result.stdout.toString())?.[1]);
      expect(received).toBeGreaterThanOrEqual(2 * EMULATED_IDENTIFICATION.length);
      expect(received).toBeLessThanOrEqual(IDENT_REQUESTS);
      expect(result.stdout.toString()).toBe(
        `serial:${usb.uri.slice(6)} at 1200 baud with RTS/CTS: XR232USB\n` +
          `identification: ${
            JSON.stringify(EMULATED_IDENTIFICATION)
          } (${EMULATED_IDENTIFICATION.length} characters, repeating; ${received} received)\n` +
          `recommended: ${usb.uri}?baud=230400\n`,
      );
      expect(log.stderr).toContain("identification mode (1200 baud < 2400)");
      const classic = await startEmulateChild(runner, ["xr232", "--serial"]);
      const answer = await runCli(runner, ["ident", classic.uri]);
      await classic.stop();
      expect(answer.stdout.toString()).toContain(
        "classic XR232 (random bytes at 1200 baud, no identification string)",
      );
    });

    it("calls a device answering the same byte to every magic character no XR232, saying what it saw", async () => {
      // Pulses of exactly 8 poll ticks lock the classic XR232's pool: a constant answer.
      const stuck = await startEmulateChild(runner, [
        "xr232",
        "--serial",
        "--set",
        "sigma=0",
        "--set",
        "medianHz=125000",
      ]);
      const result = await runCli(runner, ["ident", stuck.uri]);
      await stuck.stop();
      expect(result.status).toBe(1);
      expect(result.stdout.toString()).toBe("");
      const seen =
        /^qrng: Cannot identify serial:\/dev\/pts\/\d+ at 1200 baud with RTS\/CTS: its answer to 160 magic characters was 0x[0-9a-f]{2}, (\d+) times: neither an XR232USB's identification string nor a classic XR232's random bytes\n$/
          .exec(result.stderr);
      expect(seen, result.stderr).not.toBeNull();
      // All 160, or fewer (at least the 32 judged) when a loaded machine slows the emulator past ident's budget.
      expect(Number(seen![1])).toBeGreaterThanOrEqual(32);
      expect(Number(seen![1])).toBeLessThanOrEqual(IDENT_REQUESTS);
    });

    for (const [i, baud] of [57_600, 115_200, 230_400].entries()) {
      it(`reads the seeded emulator's bytes at ${baud} baud`, async () => {
        const seed = BigInt(40 + i);
        const n = baud === 57_600 ? 6000 : 12_000;
        const file = join(dir, `${runner.name}-${baud}.bin`);
        const emulator = await startEmulateChild(runner, ["xr232usb", "--serial", "--seed", String(seed)]);
        const result = await runCli(runner, [
          "read",
          String(n),
          "--device",
          `${emulator.uri}?baud=${baud}`,
          "-o",
          file,
          "--json",
        ]);
        const log = await emulator.stop();
        expect(result.status, result.stderr).toBe(0);
        // The emulator marks its pty; a real serial port cannot carry the mark.
        expect(JSON.parse(result.stdout.toString())).toMatchObject({ emulated: true, bytes: n });
        expect(result.stderr).toMatch(
          /WARNING: xr232:\/dev\/pts\/\d+\?baud=\d+ is an emulator: .*NOT random/,
        );
        // the emulator may notice the open just before the host sets its rate
        expect(log.stderr).toMatch(new RegExp(`(host opened the port at|host set) ${baud} baud`));
        const expected = modelAnswers(seed, baud, HELD_BACK + n).subarray(HELD_BACK);
        expect(readFileSync(file)).toEqual(expected);
      });
    }

    it("recovers from a long disturbance under a strict CTS timeout by reopening, nothing filled or repeated", async () => {
      const record = join(dir, `${runner.name}-strict-record.bin`);
      const file = join(dir, `${runner.name}-strict.bin`);
      const emulator = await startEmulateChild(runner, [
        "xr232usb",
        "--serial",
        "--seed",
        "8",
        "--disturb",
        "0.3s:300ms",
        "--record",
        record,
      ]);
      const n = 12_000;
      const result = await runCli(runner, [
        "read",
        String(n),
        "--device",
        emulator.uri,
        "--cts-timeout",
        "50",
        "-o",
        file,
      ]);
      const log = await emulator.stop();
      expect(result.stderr).toMatch(
        /xr232: no data for \d+ ms \(CTS off or device hung\?\): closing, waiting, reopening \(1 of 5\)/,
      );
      expect(log.stderr.match(/host opened the port/g)!.length).toBeGreaterThanOrEqual(2);
      // While its source runs slow the device reads its 480-byte pool faster than it refreshes
      // it: here 282 bytes recur 480 bytes later. The repetition check stops the read there
      // (fail closed, no file) unless the reopen lost those bytes in flight.
      if (result.status === 1) {
        expect(result.stderr).toMatch(/qrng: Repetition check: .* 480 bytes earlier/);
        expect(existsSync(file)).toBe(false);
        return;
      }
      expect(result.status, result.stderr).toBe(0);
      const out = readFileSync(file);
      // What the device sent, in order (the start-up samples held back), nothing filled in or
      // repeated; a reopen may lose what was in flight when the port closed (a loaded machine
      // can stall past 50 ms while data flows), so each reopen may leave one gap.
      const reopens = result.stderr.match(/reopening \(/g)!.length;
      const runs = runsWithin(out, readFileSync(record));
      expect(runs[0].recordStart).toBe(HELD_BACK);
      expect(runs.length).toBeLessThanOrEqual(reopens + 1);
      // and, up to the disturbance, the model's stream
      const before = modelAnswers(8n, 230_400, 4000, [{ startS: 0.3, durationS: 0.3 }]).subarray(HELD_BACK);
      expect(out.subarray(0, 2000)).toEqual(before.subarray(0, 2000));
    });

    it("waits out a long disturbance under the generous policy and delivers the model's stream unbroken", async () => {
      const file = join(dir, `${runner.name}-wait.bin`);
      const schedule = [{ startS: 0.3, durationS: 0.3 }];
      const emulator = await startEmulateChild(runner, [
        "xr232usb",
        "--serial",
        "--seed",
        "9",
        "--disturb",
        "0.3s:300ms",
      ]);
      const n = 12_000;
      const result = await runCli(runner, [
        "read",
        String(n),
        "--device",
        `${emulator.uri}?cts-timeout=wait`,
        "-o",
        file,
      ]);
      const log = await emulator.stop();
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/xr232: no data for \d+ ms .*; waiting \(--cts-timeout wait\)/);
      expect(result.stderr).toMatch(/xr232: data resumed after \d+ ms/);
      expect(log.stderr.match(/host opened the port/g)!.length).toBe(1);
      expect(log.stderr).toContain("CTS off (withholding data)");
      expect(readFileSync(file)).toEqual(
        modelAnswers(9n, 230_400, HELD_BACK + n, schedule).subarray(HELD_BACK),
      );
    });
  });
}
