/**
 * Every Crypta Labs command, run as the real CLI (Deno, Bun, the compiled binary) against the
 * emulator in its own process over loopback TCP, plus info and reads over a real
 * pseudo-terminal, UDP and TCP+UDP.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AddressInfo, connect, createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";
import { type RunningEmulator, startEmulator } from "./_support/qcicada_emulator.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const dir = testTempDir("qrng-cmdctrl");
const json = (stdout: Buffer) => JSON.parse(stdout.toString());

describe.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "Crypta Labs commands under $name",
  (runner) => {
    let tcp: RunningEmulator;
    beforeAll(async () => {
      tcp = await startEmulator([
        "--tcp",
        "127.0.0.1:0",
        "--rate",
        "max",
        "--seed",
        "11",
        "--startup-ms",
        "50",
      ]);
    });
    afterAll(async () => {
      expect(await tcp.stop()).toBe(0);
    });
    const qrng = (...args: string[]) => runCli(runner, [...args, "--device", tcp.uri]);

    it("info reports the emulator's versions, serial and hardware", async () => {
      const r = await qrng("info");
      expect(r.stderr).toBe("");
      expect(r.stdout.toString()).toContain(
        "firmware_version: 5.14\nserial: EMUQC0000000011\nhw_info: CICADA-QRNG-1.1\n",
      );
    });

    it("status, stats and pubkey print JSON with --json", async () => {
      expect(json((await qrng("status", "--json")).stdout)).toMatchObject({
        started: true,
        readyBytes: 13440,
      });
      expect(json((await qrng("stats", "--json")).stdout)).toHaveProperty("generatedBytes");
      expect(json((await qrng("pubkey", "--json")).stdout).publicKey).toMatch(/^[0-9a-f]{128}$/);
    });

    it("config --set changes only the fields given", async () => {
      const before = json((await qrng("config", "--json")).stdout);
      const after = json(
        (await qrng("config", "--json", "--set", "n_lsbits=7", "--set", "bit_count=true")).stdout,
      );
      expect(after).toEqual({ ...before, nLsbits: 7, bitCount: true });
      const bad = await qrng("config", "--set", "n_lsbits=9");
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^qrng config: n_lsbits is an integer 1-8\n$/);
    });

    it("cert verifies against the emulator's CA and fails against another key", async () => {
      const good = await qrng("cert", "--ca", tcp.ca);
      expect(good.status).toBe(0);
      expect(good.stdout.toString()).toContain("valid: yes");
      // P-256's generator: a valid key that did not sign the certificate.
      const other = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" +
        "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
      const bad = await qrng("cert", "--ca", other);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toBe("qrng: Certificate does not verify against the given CA key\n");
      // Off the curve: refused alike under every runtime (Deno's WebCrypto would import it).
      const offCurve = await qrng("cert", "--ca", tcp.ca.slice(0, 64) + "00".repeat(32));
      expect(offCurve.status).toBe(2);
      expect(offCurve.stderr).toBe("qrng cert: the CA key is not a P-256 public key\n");
    });

    it("reset restarts the startup test, stop answers with the status, reboot is confirmed", async () => {
      expect(json((await qrng("reset", "--json")).stdout)).toMatchObject({
        startupTestInProgress: true,
        readyBytes: 0,
      });
      expect((await qrng("stop")).status).toBe(0);
      expect((await qrng("reboot")).stdout.toString()).toContain("reboot: confirmed");
    });

    it("hash-test matches SHA-256 of the file", async () => {
      const file = join(dir, `hash-${runner.name}.bin`);
      writeFileSync(file, Buffer.alloc(3000, "qrng"));
      const r = await qrng("hash-test", file, "--json");
      expect(json(r.stdout)).toMatchObject({
        match: true,
        host_sha256: createHash("sha256").update(Buffer.alloc(3000, "qrng")).digest("hex"),
      });
    });

    it("update sends an image the emulator installs intact", async () => {
      const image = Buffer.from(Array.from({ length: 4100 }, (_, i) => (i * 13 + runner.name.length) & 0xff));
      const file = join(dir, `fw-${runner.name}.bin`);
      writeFileSync(file, image);
      const r = await qrng("update", file, "--json");
      expect(json(r.stdout)).toMatchObject({ bytes: 4100, chunks: 5, status: "TRANSFER_COMPLETED" });
      const digest = createHash("sha256").update(image).digest("hex");
      expect(tcp.stderr()).toContain(`firmware image installed: 4100 bytes, sha256 ${digest}`);
    });

    it("recovers a device a dead client left streaming", async () => {
      const port = Number(tcp.uri.split(":").at(-1));
      // A client that starts continuous mode (retrying while the startup test NACKs) and dies.
      await new Promise<void>((resolve) => {
        const start = () => socket.write(Buffer.from([0x04, 0, 0, 0]));
        const socket = connect(port, "127.0.0.1", start);
        let got = 0;
        socket.on("data", (d: Buffer) => {
          if (got === 0 && d.length === 1 && d[0] === 0x12) return void setTimeout(start, 50);
          got += d.length;
          if (got > 100_000) {
            socket.destroy();
            resolve();
          }
        });
      });
      const r = await qrng("status");
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/was streaming: stopped it and discarded \d+ bytes/);
      expect(r.stdout.toString()).toContain("started: yes");
    });

    it("names a refused connection and a peer that resets it (TCP through libc under Deno and Bun)", async () => {
      const server = createServer((socket) => void setTimeout(() => socket.resetAndDestroy(), 20));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as AddressInfo).port;
      try {
        const reset = await runCli(runner, ["info", "--device", `tcp://127.0.0.1:${port}`]);
        expect(reset.status).toBe(1);
        expect(reset.stderr).toMatch(new RegExp(`tcp://127\\.0\\.0\\.1:${port}: .*(reset|closed)`, "i"));
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      const refused = await runCli(runner, ["info", "--device", `tcp://127.0.0.1:${port}`]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(`Cannot connect to tcp://127\\.0\\.0\\.1:${port}: .*refused`, "i"),
      );
    });

    it("pyqcc prints pyqcc-cli's blocks", async () => {
      const hostPort = tcp.uri.replace("tcp://", "");
      const r = await runCli(runner, ["pyqcc", "-i", "tcp", "-d", hostPort, "-s", "--info", "-r", "16"]);
      const text = r.stdout.toString();
      expect(text).toMatch(/^### GET INFO DONE\n core_version: 1\.12\n/);
      expect(text).toContain("### STATUS:\n");
      expect(text).toMatch(/One shot read success\n Speed: \d+ bit\/s\n/);
    });
  },
);

describe("qrng update under bun", () => {
  it("retries a chunk whose answer never came and still installs the image intact", async () => {
    const emulator = await startEmulator(["--tcp", "127.0.0.1:0", "--drop-update-chunk", "2"]);
    try {
      const image = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
      const file = join(dir, "fw-retry.bin");
      writeFileSync(file, image);
      const r = await runCli(RUNNERS.find((x) => x.name === "bun")!, [
        "update",
        file,
        "--device",
        emulator.uri,
        "--json",
      ]);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/chunk at 1024 failed .*did not answer.*retrying/);
      expect(JSON.parse(r.stdout.toString())).toMatchObject({ retries: 1, status: "TRANSFER_COMPLETED" });
      expect(emulator.stderr()).toContain(`sha256 ${createHash("sha256").update(image).digest("hex")}`);
    } finally {
      await emulator.stop();
    }
  });
});

describe.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "other transports under $name",
  (runner) => {
    for (const mode of ["serial", "udp", "tcpudp"] as const) {
      it(`reads info and data over ${mode}`, async () => {
        const emulator = await startEmulator([
          `--${mode}`,
          ...(mode === "serial" ? [] : ["127.0.0.1:0"]),
          "--seed",
          "3",
          "--rate",
          "1M",
        ]);
        try {
          const uri = mode === "tcpudp" ? `${emulator.uri}?udp=0` : emulator.uri;
          const info = await runCli(runner, ["info", "--device", uri]);
          expect(info.stdout.toString()).toContain("serial: EMUQC0000000003");
          const small = await runCli(runner, ["read", "4K", "--device", uri]);
          expect(small.status).toBe(0);
          expect(small.stdout.length).toBe(4096);
          const signed = await runCli(runner, ["read", "100", "--signed", "--device", uri]);
          expect(signed.status).toBe(0);
          expect(signed.stdout.length).toBe(100);
        } finally {
          await emulator.stop();
        }
      });
    }
  },
);
