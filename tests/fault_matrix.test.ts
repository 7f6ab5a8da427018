/**
 * The fault matrix: every fault the adversarial device (tests/_support/adversary/) can script,
 * against the real `qrng read` (the compiled binary, some rows under Deno or Bun), once writing
 * to stdout and once to `-o FILE`. Each run checks the read's promise against what the device
 * recorded sending (invariant.ts): only whole validated windows of its data, none twice,
 * nothing invented, nothing sent after its fault; exit status 0 (then exactly SIZE bytes) or 1
 * (then one `qrng: ` line and no stack trace; FILE absent or unchanged, no temporary left).
 *
 * One row per case: transport, SIZE, expected outcome ("either": discarding with a note and
 * failing closed both keep the promise), the script, and the defect of issue 8 it covers.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSize } from "../cli/units.ts";
import { binaryBuilt, type CliResult, runCli, type Runner, RUNNERS } from "./_support/cli.ts";
import { testTempDir } from "./_support/temp_dir.ts";
import type { AdversaryTransport } from "./_support/adversary/device.ts";
import { outputViolations } from "./_support/adversary/invariant.ts";
import { launchAdversary } from "./_support/adversary/launch.ts";
import type { DeviceRecord } from "./_support/adversary/record.ts";
import type { FaultScript } from "./_support/adversary/script.ts";

const dir = testTempDir("qrng-faults");

/** A run still going after this is killed and counts as a hang (no documented exit status). */
const RUN_KILL_MS = 45_000;
/** What an `-o FILE` holds before a run that starts from an existing file. */
const SENTINEL = "the previous contents";

type Outcome = "ok" | "fail" | "either";

interface Case {
  transport: AdversaryTransport;
  size: string;
  expect: Outcome;
  script: FaultScript;
  /** The fault, as the test name says it. */
  name: string;
  /** Extra `qrng read` flags. */
  args?: string[];
  /** What the failure's message must say (loosely: the fixes word their own errors). */
  error?: RegExp;
  /** What stderr must say on success (a note on a fault the read worked around). */
  note?: RegExp;
  /** Run under Deno or Bun instead of the compiled binary. */
  runner?: Runner["name"];
}

/** A device that never gets ready must be named in the timeout. */
const DEVICE_NAMED = /127\.0\.0\.1:\d+/;
/**
 * Predictable data fails the health tests or the repetition check, or by datagram arrives short:
 * hosts drop a datagram that repeats a recent one, and say so.
 */
const PREDICTABLE = /repeat|repetition|health/i;
/** The driver's note when a device drops the GET_INFO behind STOP. */
const DROPPED_MARKER = /GET_INFO sent behind STOP unanswered/;
const LATENCY = { latencyMs: 300, jitterMs: 100 };
/** Streams limited to this rate keep recordings (and the check's index of them) small. */
const STREAM_RATE = 1 << 20;
/** ...and to this one when the stream goes on after the read (a STOP ignored: many seconds). */
const ENDLESS_STREAM_RATE = 100_000;

