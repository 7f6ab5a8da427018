/**
 * `qrng read` end to end, under Deno, Bun and the compiled binary: output equals what the
 * seeded emulator sent (after the health gate's start-up windows), fail-closed refusals leave no
 * file, and a closed pipe or Ctrl-C stops the device cleanly without a stack trace.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeededBytes } from "../cli/emulators/seeded_bytes.ts";
import { binaryBuilt, runCli, RUNNERS, spawnCli, withFileSizeLimit } from "./_support/cli.ts";
import { type RunningEmulator, startEmulator } from "./_support/qcicada_emulator.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const dir = testTempDir("qrng-read");
/** The gate tests its first 1024 bytes (two 512-byte windows) and never releases them. */
const STARTUP_BYTES = 1024;

function expectFromStream(output: Buffer, seed: number) {
  const stream = Buffer.from(new SeededBytes(seed).take(STARTUP_BYTES + output.length));
  expect(output.equals(stream.subarray(STARTUP_BYTES))).toBe(true);
}

describe.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "qrng read under $name",
  (runner) => {
    let emulator: RunningEmulator;
    beforeAll(async () => {
      emulator = await startEmulator([
        "--tcp",
        "127.0.0.1:0",
        "--rate",
        "max",
        "--seed",
        "21",
        "--startup-ms",
        "0",
      ]);
    });
    afterAll(async () => {
      await emulator.stop();
    });

    it("writes exactly what the in-process emulator sent, byte for byte, and warns it is emulated", async () => {
      const r = await runCli(runner, ["read", "100K", "--device", "sim:qcicada?seed=5"]);
      expect(r.status).toBe(0);
      expect(r.stdout.length).toBe(102400);
      expectFromStream(r.stdout, 5);
      expect(r.stderr).toMatch(/WARNING: sim:qcicada\?seed=5 is an emulator: .*NOT random/);
    });

    it("writes exactly what the emulator process sent over TCP to -o FILE", async () => {
      // A fresh emulator per read keeps its stream at offset 0.
      const own = await startEmulator([
        "--tcp",
        "127.0.0.1:0",
        "--rate",
        "max",
        "--seed",
        "8",
        "--startup-ms",
        "0",
      ]);
      try {
        const file = join(dir, `tcp-${runner.name}.bin`);
        const r = await runCli(runner, ["read", "300K", "--device", own.uri, "-o", file, "--json"]);
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout.toString())).toMatchObject({
          bytes: 307200,
          emulated: true,
          health: { windowsFailed: 0 },
        });
        expectFromStream(readFileSync(file), 8);
      } finally {
        await own.stop();
      }
    });

    it("formats hex and base64 of exactly SIZE bytes", async () => {
      const hex = await runCli(runner, ["read", "40", "--device", "sim:qcicada?seed=2", "--format", "hex"]);
      expect(hex.stdout.toString()).toMatch(/^[0-9a-f]{64}\n[0-9a-f]{16}\n$/);
      const b64 = await runCli(runner, [
        "read",
        "40",
        "--device",
        "sim:qcicada?seed=2",
        "--format",
        "base64",
      ]);
      expect(Buffer.from(b64.stdout.toString(), "base64").toString("hex")).toBe(
        hex.stdout.toString().replace(/\n/g, ""),
      );
    });

    it("appends only on success", async () => {
      const file = join(dir, `append-${runner.name}.bin`);
      writeFileSync(file, "head");
      expect((await runCli(runner, ["read", "16", "--device", emulator.uri, "-o", file, "--append"])).status)
        .toBe(0);
      expect(readFileSync(file).length).toBe(4 + 16);
      const bad = await runCli(runner, [
        "read",
        "1M",
        "--device",
        "sim:qcicada?stuck=200000",
        "-o",
        file,
        "--append",
      ]);
      expect(bad.status).toBe(1);
      expect(readFileSync(file).length).toBe(20);
    });

    it("names the output FILE, not its temporary file, when it cannot be created", async () => {
      const file = join(dir, "missing-dir", `out-${runner.name}.bin`);
      const r = await runCli(runner, ["read", "16", "--device", "sim:qcicada", "-o", file]);
      expect(r.status).toBe(1);
      expect(r.stderr.toString()).toMatch(
        new RegExp(`^qrng: Cannot write ${file}: no such file or directory\n`, "m"),
      );
      expect(r.stderr.toString()).not.toMatch(/partial|\n\s+at /);
    });

    // Under a file size limit the write fails part-way (EFBIG); Deno dies of SIGXFSZ instead.
    it.skipIf(runner.name === "deno")(
      "names FILE when the write fails part-way, and leaves FILE as it was",
      async () => {
        const file = join(dir, `full-${runner.name}.bin`);
        writeFileSync(file, "the previous read");
        const r = await runCli(withFileSizeLimit(runner, 16), [
          "read",
          "1M",
          "--device",
          "sim:qcicada",
          "-o",
          file,
        ]);
        expect(r.stderr).toMatch(new RegExp(`\nqrng: Cannot write ${file}: file too large\n$`));
        expect(r.status).toBe(1);
        expect(readFileSync(file, "utf8")).toBe("the previous read");
        expect(readdirSync(dir).filter((n) => n.includes("partial"))).toEqual([]);
      },
    );

    it("refuses a directory as FILE before reading anything", async () => {
      const target = mkdtempSync(join(dir, "target-dir-"));
      for (const extra of [[], ["--append"]]) {
        const r = await runCli(runner, ["read", "1M", "--device", "sim:qcicada", "-o", target, ...extra]);
        expect(r.status).toBe(1);
        expect(r.stderr.toString()).toMatch(
          new RegExp(`^qrng: Cannot write ${target}: it is a directory\n`, "m"),
        );
      }
      expect(readdirSync(dir).filter((n) => n.includes("partial"))).toEqual([]);
    });

    it("stops a persistently failing source with status 1 and leaves no file", async () => {
      const file = join(dir, `stuck-${runner.name}.bin`);
      const r = await runCli(runner, ["read", "1M", "--device", "sim:qcicada?stuck=100000", "-o", file]);
      expect(r.status).toBe(1);
      // Zeros fail the RCT in every window, and repeat themselves: whichever verdict comes first.
      expect(r.stderr).toMatch(
        /qrng: (Health tests failed \d+ of \d+ windows .*more than ideal data explains|Repetition check: .* 1 byte earlier)/,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(file)).toBe(false);
      expect(readdirSync(dir).filter((n) => n.includes("partial"))).toEqual([]);
    });

    it("refuses a signed read whose signature was tampered with", async () => {
      const file = join(dir, `tampered-${runner.name}.bin`);
      const r = await runCli(runner, [
        "read",
        "64",
        "--signed",
        "--device",
        "sim:qcicada?tamper=1",
        "-o",
        file,
      ]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/failed verification: refusing the data/);
      expect(existsSync(file)).toBe(false);
      const good = await runCli(runner, ["read", "64", "--signed", "--device", "sim:qcicada"]);
      expect(good.status).toBe(0);
      expect(good.stdout.length).toBe(64);
    });

    it("stops the device and exits 0 when the reader of a pipe goes away", async () => {
      const command = [runner.command, ...runner.prefix, "read", "1G", "--device", emulator.uri].map((a) =>
        `'${a}'`
      ).join(" ");
      const r = await new Promise<{ out: string; err: string }>((resolve) => {
        const child = spawn("bash", [
          "-c",
          `${command} 2>'${dir}/pipe-${runner.name}.err' | head -c 16 | wc -c; echo "status \${PIPESTATUS[0]}"; cat '${dir}/pipe-${runner.name}.err'`,
        ]);
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d));
        child.on("close", () => resolve({ out, err: "" }));
      });
      expect(r.out).toMatch(/^16\nstatus 0\n/);
      expect(r.out).not.toMatch(/\n\s+at |error/i);
      // The device was stopped: a plain status works at once without draining a stream.
      const status = await runCli(runner, ["status", "--device", emulator.uri]);
      expect(status.status).toBe(0);
      expect(status.stderr).not.toMatch(/was streaming/);
    });

    it("stops on Ctrl-C with status 130 and leaves no file", async () => {
      const file = join(dir, `interrupted-${runner.name}.bin`);
      const slow = await startEmulator(["--tcp", "127.0.0.1:0", "--rate", "200K", "--startup-ms", "0"]);
      try {
        const run = spawnCli(runner, ["read", "1G", "--device", slow.uri, "-o", file]);
        const reading = () => run.stderr().includes("WARNING");
        run.child.stderr!.on("data", function interruptOnce() {
          if (!reading()) return;
          run.child.stderr!.off("data", interruptOnce);
          setTimeout(() => run.child.kill("SIGINT"), 300);
        });
        expect(await run.exited).toBe(130);
        expect(run.stderr()).toMatch(/interrupted after \d+ bytes/);
        expect(existsSync(file)).toBe(false);
        expect((await runCli(runner, ["status", "--device", slow.uri])).stderr).not.toMatch(/was streaming/);
      } finally {
        await slow.stop();
      }
    });

    it("stops at once when the device raises a health flag", async () => {
      const r = await runCli(runner, ["read", "1K", "--device", "sim:qcicada?stuck=0"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/reports a failing health test or supply: repetitionCount/);
      expect(r.stdout.length).toBe(0);
    });

    it("aborts an update the device refuses, naming its status", async () => {
      const file = join(dir, `too-big-${runner.name}.bin`);
      writeFileSync(file, Buffer.alloc((1 << 20) + 1));
      const r = await runCli(runner, ["update", file, "--device", "sim:qcicada"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        "qrng: Cannot update: device answered ERR_MEMORY (remaining 1048577) to UPDATE_INIT\n",
      );
    });

    it("refuses to guess a device: without --device and no QRNG attached it says so", async () => {
      for (const args of [["read", "16"], ["config", "--set", "n_lsbits=7"]]) {
        const r = await runCli(runner, args);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/^qrng: no QRNG found.*--device/); // naming no other command
        expect(r.stdout.length).toBe(0);
      }
    });
  },
);
