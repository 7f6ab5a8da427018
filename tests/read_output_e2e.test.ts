/**
 * Where `qrng read` puts its bytes, end to end under Deno, Bun and the compiled binary: the kind
 * of file decides how it is written (FIFOs and devices as streams, regular files anywhere by a
 * temporary file and a rename, a symbolic link's target, appends all or nothing, names up to
 * NAME_MAX), SIGTERM and SIGHUP end a read like Ctrl-C, and bytes reach a pipe without waiting
 * for a batch to fill.
 */
import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SeededBytes } from "../cli/emulators/seeded_bytes.ts";
import { STARTUP_SAMPLES } from "../wasm/health.ts";
import { repetitionParameters } from "../wasm/repetition.ts";
import { binaryBuilt, runCli, type Runner, RUNNERS, withFileSizeLimit } from "./_support/cli.ts";
import { startEmulator } from "./_support/qcicada_emulator.ts";
import { startEmulateChild } from "./_support/uri_child.ts";

const dir = mkdtempSync(join(tmpdir(), "qrng-output-"));
/** A folder in /dev/shm (a tmpfs under /dev) where there is one. */
const shm = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/qrng-output-") : undefined;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (shm) rmSync(shm, { recursive: true, force: true });
});

/** What `qrng read N --device sim:qcicada?seed=SEED` writes: the stream after the gate's start-up bytes. */
const seededOutput = (seed: number, bytes: number) =>
  Buffer.from(new SeededBytes(seed).take(STARTUP_SAMPLES + bytes)).subarray(STARTUP_SAMPLES);

/** Temporary files left in `folder`. */
const partials = (folder: string) => readdirSync(folder).filter((name) => name.includes("qrng-partial"));

/** A 1 MiB batch at the emulated QCicada's 100 kB/s takes 10.5 s, at the XR232USB's 23 kB/s 46 s. */
const FIRST_BYTES_WITHIN_MS = 5000;

/**
 * Starts `qrng read ...args` with stdout to a pipe; resolves how long after `from` (spawn, or
 * the emulator warning on stderr) its first output byte came (calling `atFirstByte` then), and
 * interrupts it.
 */
