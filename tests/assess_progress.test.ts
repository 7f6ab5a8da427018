import { describe, expect, it } from "vitest";
import { progressLine } from "../cli/commands/assess.ts";
import type { Platform } from "../cli/platform.ts";

/** A platform whose clock the test moves and whose stderr it reads. */
function terminal(isTerminal: boolean) {
  const state = { nowMs: 0, stderr: "" };
  const platform = {
    isTerminal: () => isTerminal,
    now: () => state.nowMs,
    writeStderr: (text: string) => void (state.stderr += text),
  } as unknown as Platform;
  return { state, platform };
}

describe("qrng assess's progress line", () => {
  it("shows what is done of the total and the time left, redrawn in place", () => {
    const { state, platform } = terminal(true);
    const progress = progressLine(platform, "restarts (samples)");
    state.nowMs = 10_000;
    progress.update(250_000, 1_000_000);
    expect(state.stderr).toBe("\r\x1b[Krestarts (samples): 250000/1000000, about 30 s left");
    state.nowMs = 100_000;
    progress.update(500_000, 1_000_000);
    expect(state.stderr.endsWith("\r\x1b[Krestarts (samples): 500000/1000000, about 1 min 40 s left")).toBe(
      true,
    );
    progress.clear();
    expect(state.stderr.endsWith("\r\x1b[K")).toBe(true);
  });

  it("stays silent when stderr is not a terminal", () => {
    const { state, platform } = terminal(false);
    const progress = progressLine(platform, "raw samples");
    state.nowMs = 5_000;
    progress.update(1, 2);
    progress.clear();
    expect(state.stderr).toBe("");
  });
});
