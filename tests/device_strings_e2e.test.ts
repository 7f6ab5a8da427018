/**
 * Strings a device chooses, through the real CLI (Deno, Bun, the binary) against emulators
 * given odd identities: escape sequences and newlines in serial and hw_info never reach the
 * terminal raw (JSON keeps them exact), and info that cannot be certified is named clearly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";
import { type RunningEmulator, startEmulator } from "./_support/qcicada_emulator.ts";

/** Sets the terminal title, forges a line, colours the rest. */
const EVIL_SERIAL = "EMU\x1b]0;pwn\x07QC7\nqrng: ok";
const EVIL_HW = "\x1b[31mCICADA-QRNG";
/** Any raw control character but the newlines that end lines. */
// deno-lint-ignore no-control-regex -- raw control characters are what it must not find
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

describe.each(RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt))(
  "device strings under $name",
  (runner) => {
    let evil: RunningEmulator;
    let large: RunningEmulator;
    beforeAll(async () => {
      const common = ["--tcp", "127.0.0.1:0", "--rate", "max", "--startup-ms", "0"];
      [evil, large] = await Promise.all([
        startEmulator([
          ...common,
          "--serial-number",
          EVIL_SERIAL,
          "--hw-info",
          EVIL_HW,
          "--stuck-after",
          "0",
        ]),
        startEmulator([...common, "--serial-number", "EMUQC4294967513"]),
      ]);
    });
    afterAll(async () => {
      await Promise.all([evil?.stop(), large?.stop()]);
    });

    it("info escapes control characters in human output and keeps them exact in JSON", async () => {
      const human = await runCli(runner, ["info", "--device", evil.uri]);
      expect(human.status).toBe(0);
      const text = human.stdout.toString();
      expect(text).not.toMatch(RAW_CONTROL);
      expect(text).toContain("serial: EMU\\x1b]0;pwn\\x07QC7\\nqrng: ok\nhw_info: \\x1b[31mCICADA-QRNG\n");
      const json = await runCli(runner, ["info", "--json", "--device", evil.uri]);
      expect(JSON.parse(json.stdout.toString())).toMatchObject({ serial: EVIL_SERIAL, hwInfo: EVIL_HW });
    });

    it("pyqcc's info block and error messages on stderr naming the device escape them too", async () => {
      const pyqcc = await runCli(runner, [
        "pyqcc",
        "-i",
        "tcp",
        "-d",
        evil.uri.replace("tcp://", ""),
        "--info",
      ]);
      expect(pyqcc.stdout.toString()).toContain(" serial: EMU\\x1b]0;pwn\\x07QC7\\nqrng: ok\n");
      expect(pyqcc.stdout.toString()).not.toMatch(RAW_CONTROL);
      // The emulator raises the RCT flag at once; the error names the device by its serial.
      const read = await runCli(runner, ["read", "1K", "--device", evil.uri]);
      expect(read.status).toBe(1);
      expect(read.stderr).toContain("EMU\\x1b]0;pwn\\x07QC7\\nqrng: ok (\\x1b[31mCICADA-QRNG)");
      expect(read.stderr).not.toMatch(RAW_CONTROL);
      expect(read.stderr.trimEnd().split("\n").every((line) => line.startsWith("qrng"))).toBe(true);
    });

    it("cert names info it cannot certify in one clear line, never an internal error", async () => {
      const ca = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" +
        "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
      const malformed = await runCli(runner, ["cert", "--ca", ca, "--device", evil.uri]);
      expect(malformed.status).toBe(1);
      expect(malformed.stderr).toBe(
        `qrng: Cannot check the certificate of ${evil.uri}: hw_info '\\x1b[31mCICADA-QRNG' holds no CICADA-QRNG-<major>.<minor>\n`,
      );
      const above = await runCli(runner, ["cert", "--ca", large.ca, "--device", large.uri]);
      expect(above.status).toBe(1);
      expect(above.stdout.toString()).not.toContain("valid: yes");
      expect(above.stderr).toBe(
        `qrng: Cannot check the certificate of ${large.uri}: serial number 4294967513 is above 4294967295: ` +
          "the certificate holds a 32-bit serial, so no certificate can name this device\n",
      );
    });
  },
);