function firstByteAfter(
  runner: Runner,
  args: string[],
  from: "spawn" | "warning",
  atFirstByte: () => void = () => {},
): Promise<number> {
  const child = spawn(runner.command, [...runner.prefix, "read", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let start = performance.now();
  let err = "";
  child.stderr.on("data", (chunk: Buffer) => {
    const warned = err.includes("WARNING");
    err += chunk;
    if (from === "warning" && !warned && err.includes("WARNING")) start = performance.now();
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no output within 30 s: ${err}`));
    }, 30_000);
    child.stdout.once("data", async () => {
      const ms = performance.now() - start;
      atFirstByte();
      clearTimeout(deadline);
      child.kill("SIGINT");
      await exited;
      resolve(ms);
    });
  });
}

/**
 * Runs `qrng read ...args`, sends `signal` once the read is under way (the emulator warning on
 * stderr) or, with `afterMs`, that long after the start; resolves status and stderr.
 */
async function interruptedRead(runner: Runner, args: string[], signal: NodeJS.Signals, afterMs?: number) {
  const child = spawn(runner.command, [...runner.prefix, "read", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (afterMs !== undefined) setTimeout(() => child.kill(signal), afterMs);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    const warned = stderr.includes("WARNING");
    stderr += chunk;
    if (afterMs === undefined && !warned && stderr.includes("WARNING")) {
      setTimeout(() => child.kill(signal), 300);
    }
  });
  const stuck = setTimeout(() => child.kill("SIGKILL"), 30_000); // a test that fails leaves nothing running
  const status = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  clearTimeout(stuck);
  return { status, stderr };
}

describe.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "qrng read -o under $name",
  (runner) => {
    it("streams to a FIFO's reader and leaves the FIFO in place", async () => {
      const fifo = join(dir, `fifo-${runner.name}`);
      execFileSync("mkfifo", [fifo]);
      const reader = spawn("cat", [fifo], { stdio: ["ignore", "pipe", "ignore"] });
      const received: Buffer[] = [];
      reader.stdout.on("data", (chunk: Buffer) => received.push(chunk));
      const readerDone = new Promise((resolve) => reader.on("close", resolve));
      const r = await runCli(runner, ["read", "100K", "--device", "sim:qcicada?seed=5", "-o", fifo]);
      // A FIFO replaced by a file never gets a writer: its reader would wait forever.
      await Promise.race([readerDone, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      reader.kill();
      expect(r.stderr).not.toMatch(/qrng: /);
      expect(r.status).toBe(0);
      expect(Buffer.concat(received).equals(seededOutput(5, 102400))).toBe(true);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
      expect(partials(dir)).toEqual([]);
    });

    it("ends the wait for a FIFO's reader on SIGTERM", async () => {
      const fifo = join(dir, `lonely-fifo-${runner.name}`);
      execFileSync("mkfifo", [fifo]);
      const r = await interruptedRead(runner, ["1K", "--device", "sim:qcicada", "-o", fifo], "SIGTERM", 1500);
      expect(r.stderr).toMatch(/interrupted by SIGTERM after 0 bytes/);
      expect(r.status).toBe(128 + 15);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
    });

    it("says how many bytes went out to a FIFO when interrupted, rather than that it was left unchanged", async () => {
      const slow = await startEmulator(["--tcp", "127.0.0.1:0", "--rate", "200K", "--startup-ms", "0"]);
      const fifo = join(dir, `interrupted-fifo-${runner.name}`);
      execFileSync("mkfifo", [fifo]);
      const reader = spawn("cat", [fifo], { stdio: ["ignore", "pipe", "ignore"] });
      try {
        let received = 0;
        reader.stdout.on("data", (chunk: Buffer) => received += chunk.length);
        const readerDone = new Promise((resolve) => reader.on("close", resolve));
        const r = await interruptedRead(runner, ["1G", "--device", slow.uri, "-o", fifo], "SIGINT");
        await Promise.race([readerDone, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        const said = r.stderr.match(/interrupted after (\d+) bytes; those went out to (.*)\n/);
        expect(said, r.stderr).not.toBeNull();
        expect(Number(said![1])).toBe(received);
        expect(said![2]).toBe(fifo);
        expect(r.status).toBe(130);
        expect(lstatSync(fifo).isFIFO()).toBe(true);
      } finally {
        reader.kill();
        await slow.stop();
      }
    });

    it("leaves a regular file under /dev as it was when the read fails, and replaces it when it succeeds", async () => {
      const files = [`/dev/..${dir}/via-dev-${runner.name}.bin`]; // not normalised: it passes through /dev
      if (shm) files.push(join(shm, `shm-${runner.name}.bin`));
      for (const file of files) {
        writeFileSync(file, "the previous read");
        const bad = await runCli(runner, ["read", "1M", "--device", "sim:qcicada?stuck=100000", "-o", file]);
        expect(bad.status).toBe(1);
        expect(readFileSync(file, "utf8")).toBe("the previous read");
        const good = await runCli(runner, ["read", "2K", "--device", "sim:qcicada?seed=3", "-o", file]);
        expect(good.status).toBe(0);
        expect(readFileSync(file).equals(seededOutput(3, 2048))).toBe(true);
      }
      expect(partials(dir)).toEqual([]);
      if (shm) expect(partials(shm)).toEqual([]);
    });

    it("replaces a symbolic link's target, keeping the link and the target's permissions, and leaves the target as it was on failure", async () => {
      const targets = mkdtempSync(join(dir, "targets-"));
      const target = join(targets, `target-${runner.name}.bin`);
      const link = join(dir, `link-${runner.name}.bin`);
      writeFileSync(target, "the previous read");
      symlinkSync(target, link);
      const bad = await runCli(runner, ["read", "1M", "--device", "sim:qcicada?stuck=100000", "-o", link]);
      expect(bad.status).toBe(1);
      expect(readFileSync(target, "utf8")).toBe("the previous read");
      chmodSync(target, 0o600); // random bytes are often keys: the replacement stays private
      const good = await runCli(runner, ["read", "2K", "--device", "sim:qcicada?seed=4", "-o", link]);
      expect(good.status).toBe(0);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(target);
      expect(readFileSync(target).equals(seededOutput(4, 2048))).toBe(true);
      expect(statSync(target).mode & 0o777).toBe(0o600);
      // A link to no file yet (relative, as ln -s makes them) creates its target.
      const dangling = join(dir, `dangling-${runner.name}.bin`);
      symlinkSync(join(targets.slice(dir.length + 1), "new.bin"), dangling);
      expect((await runCli(runner, ["read", "1K", "--device", "sim:qcicada", "-o", dangling])).status).toBe(
        0,
      );
      expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
      expect(statSync(join(targets, "new.bin")).size).toBe(1024);
      expect([...partials(dir), ...partials(targets)]).toEqual([]);
    });

    it("writes to /dev/stdout where the shell opened it, appending after >>", () => {
      const file = join(dir, `stdout-${runner.name}.bin`);
      writeFileSync(file, "head");
      const command = [
        runner.command,
        ...runner.prefix,
        "read",
        "16",
        "--device",
        "sim:qcicada",
        "-o",
        "/dev/stdout",
      ]
        .map((a) => `'${a}'`).join(" ");
      execFileSync("sh", ["-c", `${command} >> '${file}' 2>/dev/null`]);
      expect(readFileSync(file).length).toBe(4 + 16);
      expect(readFileSync(file).subarray(0, 4).toString()).toBe("head");
    });

    // Under a file size limit the write fails part-way (EFBIG); Deno dies of SIGXFSZ instead.
    it.skipIf(runner.name === "deno")("appends all or nothing when the file cannot grow enough", async () => {
      const file = join(dir, `append-full-${runner.name}.bin`);
      const before = Buffer.alloc(30 << 10, 7); // 30 KiB under a 32 KiB limit: 16 KiB more do not fit
      writeFileSync(file, before);
      const r = await runCli(withFileSizeLimit(runner, 64), [
        "read",
        "16K",
        "--device",
        "sim:qcicada",
        "-o",
        file,
        "--append",
      ]);
      expect(r.stderr).toMatch(new RegExp(`\nqrng: Cannot write ${file}: file too large\n$`));
      expect(r.status).toBe(1);
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(partials(dir)).toEqual([]);
    });

    it("takes a file name of 255 bytes (NAME_MAX), ASCII or not", async () => {
      for (const name of ["n".repeat(255), "é".repeat(127) + "n"]) {
        const file = join(dir, name);
        const r = await runCli(runner, ["read", "1K", "--device", "sim:qcicada", "-o", file]);
        expect(r.stderr).not.toMatch(/qrng: /);
        expect(r.status).toBe(0);
        expect(statSync(file).size).toBe(1024);
        rmSync(file);
      }
      expect(partials(dir)).toEqual([]);
    });

    it("ends on SIGTERM and SIGHUP as on Ctrl-C: device stopped, no temporary file, an append undone", async () => {
      const slow = await startEmulator(["--tcp", "127.0.0.1:0", "--rate", "200K", "--startup-ms", "0"]);
      try {
        const file = join(dir, `terminated-${runner.name}.bin`);
        const term = await interruptedRead(runner, ["1G", "--device", slow.uri, "-o", file], "SIGTERM");
        expect(term.stderr).toMatch(/interrupted by SIGTERM after \d+ bytes/);
        expect(term.status).toBe(128 + 15);
        expect(existsSync(file)).toBe(false);
        expect((await runCli(runner, ["status", "--device", slow.uri])).stderr).not.toMatch(/was streaming/);

        writeFileSync(file, "head");
        const hup = await interruptedRead(
          runner,
          ["1G", "--device", slow.uri, "-o", file, "--append"],
          "SIGHUP",
        );
        expect(hup.stderr).toMatch(/interrupted by SIGHUP after \d+ bytes/);
        expect(hup.status).toBe(128 + 1);
        expect(readFileSync(file, "utf8")).toBe("head");
        expect((await runCli(runner, ["status", "--device", slow.uri])).stderr).not.toMatch(/was streaming/);
        expect(partials(dir)).toEqual([]);
      } finally {
        await slow.stop();
      }
    });
  },
);

describe.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "qrng read | head under $name",
  (runner) => {
    it("sends a QCicada's first bytes at 100 kB/s long before a 1 MiB batch could fill", async () => {
      const device = await startEmulator(["--tcp", "127.0.0.1:0", "--startup-ms", "0"]); // 100 kB/s
      try {
        expect(await firstByteAfter(runner, ["1G", "--device", device.uri], "warning")).toBeLessThan(
          FIRST_BYTES_WITHIN_MS,
        );
      } finally {
        await device.stop();
      }
    });

    it("sends an XR232USB's first bytes at 23 kB/s long before a 1 MiB batch could fill", async () => {
      const device = await startEmulateChild(runner, ["xr232usb", "--serial"]);
      try {
        // From the start: the emulated XR232USB's cold start is short.
        expect(await firstByteAfter(runner, ["1G", "--device", device.uri], "spawn")).toBeLessThan(
          4 * FIRST_BYTES_WITHIN_MS,
        );
      } finally {
        await device.stop();
      }
    });

    it("passes an XR232's bytes on as they come, not in 4 KiB chunks", async () => {
      const REPETITION_HELD_BACK = repetitionParameters(8).stretchBytes - 1;
      const record = join(dir, `record-${runner.name}.bin`);
      const device = await startEmulateChild(runner, ["xr232usb", "--serial", "--record", record]);
      try {
        let sent = 0;
        await firstByteAfter(
          runner,
          ["1G", "--device", `${device.uri}?baud=9600`],
          "spawn",
          () => (sent = statSync(record).size),
        );
        // 1024 start-up bytes, then passed windows beyond the bytes the repetition check holds
        // back (2077 at H = 8), plus 64 requests in flight and over a second's slack at 960
        // bytes/s (a 4 KiB chunk took 4.3 s to fill).
        expect(sent).toBeGreaterThan(STARTUP_SAMPLES + REPETITION_HELD_BACK);
        expect(sent).toBeLessThan(3500 + REPETITION_HELD_BACK);
      } finally {
        await device.stop();
      }
    });
  },
);
