/**
 * A host's whole session over the serial pty, several times in a row: info, a one-shot read, a
 * continuous read and stop, status, set-config, a signed read, an update and a reset. Over a pty
 * every byte crosses the kernel's tty buffers (flushed to the other side by a worker thread) and
 * the emulator's polling, so on a loaded machine an answer can take longer than the 100 ms of
 * silence the drain on connect used to take for "answered": the late ACK and status were then
 * read as the next command's reply (1 run in 3 failed its one-shot read). The emulator here
 * answers every command 150 ms late, the timing that broke it, every time.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli, RUNNERS } from "./_support/cli.ts";
import { type RunningEmulator, startEmulator } from "./_support/qcicada_emulator.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const bun = RUNNERS.find((r) => r.name === "bun")!;
const RUNS = 3;

describe.runIf(process.platform === "linux")("a host's sequence over the serial pty, under bun", () => {
  let emulator: RunningEmulator;
  const dir = testTempDir("qrng-sequence");
  beforeAll(async () => {
    emulator = await startEmulator([
      "--serial",
      "--seed",
      "6",
      "--startup-ms",
      "50",
      "--reply-delay-ms",
      "150",
    ]);
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it(`succeeds ${RUNS} times in a row, every step`, async () => {
    const firmware = join(dir, "fw.bin");
    writeFileSync(firmware, Buffer.alloc(1500, "fw"));
    const step = async (args: string[], check: (r: CliResult) => void = () => {}) => {
      const r = await runCli(bun, [...args, "--device", emulator.uri], { timeoutMs: 60_000 });
      expect(r.status, `qrng ${args.join(" ")}: ${r.stderr}`).toBe(0);
      check(r);
    };
    for (let run = 0; run < RUNS; run++) {
      await step(["info"], (r) => expect(r.stdout.toString()).toContain("serial: EMUQC0000000006"));
      await step(["read", "1000"], (r) => expect(r.stdout.length).toBe(1000));
      await step(["read", "200000"], (r) => expect(r.stdout.length).toBe(200_000));
      await step(["stop"]);
      await step(
        ["status", "--json"],
        (r) => expect(JSON.parse(r.stdout.toString())).toMatchObject({ started: true }),
      );
      await step(["config", "--set", "n_lsbits=5"]);
      await step(["read", "100", "--signed"], (r) => expect(r.stdout.length).toBe(100));
      await step(["update", firmware]);
      await step(["reset"]);
    }
  }, 240_000);
});
