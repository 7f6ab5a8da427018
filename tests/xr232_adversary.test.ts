/**
 * `qrng read` and `qrng ident` against a misbehaving XR232 on a real pty
 * (tests/_support/adversary/xr232_*.ts): more or fewer bytes than requested, garbage bursts,
 * stalls, a device that falls silent for good, stuck, periodic and counting data, 0x12 for
 * every 'U', the identification string at the reading rate. Every case compares the output with
 * what the device recorded sending: only bytes it sent, in order, none twice, nothing past the
 * window where a failure was found; exit status as documented; `-o` never left behind on a
 * failure. Cases rotate over Deno, Bun and the binary.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STARTUP_SAMPLES } from "../wasm/health.ts";
import { FaultyXr232, parseXr232Faults } from "./_support/adversary/xr232_device.ts";
import {
  startFaultyXr232,
  traceOutput,
  WINDOW_BYTES,
  type Xr232AdversaryOptions,
} from "./_support/adversary/xr232_launch.ts";
import { binaryBuilt, type CliResult, type Runner, RUNNERS, spawnCli } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";

const dir = testTempDir("qrng-xr232-adversary");

const RUNNABLE = RUNNERS.filter((r) => r.name !== "binary" || binaryBuilt);
/** Bytes each read asks for; faults start at byte 3000 the device sends (after the start-up 1024). */
const READ_BYTES = 6000;
const FAULT_AT = 3000;
/** Fixes of other issue 8 items some cases rely on (they fail without them). */
const REPETITION_CHECK = "relies on the host-side repetition check (issue 8 §2.4)";
const CTRL_C_AT_WAITS = "relies on exit 130 for Ctrl-C during a source wait (issue 8 §2.8)";

/** A run the repetition count test cuts off at the default cutoff (6): never output. */
const ZERO_RUN = Buffer.alloc(6);
/** A generous host's stall notice comes after 200 ms; runs that wait are interrupted then. */
const WAITING = /xr232: no data for \d+ ms .*; waiting \(--cts-timeout wait\)/;

/** One fault case against `qrng read`. */
interface ReadCase {
  name: string;
  faults: string;
  /** Query parameters added to the device URI. */
  query?: string;
  output: "stdout" | "file";
  /** Exit status: 0 complete, 1 failed closed, 130 interrupted once `interruptWhen` showed. */
  status: 0 | 1 | 130;
  interruptWhen?: RegExp;
  /** Sent position past which nothing may be output (plus one health window). */
  faultAt?: number;
  /** Bytes that must not occur in the output (what failing windows held). */
  never?: Buffer;
  /** The output is exactly what the device sent after the start-up samples. */
  exact?: boolean;
  stderr?: RegExp;
  /** Another issue 8 fix this case relies on (named in its title). */
  needs?: string;
}

