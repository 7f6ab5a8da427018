import { describe, expect, it } from "vitest";
import type { ByteReader, ByteWriter, Platform } from "../cli/platform.ts";
import { runApp } from "../cli/app.ts";
import { idealBytes } from "./_support/analysis_data.ts";

/** A platform for one in-process run: stdin from `input` in 100 KB reads, a clock that advances 100 ms per read. */
function testPlatform(args: string[], input: Uint8Array, terminal: boolean) {
  let offset = 0, clock = 0;
  const stdout: Uint8Array[] = [];
  let stderr = "";
  const stdin: ByteReader = {
    read(buffer) {
      const n = Math.min(buffer.length, 100_000, input.length - offset);
      buffer.set(input.subarray(offset, offset + n));
      offset += n;
      clock += 100;
      return Promise.resolve(n);
    },
    close: () => Promise.resolve(),
  };
  const out: ByteWriter = {
    write: (d) => (stdout.push(d.slice()), Promise.resolve()),
    close: () => Promise.resolve(),
  };
  const platform: Platform = {
    runtime: "node",
    args,
    env: () => undefined,
    stdin,
    stdout: out,
    writeStderr: (text) => void (stderr += text),
    isTerminal: (stream) => stream === "stderr" && terminal,
    terminalColumns: () => 80,
    openReader: () => Promise.reject(new Error("no files here")),
    openWriter: () => Promise.reject(new Error("no files here")),
    rename: () => Promise.resolve(),
    truncate: () => Promise.resolve(),
    remove: () => Promise.resolve(),
    now: () => clock,
    sleep: () => Promise.resolve(),
    onInterrupt: () => () => {},
    fileInfo: () => Promise.resolve({ type: "missing", bytes: 0, mode: 0 }),
    readLink: () => Promise.resolve(undefined),
  };
  return { platform, stdout: () => Buffer.concat(stdout).toString(), stderr: () => stderr };
}

describe("qrng test progress", () => {
  const data = idealBytes(2_000_000, 21);

  it("shows progress on stderr when stderr is a terminal, and clears it", async () => {
    const run = testPlatform(["test", "--fips"], data, true);
    expect(await runApp(run.platform)).toBe(0);
    // deno-lint-ignore no-control-regex -- the progress line ends with the erase-line escape
    expect(run.stderr()).toMatch(/^\rqrng test: \d+ MB read, \d+ MB\/s\x1b\[K/);
    expect(run.stderr().endsWith("\r\x1b[K")).toBe(true);
    expect(run.stdout()).toContain("rngtest: FIPS 140-2 successes: ");
  });

  it("writes nothing to stderr when stderr is not a terminal", async () => {
    const run = testPlatform(["test", "--fips"], data, false);
    expect(await runApp(run.platform)).toBe(0);
    expect(run.stderr()).toBe("");
  });
});