// deno-fmt-ignore
const CASES: Case[] = [
  // No fault: the device is the faithful emulator.
  { transport: "tcp", size: "100K", expect: "ok", script: {}, name: "no fault (continuous)" },
  { transport: "tcp", size: "32K", expect: "ok", script: {}, name: "no fault (one-shots)", runner: "deno" },
  { transport: "udp", size: "100K", expect: "ok", script: {}, name: "no fault" },
  { transport: "tcpudp", size: "100K", expect: "ok", script: {}, name: "no fault" },
  { transport: "serial", size: "100K", expect: "ok", script: {}, name: "no fault (continuous)", runner: "bun" },
  { transport: "serial", size: "32K", expect: "ok", script: {}, name: "no fault (one-shots; §2.11 fails ~1 run in 3)" },
  // §2.3: a device 300 ms away with 100 ms of jitter.
  { transport: "tcp", size: "100K", expect: "ok", script: { ...LATENCY, rate: STREAM_RATE }, name: "300 ms latency with jitter (continuous)" },
  { transport: "tcp", size: "32K", expect: "ok", script: LATENCY, name: "300 ms latency with jitter (one-shots)" },
  { transport: "udp", size: "40K", expect: "ok", script: LATENCY, name: "300 ms latency with jitter" },
  { transport: "tcpudp", size: "40K", expect: "ok", script: LATENCY, name: "300 ms latency with jitter" },
  { transport: "serial", size: "100K", expect: "ok", script: { ...LATENCY, rate: STREAM_RATE }, name: "300 ms latency with jitter" },
  { transport: "tcpudp", size: "40K", expect: "ok", script: { jitterMs: 250 }, name: "up to 250 ms of jitter alone" },
  // §2.1: datagrams duplicated, lost, reordered, injected, unasked for; surplus bytes.
  { transport: "udp", size: "100K", expect: "either", script: { datagrams: { duplicateEvery: 3 } }, name: "every 3rd data datagram twice", runner: "deno" },
  { transport: "tcpudp", size: "100K", expect: "either", script: { datagrams: { duplicateEvery: 3 } }, name: "every 3rd data datagram twice" },
  { transport: "udp", size: "100K", expect: "fail", script: { datagrams: { dropEvery: 5 } }, name: "every 5th data datagram lost" },
  { transport: "tcpudp", size: "100K", expect: "fail", script: { datagrams: { dropEvery: 5 } }, name: "every 5th data datagram lost" },
  { transport: "udp", size: "100K", expect: "ok", script: { datagrams: { reorderEvery: 4 } }, name: "every 4th data datagram swapped with the next" },
  { transport: "tcpudp", size: "100K", expect: "ok", script: { datagrams: { reorderEvery: 4 } }, name: "every 4th data datagram swapped with the next" },
  { transport: "udp", size: "100K", expect: "either", script: { datagrams: { injectEvery: 4 } }, name: "a foreign datagram from another port after every 4th" },
  { transport: "tcpudp", size: "100K", expect: "either", script: { datagrams: { injectEvery: 4 } }, name: "a foreign datagram from another port after every 4th" },
  { transport: "tcpudp", size: "100K", expect: "either", script: { strays: { after: "GET_STATUS", count: 15 } }, name: "15 datagrams nobody asked for before the read", runner: "bun" },
  { transport: "udp", size: "100K", expect: "either", script: { strays: { after: "START", count: 1 } }, name: "a datagram nobody asked for after every one-shot" },
  { transport: "tcpudp", size: "100K", expect: "either", script: { strays: { after: "START", count: 2 } }, name: "two datagrams nobody asked for after every one-shot" },
  { transport: "udp", size: "100K", expect: "either", script: { resize: [{ command: "START", part: "data", bytes: 700, nth: 2 }] }, name: "700 surplus bytes after the 2nd one-shot" },
  { transport: "tcpudp", size: "100K", expect: "either", script: { resize: [{ command: "START", part: "data", bytes: 700, nth: 2 }] }, name: "700 surplus bytes after the 2nd one-shot" },
  { transport: "tcp", size: "32K", expect: "either", script: { resize: [{ command: "START", part: "data", bytes: 64 }] }, name: "64 surplus bytes after the 1st one-shot" },
  // §2.2: every status judged, at every point.
  { transport: "tcp", size: "100K", expect: "fail", script: { flags: [{ in: "status", raise: ["voltageLow"] }] }, name: "voltage_low at open", error: /voltage.?low/i },
  { transport: "udp", size: "100K", expect: "fail", script: { startupMs: 5000, flags: [{ in: "startup", raise: ["repetitionCount"] }] }, name: "repetition_count with startup_test_in_progress (a 5 s startup test)", error: /repetition.?count/i },
  { transport: "tcp", size: "32K", expect: "fail", script: { flags: [{ in: "status", clear: ["started"] }] }, name: "started = 0", error: /start/i },
  { transport: "udp", size: "100K", expect: "fail", script: { flags: [{ in: "one-shot", raise: ["adaptiveProportion"], from: 3 }] }, name: "adaptive_proportion in the 3rd one-shot's ACK", error: /adaptive.?proportion/i },
  { transport: "serial", size: "32K", expect: "fail", script: { flags: [{ in: "one-shot", raise: ["voltageLow"], from: 2 }] }, name: "voltage_low in the 2nd one-shot's ACK", error: /voltage.?low/i },
  { transport: "tcp", size: "100K", expect: "fail", script: { rate: STREAM_RATE, flags: [{ in: "start", raise: ["voltageUndefined"] }] }, name: "voltage_undefined in the continuous START's ACK", error: /voltage.?undefined/i },
  { transport: "tcp", size: "600K", expect: "fail", script: { rate: 100_000, flags: [{ in: "stop", raise: ["bitcount"] }] }, name: "bitcount in the periodic check's STOP", error: /bit.?count/i },
  { transport: "tcp", size: "100K", expect: "fail", script: { rate: STREAM_RATE, flags: [{ in: "stop", raise: ["repetitionCount"] }] }, name: "repetition_count in the final STOP", error: /repetition.?count/i, runner: "deno" },
  { transport: "serial", size: "100K", expect: "fail", script: { rate: STREAM_RATE, flags: [{ in: "stop", raise: ["voltageHigh"] }] }, name: "voltage_high in the final STOP", error: /voltage.?high/i },
  { transport: "tcp", size: "100K", expect: "fail", script: { rate: ENDLESS_STREAM_RATE, stop: "ignore" }, name: "STOP ignored: the stream goes on", error: /stop/i },
  { transport: "serial", size: "100K", expect: "fail", script: { rate: ENDLESS_STREAM_RATE, stop: "ignore" }, name: "STOP ignored: the stream goes on", error: /stop/i },
  { transport: "tcp", size: "100K", expect: "fail", script: { rate: STREAM_RATE, stop: "no-ack" }, name: "STOP obeyed but never acknowledged", error: /stop/i },
  { transport: "serial", size: "100K", expect: "fail", script: { rate: STREAM_RATE, stop: "no-ack" }, name: "STOP obeyed but never acknowledged", error: /stop/i },
  { transport: "tcp", size: "100K", expect: "ok", script: { rate: STREAM_RATE, stopTail: { pauseMs: 400 } }, name: "data ending like STOP's answer, then 400 ms of silence before the answer" },
  { transport: "serial", size: "100K", expect: "ok", script: { rate: STREAM_RATE, stopTail: { pauseMs: 400 } }, name: "data ending like STOP's answer, then 400 ms of silence before the answer", runner: "deno" },
  { transport: "tcp", size: "100K", expect: "ok", script: { rate: STREAM_RATE, stop: "drops-next" }, name: "the GET_INFO behind STOP dropped: the stream ends on quiet", note: DROPPED_MARKER },
  { transport: "serial", size: "100K", expect: "ok", script: { rate: STREAM_RATE, stop: "drops-next" }, name: "the GET_INFO behind STOP dropped: the stream ends on quiet", runner: "bun", note: DROPPED_MARKER },
  // Truncated and lengthened replies.
  { transport: "tcp", size: "32K", expect: "fail", script: { resize: [{ command: "START", part: "data", bytes: -100 }] }, name: "a one-shot 100 bytes short" },
  { transport: "udp", size: "100K", expect: "fail", script: { resize: [{ command: "START", part: "data", bytes: -100, nth: 2 }] }, name: "the 2nd one-shot 100 bytes short" },
  { transport: "tcp", size: "32K", expect: "fail", script: { resize: [{ command: "GET_STATUS", part: "response", bytes: -2 }] }, name: "a status 2 bytes short" },
  { transport: "tcp", size: "100K", expect: "either", script: { resize: [{ command: "GET_INFO", part: "response", bytes: 3 }] }, name: "info 3 bytes too long" },
  // §2.4: predictable data: replays, periods above 28, counters, repeated blocks.
  { transport: "tcp", size: "60K", expect: "fail", script: { replay: "one-shot" }, name: "every one-shot replays the first", error: PREDICTABLE },
  { transport: "udp", size: "100K", expect: "fail", script: { replay: "one-shot" }, name: "every one-shot replays the first", error: PREDICTABLE },
  { transport: "tcp", size: "60K", expect: "fail", script: { replay: "signed" }, args: ["--signed"], name: "every signed block replays the first, signature and all", error: PREDICTABLE },
  { transport: "tcpudp", size: "60K", expect: "fail", script: { replay: "signed" }, args: ["--signed"], name: "every signed block replays the first, signature and all", error: PREDICTABLE },
  { transport: "tcp", size: "200K", expect: "fail", script: { rate: STREAM_RATE, pattern: { periodBytes: 29 } }, name: "data of period 29", error: PREDICTABLE },
  { transport: "tcp", size: "200K", expect: "fail", script: { rate: STREAM_RATE, pattern: { periodBytes: 1000 } }, name: "data of period 1000", error: PREDICTABLE },
  { transport: "udp", size: "100K", expect: "fail", script: { pattern: "counter" }, name: "a 0..255 counter", error: PREDICTABLE },
  { transport: "tcp", size: "200K", expect: "fail", script: { rate: STREAM_RATE, pattern: { periodBytes: 4096 } }, name: "one 4 KiB block over and over", error: PREDICTABLE },
  // §2.8: never ready.
  { transport: "tcp", size: "32K", expect: "fail", script: { readyBytes: 0 }, name: "ready_bytes 0 forever", error: DEVICE_NAMED },
  { transport: "udp", size: "100K", expect: "fail", script: { readyBytes: 0 }, name: "ready_bytes 0 forever", error: DEVICE_NAMED },
];

