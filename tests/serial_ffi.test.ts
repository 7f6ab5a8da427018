/**
 * The FFI serial port and pseudo-terminal, for real: tests/_support/serial_check.ts runs under
 * Deno, under Bun and compiled by Bun (Node has no FFI), opens a pty, opens its slave as a serial port and
 * reports what it observed; these tests hold the expectations.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPILE_FLAGS } from "../scripts/build_binary.ts";
import { ROOT } from "./_support/cli.ts";

const BIN = join(ROOT, "node_modules", ".bin");
const SCRIPT = join(ROOT, "tests", "_support", "serial_check.ts");
/** The check compiled with dist/qrng's flags, so bun:ffi is checked there too. */
const COMPILED = join(mkdtempSync(join(tmpdir(), "qrng-serial-")), "serial_check");
const RUNTIMES = [
  { name: "deno", command: join(BIN, "deno"), args: ["run", "--allow-all", "--quiet", SCRIPT] },
  { name: "bun", command: join(BIN, "bun"), args: [SCRIPT] },
  { name: "a bun-compiled binary", command: COMPILED, args: [] },
];

beforeAll(() => {
  const build = spawnSync(join(BIN, "bun"), ["build", ...COMPILE_FLAGS, SCRIPT, "--outfile", COMPILED], {
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`bun build --compile failed: ${build.stderr}`);
});
afterAll(() => rmSync(dirname(COMPILED), { recursive: true, force: true }));

for (const runtime of RUNTIMES) {
  describe.runIf(process.platform === "linux")(`serial port and pty under ${runtime.name}`, () => {
    // deno-lint-ignore no-explicit-any
    let seen: any;
    beforeAll(() => {
      const result = spawnSync(runtime.command, runtime.args, { encoding: "utf8", timeout: 50_000 });
      if (result.status !== 0) throw new Error(`serial_check failed: ${result.stderr}`);
      seen = JSON.parse(result.stdout);
    });

    it("the master sees exactly the baud rate and flow control the host set on the slave", () => {
      for (const { baud, flowControl, seen: line } of seen.speeds) {
        expect(line).toEqual({ baud, flowControl, dataBits: 8, parity: false, stopBits: 1, raw: true });
      }
      expect(seen.speeds.map((s: { baud: number }) => s.baud)).toEqual([230400, 1200, 1000000, 250000]);
      expect(seen.afterSetBaud).toEqual({ port: 57600, seen: 57600 });
      expect(seen.speeds[0].description).toBe(`serial:${seen.slavePath} at 230400 baud with RTS/CTS`);
    });

    it("the port is exclusive: other programs cannot open it meanwhile (root excepted)", () => {
      if (seen.root) {
        expect(seen.secondOpen).toEqual({ threw: false });
      } else {
        expect(seen.secondOpen).toMatchObject({ threw: true, kind: "input" });
        expect(seen.secondOpen.message).toBe(
          `Cannot open serial port ${seen.slavePath}: Device or resource busy (another program has it open)`,
        );
        expect(seen.speeds[0].sttyError).toMatch(/Device or resource busy/);
      }
    });

    it.runIf(process.getuid?.() === 0)(
      "stty, reading the slave on its own, agrees: raw 8N1 at the standard rates asked",
      () => {
        for (const { baud, flowControl, stty } of seen.speeds.slice(0, 3)) {
          expect(stty).toContain(`speed ${baud} baud;`);
          const words = stty.split(/[\s;]+/);
          for (
            const flag of [
              "cs8",
              "-parenb",
              "-cstopb",
              "cread",
              "-icanon",
              "-echo",
              "-isig",
              "-opost",
              "-ixon",
              "-icrnl",
            ]
          ) {
            expect(words).toContain(flag);
          }
          expect(words).toContain(flowControl === "rtscts" ? "crtscts" : "-crtscts");
          expect(words).toContain(flowControl === "rtscts" ? "-clocal" : "clocal");
          expect(stty).toContain("min = 0; time = 0;");
        }
      },
    );

    it("a pty has no modem lines, so CTS is unknown", () => {
      expect(seen.cts).toBe("undefined");
    });

    it("bytes round-trip both ways, a 1 MiB transfer byte for byte", () => {
      expect(seen.hostToMaster).toBe("hello master");
      expect(seen.masterToHost).toBe("hello host");
      expect(seen.mibToHost).toEqual({ length: 1 << 20, equal: true });
      expect(seen.mibToMaster).toEqual({ length: 1 << 20, equal: true });
    });

    it("reads with nothing to read resolve 0 after the timeout", () => {
      expect(seen.hostTimeoutRead).toBe(0);
      expect(seen.masterTimeoutRead).toBe(0);
    });

    it("discardInput drops stale bytes on either end and keeps later ones", () => {
      expect(seen.afterDiscard).toBe("fresh");
      expect(seen.masterAfterDiscard).toBe("new");
    });

    it("closing resolves a pending read with 0, rejects a stuck write, and closing twice is harmless", () => {
      expect(seen.pendingReadAfterClose).toBe(0);
      expect(seen.stuckWriteAfterClose).toMatchObject({ threw: true, kind: "disconnected" });
      expect(seen.stuckWriteAfterClose.message).toBe(
        `Cannot write to serial port ${seen.slavePath}: it was closed`,
      );
      expect(seen.readAfterClose).toBe(0);
    });

    it("the master notices the host opening, closing and reopening the slave", () => {
      expect(seen.openBeforeHost).toBe(false);
      expect(seen.openWithHost).toBe(true);
      expect(seen.openAfterHostClosed).toBe(false);
      expect(seen.reopened.open).toBe(true);
      expect(seen.reopened.opens).toBe(seen.opensBefore + 1);
      expect(seen.reopened.seen).toMatchObject({ baud: 115200, flowControl: "rtscts" });
      expect(seen.readAfterReopen).toBe(0); // what the emulator sent while closed is lost
      expect(seen.roundTripAfterReopen).toBe("again");
    });

    it("SerialPort.reopen is seen by an emulator reading meanwhile as one more open", () => {
      expect(seen.afterPortReopen).toEqual({ open: true, opens: seen.reopened.opens + 1 });
      expect(seen.watchingRead).toBe(0);
      expect(seen.roundTripAfterPortReopen).toBe("after reset");
    });

    it("opening a missing path or a non-terminal fails with one-line QrngErrors", () => {
      expect(seen.missingPath).toEqual({
        threw: true,
        isQrngError: true,
        kind: "input",
        message: "Cannot open serial port /dev/qrng-no-such-port: No such file or directory",
      });
      expect(seen.notATty).toEqual({
        threw: true,
        isQrngError: true,
        kind: "input",
        message: "Cannot use /dev/null as a serial port: it is not a terminal device",
      });
      expect(seen.badBaud).toMatchObject({
        threw: true,
        isQrngError: false,
        message: "invalid baud rate -5",
      });
    });

    it("the host gets 'disconnected' once the master is gone", () => {
      expect(seen.readAfterMasterClosed).toMatchObject({ threw: true, kind: "disconnected" });
      expect(seen.writeAfterMasterClosed).toMatchObject({ threw: true, kind: "disconnected" });
      expect(seen.readAfterMasterClosed.message).not.toContain("\n");
    });
  });
}

it("under Node, which has no FFI, loading the C library is a one-line 'unsupported' error", async () => {
  const { loadLibc } = await import("../cli/runtime/load_libc.ts");
  await expect(loadLibc("node")).rejects.toMatchObject({ kind: "unsupported" });
  await expect(loadLibc("node")).rejects.toThrow(
    /^Cannot open serial ports under Node: run qrng with Deno or Bun/,
  );
});
