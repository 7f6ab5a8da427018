/**
 * GatedReader.reopen, which the daemon reads through: one gate across reopened sources. A
 * device that replays its stream after a reopen fails the repetition check; bytes the gate
 * held from a source that finished well come out after the reopen, those of a source that was
 * only closed (a fault) never do. GatedReader.checkpoint hands the bytes in flight to a sink. The oracle is the emulator's seeded stream, regenerated.
 */
import { Buffer } from "node:buffer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QrngError } from "../cli/errors.ts";
import { nodePlatform } from "../cli/runtime/node_platform.ts";
import { GatedReader } from "../cli/sources/gated.ts";
import { STARTUP_SAMPLES } from "../wasm/health.ts";
import { type RunningEmulator, startEmulator } from "./_support/qcicada_emulator.ts";
import { emulatorStream } from "./_support/serve_daemon.ts";

const platform = nodePlatform("node", []);
const FIRST_BYTES = 100_000;

async function open(uri: string): Promise<GatedReader> {
  return await GatedReader.open(uri, { platform, bytesWanted: FIRST_BYTES, log: () => {} });
}

describe("GatedReader.reopen", () => {
  it("keeps one gate, so a device replaying its stream after a reopen fails the repetition check", async () => {
    // Every open of sim: starts a new emulator with the same seed: the stream starts over.
    const reader = await open("sim:qcicada?seed=21");
    const outputs = [await reader.read(FIRST_BYTES)];
    await reader.finish();
    await reader.reopen({ bytesWanted: FIRST_BYTES });
    const error = await (async () => {
      for (;;) outputs.push((await reader.next()).slice());
    })().catch((e: unknown) => e);
    await reader.close();
    expect(error).toBeInstanceOf(QrngError);
    expect((error as QrngError).kind).toBe("health");
    expect((error as QrngError).message).toMatch(/Repetition check/);
    // Nothing of the replay came out: all output is the stream once, in order.
    const output = Buffer.concat(outputs);
    const stream = emulatorStream(21, STARTUP_SAMPLES + output.length);
    expect(output.equals(stream.subarray(STARTUP_SAMPLES))).toBe(true);
  });

  describe("against an emulator whose stream goes on across connections", () => {
    const SEED = 22;
    let emulator: RunningEmulator;
    const stream = emulatorStream(SEED, 64 << 20);
    beforeAll(async () => {
      emulator = await startEmulator(["--tcp", "127.0.0.1:0", "--rate", "max", "--seed", String(SEED)]);
    });
    afterAll(async () => {
      await emulator?.stop();
    });

    /** Where `bytes` start in the emulator's stream. */
    function offsetOf(bytes: Uint8Array): number {
      return stream.indexOf(Buffer.from(bytes.subarray(0, 64)));
    }

    it("releases what the gate held of a source that finished well right after the reopen", async () => {
      const reader = await open(emulator.uri);
      const first = await reader.read(FIRST_BYTES);
      await reader.finish();
      await reader.reopen({ bytesWanted: FIRST_BYTES });
      const after = await reader.read(1000);
      await reader.close();
      expect(offsetOf(first)).toBeGreaterThanOrEqual(0);
      expect(offsetOf(after)).toBe(offsetOf(first) + FIRST_BYTES);
    });

    it("hands a checkpoint's sink the bytes in flight at the STOP, in order, and streams on after them", async () => {
      const reader = await open(emulator.uri);
      const first = await reader.read(FIRST_BYTES);
      const sunk: Uint8Array[] = [];
      const releasedBefore = reader.bytesReleased;
      await reader.checkpoint((released) => void sunk.push(released.slice()));
      const sinkBytes = Buffer.concat(sunk);
      const after = await reader.read(1000);
      await reader.close();
      // At full rate the device always has bytes in flight at a STOP: they passed the gate then.
      expect(reader.bytesReleased).toBeGreaterThan(releasedBefore);
      expect(offsetOf(sinkBytes)).toBe(offsetOf(first) + FIRST_BYTES);
      expect(offsetOf(after)).toBe(offsetOf(first) + FIRST_BYTES + sinkBytes.length);
    });

    it("drops what the gate held of a source that was closed without finishing (its status unjudged)", async () => {
      const reader = await open(emulator.uri);
      const first = await reader.read(FIRST_BYTES);
      await reader.close(); // as after a device fault
      await reader.reopen({ bytesWanted: FIRST_BYTES });
      const after = await reader.read(1000);
      await reader.close();
      const held = reader.health.gate.repetition!.stretchBytes - 1;
      expect(offsetOf(after)).toBeGreaterThanOrEqual(offsetOf(first) + FIRST_BYTES + held);
    });
  });
});
