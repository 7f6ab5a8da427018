import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dsv, dsvText, hexDump, histogram, histogramText } from "../cli/view/mod.ts";
import { binaryBuilt, ROOT, runCli, RUNNERS, withFileSizeLimit } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const dir = testTempDir("qrng-view");
import { decode } from "fast-png";
import { Xr232Device } from "../cli/emulators/xr232_device.ts";

const fixture = (name: string) => new Uint8Array(readFileSync(join(ROOT, "tests/fixtures", name)));
const ramp = () => new Uint8Array(1_024_000).map((_, i) => i & 0xff);

describe("DSV", () => {
  it("matches ent's bit mean on data.sha1 (0.500259 of 1,000,000 bits are ones)", () => {
    const s = dsv(fixture("data.sha1"), 4096);
    expect(s.bits).toBe(1_000_000);
    expect(s.overall).toBe(2 * 500_259 - 1_000_000);
    expect(s.blocks.reduce((a, b) => a + b, 0)).toBe(s.overall);
  });

  it("matches ent's bit mean on truerand_8bit.bin (0.500169 of 8,000,000)", () => {
    const s = dsv(fixture("truerand_8bit.bin"), 65536);
    expect(Math.abs(s.overall - (2 * 0.500169 * 8e6 - 8e6))).toBeLessThanOrEqual(8); // ent rounds to 6 digits
  });

  it("is zero per 256-byte block for the 0..255 ramp and -8 per byte for zeros", () => {
    const r = dsv(ramp(), 256);
    expect(r.overall).toBe(0);
    expect(r.blocks.every((d) => d === 0)).toBe(true);
    const z = dsv(new Uint8Array(1_000_000), 4096);
    expect(z.overall).toBe(-8_000_000);
    expect(z.maxAbs).toBe(8_000_000);
    expect(z.maxAbsAt).toBe(7_999_999);
    expect(dsvText(z)).toContain("blocks beyond 3 sigma: 245 of 245");
  });
});

describe("byte histogram", () => {
  it("gives ent's chi-square on data.sha1 (253.210112)", () => {
    const h = histogram(fixture("data.sha1"));
    const chi = h.counts.reduce((sum, c) => sum + (c - h.expected) ** 2 / h.expected, 0);
    expect(chi).toBeCloseTo(253.210112, 5);
  });

  it("charts a flat ramp without marks and flags a stuck source everywhere", () => {
    const flat = histogramText(histogram(ramp()));
    expect(flat).toContain("outside 3 sigma: 0 value(s)");
    expect(flat.split("\n").filter((l) => /^ {2}[0-9a-f]{2}-[0-9a-f]{2} \|.{64}\|$/u.test(l)).length).toBe(4);
    expect(flat).not.toContain("!\n");
    const zeros = histogram(new Uint8Array(100_000));
    expect(zeros.outside.length).toBe(256);
    expect(histogramText(zeros)).toContain("outside 3 sigma: 256 value(s)");
  });
});

describe("hex dump", () => {
  it("prints hexdump -C style rows", () => {
    const text = hexDump(new TextEncoder().encode("0123456789abcdef\x00\xffA"));
    expect(text).toBe(
      "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n" +
        "00000010  00 c3 bf 41                                       |...A|\n",
    );
  });
});

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(`qrng view under ${runner.name}`, () => {
    it("prints the views of stdin and writes a bitmap PNG that decodes", async () => {
      const out = join(dir, `view-test-${runner.name}.png`);
      const data = fixture("data.sha1").subarray(0, 8192);
      const result = await runCli(runner, ["view", "-", "--hex", "32", "--bitmap", out, "--width", "128"], {
        stdin: data,
      });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const text = result.stdout.toString();
      expect(text).toContain("stdin: 8,192 bytes");
      expect(text).toContain(hexDump(data.subarray(0, 32)));
      expect(text).toContain(`overall DSV ${dsv(data, 4096).overall}`);
      expect(text).toContain("wrote bitmap 128x512");
      expect(Buffer.from(decode(readFileSync(out)).data)).toEqual(Buffer.from(data));
      rmSync(out);
    });

    // Under a file size limit the PNG write fails part-way (EFBIG); Deno dies of SIGXFSZ instead.
    it.skipIf(runner.name === "deno")(
      "leaves an existing PNG as it was when the new one cannot be written in full",
      async () => {
        const own = mkdtempSync(join(dir, "view-full-"));
        const out = join(own, "bits.png");
        writeFileSync(out, "the previous image");
        const result = await runCli(withFileSizeLimit(runner, 16), [
          "view",
          join(ROOT, "tests/fixtures/data.sha1"),
          "--bitmap",
          out,
        ]);
        expect(result.stderr).toBe(`qrng: Cannot write ${out}: file too large\n`);
        expect(result.status).toBe(1);
        expect(readFileSync(out, "utf8")).toBe("the previous image");
        expect(readdirSync(own)).toEqual(["bits.png"]);
        rmSync(own, { recursive: true });
      },
    );

    it("views a device's raw bytes (the emulated XR232USB's first answers)", async () => {
      const result = await runCli(runner, [
        "view",
        "--device",
        "sim:xr232usb?seed=3",
        "--bytes",
        "4096",
        "--hex",
        "48",
        "--show",
        "hex,dsv",
      ]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain("is an emulator");
      const device = new Xr232Device("xr232usb", { seed: 3n });
      device.open(230_400);
      device.receive(new Uint8Array(4096).fill(0x55));
      while (!device.cts) device.wait(0.01);
      const bytes = device.answer(4096);
      expect(result.stdout.toString()).toContain(hexDump(bytes.subarray(0, 48)));
      expect(result.stdout.toString()).toContain(
        `overall DSV ${dsv(bytes, 4096).overall.toLocaleString("en-US")} over 32,768 bits`,
      );
    });

    it("reports what post-processing cost and rejects a bad method with status 2", async () => {
      const result = await runCli(runner, [
        "view",
        join(ROOT, "tests/fixtures/data.sha1"),
        "--show",
        "dsv",
        "--xor-fold",
        "5",
      ]);
      expect(result.status).toBe(0);
      expect(result.stdout.toString()).toContain(
        "post-processing xor-fold 5: 125,000 -> 25,000 bytes (kept 20.00 %, cost 80.00 %)",
      );
      const bad = await runCli(runner, ["view", "--debias", "md5"]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toBe("qrng view: --debias knows only von-neumann\n");
    });
  });
}