const CASES: ReadCase[] = [
  // Surplus bytes: with requests kept in flight, a byte nobody asked for looks like the answer to
  // the next request, so the host passes the device's bytes on as they came (README Guarantees 1
  // names surplus bytes for Cmd&Ctrl, where a count exposes them; here only the invariant holds).
  { name: "a byte nobody asked for after every 97th", faults: "extra:97", output: "stdout", status: 0 },
  {
    name: "a burst of 300 unrequested random bytes",
    faults: `burst:${FAULT_AT}:300`,
    output: "file",
    status: 0,
  },
  // Failing windows are dropped and the read goes on until the failures are more than ideal data
  // explains; the verdict on the last ones must come before the read counts as done.
  {
    name: "a burst of 600 zero bytes",
    faults: `burst:${FAULT_AT}:600:0`,
    output: "file",
    status: 1,
    never: ZERO_RUN,
  },
  {
    name: "a burst of 600 zero bytes",
    faults: `burst:${FAULT_AT}:600:0`,
    output: "stdout",
    status: 1,
    never: ZERO_RUN,
  },
  {
    name: "every 5th request swallowed, strict policy (reopens)",
    faults: "fewer:5",
    query: "cts-timeout=50",
    output: "file",
    status: 0,
  },
  {
    name: "every 5th request swallowed, generous policy (waits until Ctrl-C)",
    faults: "fewer:5",
    output: "stdout",
    status: 130,
    interruptWhen: WAITING,
    needs: CTRL_C_AT_WAITS,
  },
  {
    name: "a 150 ms stall, generous policy",
    faults: `stall:${FAULT_AT}:150`,
    output: "stdout",
    status: 0,
    exact: true,
  },
  {
    name: "a 1.5 s stall, generous policy",
    faults: `stall:${FAULT_AT}:1500`,
    output: "file",
    status: 0,
    exact: true,
    stderr: /xr232: data resumed after \d+ ms/,
  },
  {
    name: "a 40 ms stall, strict policy with a 1 s timeout (no reopen)",
    faults: `stall:${FAULT_AT}:40`,
    query: "cts-timeout=1000",
    output: "file",
    status: 0,
    exact: true,
  },
  {
    name: "a 1.5 s stall, strict policy",
    faults: `stall:${FAULT_AT}:1500`,
    query: "cts-timeout=50",
    output: "stdout",
    status: 0,
    stderr: /closing, waiting, reopening \(1 of 5\)/,
  },
  {
    name: "silence for good, strict policy with one reopen",
    faults: `withhold:${FAULT_AT}`,
    query: "cts-timeout=50&reopens=1",
    output: "file",
    status: 1,
    faultAt: FAULT_AT,
    stderr: /no data for \d+ ms after 1 reopens/,
  },
  {
    name: "silence for good, generous policy (waits until Ctrl-C)",
    faults: `withhold:${FAULT_AT}`,
    output: "stdout",
    status: 130,
    interruptWhen: WAITING,
    faultAt: FAULT_AT,
    needs: CTRL_C_AT_WAITS,
  },
  { name: "stuck at 0xAA", faults: `stuck:${FAULT_AT}:170`, output: "file", status: 1, faultAt: FAULT_AT },
  { name: "stuck at 0xAA", faults: `stuck:${FAULT_AT}:170`, output: "stdout", status: 1, faultAt: FAULT_AT },
  { name: "0x12 answered to every 'U'", faults: "stuck:0:18", output: "stdout", status: 1, faultAt: 0 },
  {
    name: "a period of 16 bytes",
    faults: `periodic:${FAULT_AT}:16`,
    output: "stdout",
    status: 1,
    faultAt: FAULT_AT,
  },
  {
    name: "a period of 100 bytes",
    faults: `periodic:${FAULT_AT}:100`,
    output: "file",
    status: 1,
    faultAt: FAULT_AT,
    needs: REPETITION_CHECK,
  },
  {
    name: "a 0..255 counter",
    faults: `counter:${FAULT_AT}`,
    output: "stdout",
    status: 1,
    faultAt: FAULT_AT,
    needs: REPETITION_CHECK,
  },
  {
    name: "its identification string at 230400 baud",
    faults: "ident-any-baud",
    output: "file",
    status: 1,
    faultAt: 0,
  },
];

/** Everything a FaultyXr232 answers to `requests` 'U's after one open, CTS stalls waited out in 10 ms steps. */
function answers(faults: string, requests: number): Buffer {
  const device = new FaultyXr232("xr232usb", parseXr232Faults(faults), { seed: 5n });
  device.open(230_400);
  device.receive(new Uint8Array(requests).fill(0x55));
  const out: Buffer[] = [];
  for (let turns = 0; device.pending > 0 && turns < 10_000; turns++) {
    if (device.cts) out.push(Buffer.from(device.answer(4096)));
    else device.wait(0.01);
  }
  return Buffer.concat(out);
}

describe("the misbehaving XR232 itself", () => {
  it("answers as scripted: surplus, swallowed, burst, stuck, counting and periodic bytes", () => {
    const clean = answers("", 2000);
    expect(clean.length).toBe(2000);
    expect(answers("extra:10", 2000).length).toBe(2200);
    expect(answers("fewer:4", 2000).length).toBe(1500);
    expect(answers("burst:100:50:7", 2000).subarray(100, 150)).toEqual(Buffer.alloc(50, 7));
    expect(answers("stuck:1000:170", 2000).subarray(0, 1000)).toEqual(clean.subarray(0, 1000));
    expect(new Set(answers("stuck:1000:170", 2000).subarray(1000))).toEqual(new Set([170]));
    expect([...answers("counter:0", 300).subarray(250, 260)]).toEqual(
      Array.from({ length: 10 }, (_, k) => (250 + k) & 0xff),
    );
    const periodic = answers("periodic:500:100", 2000);
    expect(periodic.subarray(600, 2000)).toEqual(periodic.subarray(500, 1900));
    expect(answers("ident-any-baud", 120).toString()).toMatch(/^XR232USB V1\.1 \(qrng emulator\)/);
  });
  it("holds its answers back during a stall and for good after withholding", () => {
    expect(answers("stall:1000:200", 2000)).toEqual(answers("", 2000));
    expect(answers("withhold:1000", 2000).length).toBe(1000);
  });
});

