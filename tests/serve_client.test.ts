/**
 * The daemon's clients: `qrng read --device unix:/PATH` and `--device qrng+tcp://HOST:PORT`
 * under Deno, Bun and the binary, against a real `qrng serve` reading a seeded emulator over
 * TCP: what they output is the emulator's own stream (regenerated here), and a token-guarded
 * listener is refused without the token and served with it. The library's open() takes the
 * same URIs.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { open } from "../cli/mod.ts";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";
import { type RunningEmulator, startEmulator } from "./_support/qcicada_emulator.ts";
import { emulatorStream, locate, type RunningDaemon, startDaemon } from "./_support/serve_daemon.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const SEED = 41;
const dir = testTempDir("qrng-serve-client");
const tokenFile = join(dir, "token");
let emulator: RunningEmulator;
let daemon: RunningDaemon;
let guarded: RunningDaemon;

beforeAll(async () => {
  writeFileSync(tokenFile, "s3cret-token\n");
  emulator = await startEmulator(["--tcp", "127.0.0.1:0", "--rate", "max", "--seed", String(SEED)]);
  const bun = RUNNERS.find((r) => r.name === "bun")!;
  [daemon, guarded] = await Promise.all([
    startDaemon(bun, [
      "--device",
      emulator.uri,
      "--pool",
      "1M",
      "--unix",
      join(dir, "qrng.sock"),
      "--tcp",
      "127.0.0.1:0",
    ]),
    startDaemon(bun, [
      "--device",
      emulator.uri,
      "--pool",
      "1M",
      "--tcp",
      "127.0.0.1:0",
      "--token-file",
      tokenFile,
    ]),
  ]);
});

afterAll(async () => {
  await Promise.all([daemon?.stop(), guarded?.stop()]);
  await emulator?.stop();
});

/** Checks that `output` is made of pieces of the emulator's stream. */
function expectFromEmulator(output: Buffer): void {
  const located = locate(output, [emulatorStream(SEED, 48 << 20)]);
  expect(located.fragments).toEqual([]);
}

describe.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "daemon clients under $name",
  (runner) => {
    it("qrng read --device unix:PATH outputs validated bytes of the daemon's device", async () => {
      const result = await runCli(runner, ["read", "200K", "--device", daemon.unix!]);
      expect(result.status).toBe(0);
      expect(result.stdout.length).toBe(200 * 1024);
      expect(result.stderr).toMatch(/emulator/);
      expectFromEmulator(result.stdout);
    });

    it("qrng read --device qrng+tcp://HOST:PORT outputs validated bytes of the daemon's device", async () => {
      const result = await runCli(runner, ["read", "64K", "--device", daemon.tcp!]);
      expect(result.status).toBe(0);
      expect(result.stdout.length).toBe(64 * 1024);
      expectFromEmulator(result.stdout);
    });

    it("a token-guarded daemon refuses a client without the token in one line, and serves one with it", async () => {
      const refused = await runCli(runner, ["read", "1K", "--device", guarded.tcp!], {
        env: { QRNG_TOKEN: "" },
      });
      expect(refused.status).toBe(2);
      expect(refused.stderr.trim().split("\n")).toHaveLength(1);
      expect(refused.stderr).toMatch(/needs a token/);
      const wrong = await runCli(runner, ["read", "1K", "--device", guarded.tcp!], {
        env: { QRNG_TOKEN: "guess" },
      });
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toMatch(/wrong token/);
      const served = await runCli(runner, [
        "read",
        "1K",
        "--device",
        `${guarded.tcp}?token-file=${tokenFile}`,
      ]);
      expect(served.status).toBe(0);
      expect(served.stdout.length).toBe(1024);
    });

    it("no daemon at the socket is one clear line and exit status 1", async () => {
      const result = await runCli(runner, ["read", "1K", "--device", `unix:${join(dir, "nobody.sock")}`]);
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(/Cannot connect to unix:.*nobody\.sock/);
    });
  },
);

describe("the library's open()", () => {
  it("reads validated bytes from a daemon by its unix: URI and says it is an emulator", async () => {
    const qrng = await open(daemon.unix!);
    try {
      const bytes = await qrng.read(4096);
      expect(qrng.emulated).toBe(true);
      expect(qrng.description).toMatch(/EMUQC.* via qrng serve at unix:/);
      expectFromEmulator(Buffer.from(bytes));
    } finally {
      await qrng.close();
    }
  });
});
