/**
 * The Cmd&Ctrl decoder fuzz test: mutated replies to every command, played to the real driver,
 * judged by an oracle written from the spec (see tests/_support/cmdctrl_fuzz.ts). Time-bounded
 * here; scripts/fuzz-cmdctrl.ts runs 10^7 cases. QRNG_FUZZ_SEED=N replays a run's seed.
 */
import { describe, expect, it } from "vitest";
import {
  makeCase,
  makeRig,
  MUTATION_NAMES,
  reproduction,
  runCase,
  runFuzzCase,
  sweepCases,
} from "./_support/cmdctrl_fuzz.ts";
import { SCENARIOS } from "./_support/cmdctrl_scenarios.ts";
import { ScriptedLine } from "./_support/scripted_line.ts";
import { CmdCtrlDevice } from "../cli/devices/cmdctrl/driver.ts";

/** Wall time the random cases may take (they run until then, at least MIN_CASES of them). */
const FUZZ_BUDGET_MS = 2000;
const MIN_CASES = 2000;

describe("the Cmd&Ctrl decoder under mutated replies", () => {
  it("never crashes, hangs or succeeds wrongly, and succeeds with the spec's values on valid answers", async () => {
    const seed = Number(process.env.QRNG_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const rig = makeRig();
    const started = performance.now();
    let index = 0;
    for (; index < MIN_CASES || performance.now() - started < FUZZ_BUDGET_MS; index++) {
      const failure = await runCase(seed, index, rig);
      if (failure) {
        // Confirm on a fresh driver, so the report does not depend on the cases before it.
        const fresh = await runCase(seed, index, makeRig());
        expect.fail(
          `${failure}\n${fresh ? "" : "(passes on a fresh driver: state leaked from earlier cases)\n"}` +
            `seed ${seed}; reproduce: ${reproduction(seed, index)}`,
        );
      }
    }
    expect(index).toBeGreaterThanOrEqual(MIN_CASES);
  });

  it("covers every command and flow of the driver, and every mutation", () => {
    const scenarios = new Set<string>();
    const mutations = new Set<string>();
    for (let index = 0; index < 2000; index++) {
      const c = makeCase(1, index);
      scenarios.add(c.scenario);
      c.mutations.forEach((m) => mutations.add(m));
    }
    expect([...scenarios].sort()).toEqual(SCENARIOS.map(([name]) => name).sort());
    expect(scenarios.size).toBe(19);
    expect([...mutations].sort()).toEqual([...MUTATION_NAMES].sort());
  });

  it("holds for every reply cut at every length and with every value of its response code", async () => {
    const rig = makeRig();
    let cases = 0;
    for (const c of sweepCases()) {
      const failure = await runFuzzCase(c, rig);
      if (failure) expect.fail(failure);
      cases++;
    }
    expect(cases).toBeGreaterThan(19 * 256);
  });
});

describe("stale bytes after a complete answer", () => {
  it("never become the answer to the next command when they arrived in the same read", async () => {
    // GET_STATUS answered with its 6 bytes plus a whole second status frame in one read; the
    // next GET_STATUS must see its own answer, not the stale frame.
    const { device } = scriptedDevice([
      [[0x01], [0x11, 1, 0x40, 0x34, 0, 0, 0x11, 0xff, 9, 9, 9, 9]],
      [[0x01], [0x11, 1, 7, 0, 0, 0]],
    ]);
    expect((await device.status()).readyBytes).toBe(13376);
    expect((await device.status()).readyBytes).toBe(7);
  });

  it("after a hash-test chunk's answer do not make the digest read fail", async () => {
    const data = new Uint8Array(3).fill(5);
    const chunk = new Uint8Array(1 + 1026);
    chunk.set([0x22, 3, 0, 5, 5, 5]);
    const digest = new Uint8Array(32).fill(0xab);
    const { device } = scriptedDevice([
      [[0x20], [0x21]],
      [Array.from(chunk), [0x21, 0x77, 0x77]],
      [[0x23], [0x24, ...digest]],
    ]);
    expect(await device.hashTest(data)).toEqual(digest);
  });
});

/** A driver on a scripted line that answers each expected command with its reply, whole. */
function scriptedDevice(script: ReadonlyArray<readonly [readonly number[], readonly number[]]>) {
  const line = new ScriptedLine();
  line.script(script.map(([command, reply]) => [Uint8Array.from(command), Uint8Array.from(reply)]));
  return { line, device: new CmdCtrlDevice(line, { now: () => line.clockMs }) };
}
