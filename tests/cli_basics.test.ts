import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VERSION } from "../cli/version.ts";
import { XR232_DEFAULTS } from "../wasm/xr232.ts";
import { binaryBuilt, ROOT, runCli, RUNNERS } from "./_support/cli.ts";

it("every lazily loaded command answers to the name it is listed under", async () => {
  const { COMMANDS } = await import("../cli/commands/mod.ts");
  for (const entry of COMMANDS) expect((await entry.load()).name).toBe(entry.name);
});

it("VERSION matches package.json", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  expect(VERSION).toBe(pkg.version);
});

/**
 * Bad input and the whole of stderr it must get: one line naming the problem, exit status 2,
 * nothing on stdout.
 */
const USAGE_ERRORS: ReadonlyArray<readonly [args: string[], stderr: string]> = [
  [
    ["read", "16", "--device", "sim:qcicada?bogus=1"],
    "qrng: unknown parameter 'bogus' in device 'sim:qcicada?bogus=1' (known: seed, rate, startup, stuck, tamper)",
  ],
  [
    ["read", "16", "--device", "tcp://127.0.0.1:9?udp=1"],
    "qrng: unknown parameter 'udp' in device 'tcp://127.0.0.1:9?udp=1' (it takes no parameters)",
  ],
  [
    ["read", "16", "--device", "xr232:/dev/null?baud=9600&cts=5"],
    "qrng: unknown parameter 'cts' in device 'xr232:/dev/null?baud=9600&cts=5' (known: baud, cts-timeout, reopens)",
  ],
  [
    ["read", "16", "--device", "tcp://[::1"],
    "qrng: invalid address '[::1' in device 'tcp://[::1' (IPv6: [addr]:port)",
  ],
  [
    ["read", "16", "--device", "sim:xr232usb?disturb=2s"],
    "qrng: device 'sim:xr232usb?disturb=2s': bad disturbance '2s' (use START:DURATION, e.g. 2.0s:40ms)",
  ],
  [
    ["read", "16", "--device", "sim:qcicada?stuck=-5"],
    "qrng: invalid stuck '-5' (a whole number, 0 or more)",
  ],
  [["pyqcc", "-i", "tcp", "-s"], "qrng pyqcc: -i tcp needs -d HOST[:PORT]"],
  [["pyqcc", "-i", "tcpudp", "-s"], "qrng pyqcc: -i tcpudp needs -d HOST[:PORT]"],
  // Checked before connecting: -n 256 went out as instance 0, --read-block-size 0 never ended.
  [
    ["pyqcc", "-i", "tcp", "-d", "127.0.0.1:9", "-n", "256"],
    "qrng pyqcc: -n wants a whole number 0..255 (not '256')",
  ],
  [
    ["pyqcc", "-i", "tcp", "-d", "127.0.0.1:9", "--start", "-r", "16", "--read-block-size", "0"],
    "qrng pyqcc: --read-block-size wants a whole number >= 1 (not '0')",
  ],
  [
    ["model", "xr232usb", "--seconds", "-1"],
    "qrng model: --seconds '-1': a value starting with '-' looks like an option (write --seconds=-1 if it is the value)",
  ],
  [
    ["model", "xr232usb", "--set", "poll=2e6"],
    `qrng model: bad parameter 'poll=2e6' (known: ${Object.keys(XR232_DEFAULTS).join(", ")})`,
  ],
  [
    ["read", "16", "--device", "sim:xr232usb?pollHz=x"],
    `qrng: device 'sim:xr232usb?pollHz=x': bad parameter 'pollHz=x' (known: ${
      Object.keys(XR232_DEFAULTS).join(", ")
    })`,
  ],
  [
    ["emulate", "qcicada", "--tcp", "127.0.0.1:99999"],
    "qrng: invalid port '99999' in listen address '127.0.0.1:99999'",
  ],
  [["read", "16", "-o"], "qrng read: --output needs a value"],
  [["read", "16", "--device", "sim:qcicada", "--format", "octal"], "qrng read: unknown format 'octal'"],
  [["help", "frobnicate"], "qrng: unknown command 'frobnicate' (see qrng --help)"],
  // Empty values mean nothing anywhere: -o '' used to read the device, then fail to write ''.
  [["read", "16", "--device", "sim:qcicada", "-o", ""], "qrng read: --output is empty"],
  [["view", "--show", "", "tests/fixtures/data.sha1"], "qrng view: --show is empty"],
  [["test", ""], "qrng test: an argument is empty"],
  [["assess"], "qrng assess: name a FILE to assess (or - for stdin), or a --device"],
  [["assess", "x.bin", "--bits", "9"], "qrng assess: --bits wants 1..8 (not '9')"],
  [["assess", "x.bin", "--iid", "--non-iid"], "qrng assess: choose one of --iid and --non-iid"],
  [
    ["assess", "--restart", "r.bin", "--h", "9", "--bits", "8"],
    "qrng assess: --h wants the initial estimate H_I in bits per sample, above 0 and at most 8 (not '9')",
  ],
  [
    ["cert", "--ca", "zz"],
    "qrng cert: --ca takes 128 hex digits, a PEM key or a key file; 'zz' is none of them " +
    "(Cannot open zz: no such file or directory)",
  ],
  [
    ["cert", "--ca", "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----", "--device", "sim:qcicada"],
    "qrng cert: --ca '-----BEGIN PUBLIC KEY-----...': a value starting with '-' looks like an option " +
    "(write --ca=VALUE if it is the value)",
  ],
  [
    ["cert", "--ca=-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----", "--device", "sim:qcicada"],
    "qrng cert: the PEM CA key is not valid base64",
  ],
];

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(`qrng under ${runner.name}`, () => {
    it("lists its commands in --help", async () => {
      const result = await runCli(runner, ["--help"]);
      expect(result.status).toBe(0);
      expect(result.stdout.toString()).toContain("Usage: qrng <command>");
    });

    it("rejects an unknown command with one line and status 2", async () => {
      const result = await runCli(runner, ["frobnicate"]);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe("qrng: unknown command 'frobnicate' (see qrng --help)\n");
    });

    it.each(USAGE_ERRORS)("answers %j with one line and status 2", async (args, stderr) => {
      const result = await runCli(runner, args, { timeoutMs: 20_000 });
      expect(result.stderr).toBe(`${stderr}\n`);
      expect(result.status).toBe(2);
      expect(result.stdout.length).toBe(0);
    });
  });
}

it("runs unbuilt through `deno task qrng`, as the README says", async () => {
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(join(ROOT, "node_modules", ".bin", "deno"), [
    "task",
    "--quiet",
    "qrng",
    "--version",
  ], {
    cwd: ROOT,
    encoding: "utf8",
  });
  expect(out.split("\n")[0]).toBe(`qrng ${VERSION}`);
});