describe("qrng read against a misbehaving XR232 on a pty", () => {
  for (const [i, c] of CASES.entries()) {
    const runner = RUNNABLE[i % RUNNABLE.length];
    const title =
      `${c.name}: ${["completes", "fails closed", "is interrupted"][[0, 1, 130].indexOf(c.status)]} ` +
      `(${c.output === "file" ? "-o" : "stdout"}, ${runner.name}${c.needs ? `; ${c.needs}` : ""})`;
    it(title, async () => {
      const record = join(dir, `record-${i}.bin`);
      const file = join(dir, `out-${i}.bin`);
      const { result, sent, log } = await againstDevice(
        { seed: 100 + i, faults: c.faults, record },
        (uri) => {
          const device = c.query ? `${uri}?${c.query}` : uri;
          const args = [
            "read",
            String(READ_BYTES),
            "--device",
            device,
            ...(c.output === "file" ? ["-o", file] : []),
          ];
          return runCliUntil(runner, args, c.interruptWhen);
        },
      );
      const context = `qrng stderr:\n${result.stderr}\ndevice log:\n${log}`;
      expect(result.status, context).toBe(c.status);
      expect(result.stderr, context).not.toMatch(/^\s+at /m); // one line, no stack trace
      if (c.stderr) expect(result.stderr).toMatch(c.stderr);
      if (c.status === 1) expect(result.stderr).toMatch(/^qrng: .+$/m);
      let out: Buffer = result.stdout;
      if (c.output === "file") {
        out = c.status === 0 ? readFileSync(file) : Buffer.alloc(0);
        expect(existsSync(file), "no -o file after a failure").toBe(c.status === 0);
        expect(readdirSync(dir).filter((name) => name.includes(`out-${i}.bin.`)), "no temporary left")
          .toEqual([]);
      }
      if (c.status === 0) expect(out.length).toBe(READ_BYTES);
      if (c.exact) {
        expect(out.equals(sent.subarray(STARTUP_SAMPLES, STARTUP_SAMPLES + READ_BYTES))).toBe(true);
      }
      // The start-up samples are never output: the output begins after them.
      const trace = traceOutput(out, sent, STARTUP_SAMPLES);
      expect("violation" in trace ? trace.violation : "", context).toBe("");
      if (c.faultAt !== undefined && "end" in trace) {
        expect(trace.end, "nothing output past the window where the fault began").toBeLessThanOrEqual(
          Math.max(c.faultAt, STARTUP_SAMPLES) + WINDOW_BYTES,
        );
      }
    });
  }
});

describe("qrng ident against a misbehaving XR232 on a pty", () => {
  it("does not call a device answering 0x12 to every 'U' a classic XR232 (issue 8 §2.10)", async () => {
    const options = { faults: "stuck:0:18", record: join(dir, "record-ident.bin") };
    const { result } = await againstDevice(options, (uri) => runCliUntil(RUNNABLE[0], ["ident", uri]));
    expect(result.stdout.toString()).not.toMatch(/classic XR232/);
    expect(result.stdout.toString()).not.toMatch(/recommended/);
  });
});

/** Runs `run` against a misbehaving XR232 started with `options`, and stops the device. */
async function againstDevice(
  options: Xr232AdversaryOptions,
  run: (uri: string) => Promise<CliResult>,
): Promise<{ result: CliResult; sent: Buffer; log: string }> {
  const device = await startFaultyXr232(options);
  const outcome = await run(device.uri).then((result) => ({ result }), (error: unknown) => ({ error }));
  const { sent, log } = await device.stop();
  if ("error" in outcome) throw outcome.error;
  return { result: outcome.result, sent, log };
}

/** Runs `qrng ...args`; when `interruptWhen` shows on its stderr, sends SIGINT (Ctrl-C). */
async function runCliUntil(
  runner: Runner,
  args: readonly string[],
  interruptWhen?: RegExp,
): Promise<CliResult> {
  const run = spawnCli(runner, args);
  const stdout: Buffer[] = [];
  run.child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
  if (interruptWhen) {
    const watch = () => {
      if (!interruptWhen.test(run.stderr())) return;
      run.child.stderr!.off("data", watch);
      run.child.kill("SIGINT");
    };
    run.child.stderr!.on("data", watch);
  }
  const status = await run.exited;
  return { status, stdout: Buffer.concat(stdout), stderr: run.stderr() };
}
