/**
 * The health-gated reader every consumer of validated bytes goes through (cli/sources/gated.ts),
 * against the in-process QCicada emulator: its bytes are the device's own stream after the
 * start-up test's samples, in order, without gaps or repeats however they are asked for, and a faulty device ends every way of
 * reading with a QrngError.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openSource } from "../cli/sources/registry.ts";
import { QrngError } from "../cli/errors.ts";
import { nodePlatform } from "../cli/runtime/node_platform.ts";
import { GatedReader } from "../cli/sources/gated.ts";
import { STARTUP_SAMPLES } from "../wasm/health.ts";

const platform = nodePlatform("node", []);
const readers: GatedReader[] = [];

afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.close()));
});

async function gated(uri: string, bytesWanted: number): Promise<GatedReader> {
  const reader = await GatedReader.open(uri, { platform, bytesWanted, log: () => {} });
  readers.push(reader);
  return reader;
}

/** The `n` bytes the device sends after those spent on the gate's start-up test, ungated. */
async function deviceBytes(uri: string, n: number): Promise<Uint8Array> {
  return (await deviceStream(uri, STARTUP_SAMPLES + n)).subarray(STARTUP_SAMPLES);
}

async function deviceStream(uri: string, n: number): Promise<Uint8Array> {
  const source = await openSource(uri, { platform, sizeHint: n, log: () => {} });
  const bytes = new Uint8Array(n);
  try {
    for (let got = 0; got < n;) {
      const run = await source.next();
      bytes.set(run.subarray(0, n - got), got);
      got += Math.min(run.length, n - got);
    }
  } finally {
    await source.close();
  }
  return bytes;
}

describe("GatedReader", () => {
  it("reads exactly the device's stream, in order, across read, readInto and next", async () => {
    const uri = "sim:qcicada?seed=11";
    const expected = await deviceBytes(uri, 300_000);
    const reader = await gated(uri, 300_000);
    const first = await reader.read(1000);
    const second = new Uint8Array(99_000);
    await reader.readInto(second);
    const parts = [first, second];
    let got = first.length + second.length;
    while (got < 300_000) {
      const run = (await reader.next()).slice(0, 300_000 - got);
      parts.push(run);
      got += run.length;
    }
    await reader.finish();
    expect(Buffer.concat(parts).equals(Buffer.from(expected))).toBe(true);
    expect(reader.bytesReleased).toBeGreaterThanOrEqual(300_000);
    expect(reader.health.stats().windowsFailed).toBe(0);
  });

  it("streams fresh chunks of the device's stream and closes the device when cancelled", async () => {
    const uri = "sim:qcicada?seed=12";
    const expected = await deviceBytes(uri, 200_000);
    const reader = await gated(uri, Infinity);
    const chunks: Uint8Array[] = [];
    let got = 0;
    for await (const chunk of reader.stream()) {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= 200_000) break; // cancels the stream
    }
    expect(Buffer.concat(chunks).subarray(0, 200_000).equals(Buffer.from(expected))).toBe(true);
  });

  it("ends a read from a stuck device with a QrngError and never a byte of the stuck run", async () => {
    const reader = await gated("sim:qcicada?seed=13&stuck=100000", 1_000_000);
    const error = await reader.read(1_000_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QrngError);
    expect((error as QrngError).kind).toMatch(/^(device|health)$/);
  });

  it("errors its stream when the device fails", async () => {
    const reader = await gated("sim:qcicada?seed=14&stuck=50000", Infinity);
    const chunks: Uint8Array[] = [];
    const error = await (async () => {
      for await (const chunk of reader.stream()) chunks.push(chunk);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QrngError);
    const zeros = Buffer.concat(chunks).indexOf(Buffer.alloc(64));
    expect(zeros).toBe(-1);
  });
});