const runnerFor = (name: Case["runner"]): Runner =>
  RUNNERS.find((r) => r.name === (name ?? (binaryBuilt ? "binary" : "bun")))!;

/** How the run broke the read's promise (empty: it kept it). */
function judge(c: Case, r: CliResult, output: Uint8Array, record: DeviceRecord): string[] {
  const problems: string[] = [];
  if (r.status !== 0 && r.status !== 1) {
    problems.push(`exit status ${r.status} (hung and was killed, or crashed)`);
  } else if (c.expect === "ok" && r.status !== 0) problems.push("failed, expected success");
  else if (c.expect === "fail" && r.status !== 1) problems.push("succeeded, expected a failure");
  if (r.status === 0 && output.length !== parseSize(c.size)) {
    problems.push(`exit 0 with ${output.length} bytes, not ${c.size}`);
  }
  if (r.status === 0 && c.note && !c.note.test(r.stderr)) problems.push(`stderr does not say ${c.note}`);
  if (r.status === 1) {
    const lines = r.stderr.trimEnd().split("\n");
    if (!/^qrng: \S/.test(lines.at(-1)!)) problems.push("the failure does not end in one 'qrng: ' line");
    else if (c.error && !c.error.test(lines.at(-1)!)) {
      problems.push(`the failure does not match ${c.error}: wrong reason?`);
    }
    if (lines.some((line) => /^\s+at /.test(line))) problems.push("stack trace on stderr");
  }
  return [...problems, ...outputViolations(output, record)];
}

