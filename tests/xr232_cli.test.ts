import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runTimeline } from "../cli/emulators/xr232_timeline.ts";
import { EMULATED_IDENTIFICATION } from "../cli/emulators/xr232_device.ts";
import { Xr232Model } from "../wasm/xr232.ts";
import { binaryBuilt, runCli, RUNNERS, withFileSizeLimit } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const dir = testTempDir("qrng-xr232-cli");

async function inProcess(seconds: number, schedule: { startS: number; durationS: number }[]) {
  const model = new Xr232Model(1n, {}, schedule);
  const chunks: Buffer[] = [];
  const timeline = await runTimeline(model, seconds, 230_400, (b) => void chunks.push(Buffer.from(b)));
  return { bytes: Buffer.concat(chunks), timeline };
}

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(`qrng model under ${runner.name}`, () => {
    it("writes the same bytes as the model in this process and prints the timeline", async () => {
      const file = join(dir, `model-${runner.name}.bin`);
      const result = await runCli(runner, [
        "model",
        "xr232usb",
        "--seconds",
        "1.5",
        "--disturb",
        "0.5s:5ms,1.0s:40ms",
        "-o",
        file,
      ]);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const expected = await inProcess(1.5, [{ startS: 0.5, durationS: 0.005 }, {
        startS: 1,
        durationS: 0.04,
      }]);
      expect(readFileSync(file)).toEqual(expected.bytes);
      rmSync(file);
      const text = result.stdout.toString();
      expect(text).toContain("disturbances: 0.500 s for 5.0 ms, 1.000 s for 40.0 ms");
      expect(text).toMatch(/ {5}1\.020\d{3} s {2}cts-off/);
      expect(text).toContain(
        `total: ${expected.timeline.final.bytesServed.toLocaleString("en-US")} bytes out`,
      );
    });

    // Under a file size limit the write fails part-way (EFBIG); Deno dies of SIGXFSZ instead.
    it.skipIf(runner.name === "deno")(
      "leaves an existing -o FILE as it was when the bytes cannot be written in full",
      async () => {
        const own = mkdtempSync(join(dir, "model-full-"));
        const file = join(own, "bytes.bin");
        writeFileSync(file, "the previous run");
        const result = await runCli(withFileSizeLimit(runner, 16), [
          "model",
          "xr232usb",
          "--seconds",
          "2",
          "-o",
          file,
        ]);
        expect(result.stderr).toBe(`qrng: Cannot write ${file}: file too large\n`);
        expect(result.status).toBe(1);
        expect(readFileSync(file, "utf8")).toBe("the previous run");
        expect(readdirSync(own)).toEqual(["bytes.bin"]);
        rmSync(own, { recursive: true });
      },
    );

    it("plays recorded pulse widths from a file", async () => {
      const file = join(dir, `pulses-${runner.name}.txt`);
      writeFileSync(file, "# widths in us\n1.5 2 1.5\n1.5,2 2\n2 1.5\n");
      const result = await runCli(runner, [
        "model",
        "xr232usb",
        "--pulses",
        file,
        "--seconds",
        "0.1",
        "--json",
      ]);
      rmSync(file);
      expect(result.status, result.stderr).toBe(0);
      const json = JSON.parse(result.stdout.toString());
      expect(json.final).toMatchObject({ pulses: 8, bits: 8, ones: 4, bytesWritten: 1, state: "dead" });
      const bad = await runCli(runner, ["model", "xr232usb", "--pulses", "/nonexistent/pulses.txt"]);
      expect(bad.status).toBe(1);
    });

    it("fails closed in qrng read when the emulated source locks to the poll clock (all-zero bits)", async () => {
      // widths of exactly 8 poll ticks: every counter LSB is 0, the pool never changes
      const file = join(dir, `locked-${runner.name}.bin`);
      const device = "sim:xr232usb?sigma=0&medianHz=125000";
      const result = await runCli(runner, ["read", "20000", "--device", device, "-o", file]);
      expect(result.status).toBe(1);
      // The pool never changes: RCT and APT fail every window, and the output repeats itself.
      expect(result.stderr).toMatch(/qrng: (Health tests failed|Repetition check)/);
      expect(existsSync(file)).toBe(false);
      const fine = await runCli(runner, [
        "read",
        "20000",
        "--device",
        "sim:xr232usb?sigma=0.3&medianHz=125000",
      ]);
      expect(fine.status).toBe(0);
      expect(fine.stdout.length).toBe(20000);
    });

    it("identifies the in-process emulators, as JSON too", async () => {
      const usb = await runCli(runner, ["ident", "sim:xr232usb", "--json"]);
      expect(usb.status, usb.stderr).toBe(0);
      expect(JSON.parse(usb.stdout.toString())).toMatchObject({
        kind: "xr232usb",
        identification: EMULATED_IDENTIFICATION,
        recommendedBaud: 230_400,
        device: "sim:xr232usb?baud=230400",
        identifiedAt: 1200,
      });
      const classic = await runCli(runner, ["ident", "sim:xr232"]);
      expect(classic.stdout.toString()).toContain(
        "classic XR232 (random bytes at 1200 baud, no identification string)",
      );
      const none = await runCli(runner, ["ident", "sim:qcicada"]);
      expect(none.status).toBe(2);
    });

    it("prints JSON with per-second slices and events, and rejects a bad schedule with status 2", async () => {
      const result = await runCli(runner, [
        "model",
        "xr232usb",
        "--seconds",
        "1",
        "--set",
        "tr1Ms=2",
        "--disturb",
        "0.5s:5ms",
        "--json",
      ]);
      expect(result.status).toBe(0);
      const json = JSON.parse(result.stdout.toString());
      expect(json.emulated).toBe(true);
      expect(json.params.tr1Ms).toBe(2);
      expect(json.slices).toHaveLength(1);
      expect(json.events.filter((e: { kind: string }) => e.kind === "cts-off")).toHaveLength(1);
      const bad = await runCli(runner, ["model", "xr232usb", "--disturb", "1s"]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toBe(
        "qrng model: bad disturbance '1s' (use START:DURATION, e.g. 2.0s:40ms)\n",
      );
    });
  });
}
