import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Xr232Device } from "../cli/emulators/xr232_device.ts";
import { vonNeumann, xorFold } from "../cli/postprocess/mod.ts";
import { STARTUP_SAMPLES } from "../wasm/health.ts";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const dir = testTempDir("qrng-postprocess");

/** The emulated XR232USB's first `n` answers at 230400 baud (what sim:xr232usb serves). */
function simBytes(seed: bigint, n: number): Uint8Array {
  const device = new Xr232Device("xr232usb", { seed });
  device.open(230_400);
  device.receive(new Uint8Array(n).fill(0x55));
  const out: number[] = [];
  while (device.pending > 0) {
    if (!device.cts) device.wait(0.01);
    else out.push(...device.answer(4096));
  }
  return Uint8Array.from(out);
}

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(
    `qrng read with post-processing under ${runner.name}`,
    () => {
      it("applies xor-fold then von Neumann to the health-gated bytes and reports the cost", async () => {
        const file = join(dir, `pp-${runner.name}.bin`);
        const result = await runCli(runner, [
          "read",
          "3000",
          "--device",
          "sim:xr232usb?seed=4",
          "--xor-fold",
          "3",
          "--debias",
          "von-neumann",
          "-o",
          file,
        ]);
        expect(result.status, result.stderr).toBe(0);
        const raw = simBytes(4n, STARTUP_SAMPLES + 3000 * 3 * 5).subarray(STARTUP_SAMPLES);
        const expected = vonNeumann().push(xorFold(3).push(raw)).subarray(0, 3000);
        expect(readFileSync(file)).toEqual(Buffer.from(expected));
        rmSync(file);
        expect(result.stderr).toMatch(
          /post-processing xor-fold 3: [\d,]+ -> [\d,]+ bytes \(kept 33\.3\d %, cost 66\.6\d %\)/,
        );
        expect(result.stderr).toMatch(
          /post-processing von Neumann: [\d,]+ -> [\d,]+ bytes \(kept 2[45]\.\d\d %/,
        );
      });
    },
  );
}