/** Runs case `i` once, to stdout or to `-o FILE`; resolves how it broke the promise. */
async function runCase(
  c: Case,
  i: number,
  output: "stdout" | "file",
): Promise<{ problems: string[]; r: CliResult }> {
  const runner = runnerFor(c.runner);
  const device = await launchAdversary(c.transport, c.script, join(dir, `case-${i}-${output}`));
  const name = `out-${i}.bin`;
  const file = join(dir, name);
  // Half the -o runs start from an existing FILE, half from none.
  const before = i % 2 === 0 ? SENTINEL : undefined;
  if (output === "file" && before) writeFileSync(file, before);
  let r: CliResult;
  let record: DeviceRecord;
  try {
    const target = output === "file" ? ["-o", file] : [];
    r = await runCli(runner, ["read", c.size, "--device", device.uri, ...target, ...c.args ?? []], {
      timeoutMs: RUN_KILL_MS,
    });
  } finally {
    record = await device.stop();
  }
  const problems: string[] = [];
  let bytes: Uint8Array = r.stdout;
  if (output === "file") {
    if (r.stdout.length > 0) problems.push("wrote to stdout despite -o");
    const leftovers = readdirSync(dir).filter((n) => n.startsWith(`${name}.`));
    if (leftovers.length) problems.push(`left ${leftovers.join(", ")} behind`);
    if (r.status === 0) bytes = readFileSync(file);
    else if (before ? readFileSync(file, "utf8") !== before : existsSync(file)) {
      problems.push("FILE changed by a failed read");
    } else bytes = new Uint8Array(0);
    rmSync(file, { force: true });
  }
  return { problems: [...problems, ...judge(c, r, bytes, record)], r };
}

describe.concurrent("qrng read keeps its promise against a misbehaving device", () => {
  for (const [i, c] of CASES.entries()) {
    for (const output of ["stdout", "file"] as const) {
      const to = output === "file" ? "-o FILE" : "stdout";
      it(`${c.transport}, ${c.name}: ${to} (expected: ${c.expect})`, async () => {
        const { problems, r } = await runCase(c, i, output);
        expect(
          problems.join("\n"),
          `${runnerFor(c.runner).name} exited ${r.status}; its stderr:\n${r.stderr}`,
        ).toBe("");
      }, RUN_KILL_MS + 15_000);
    }
  }
});
