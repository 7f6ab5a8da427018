/**
 * The Cmd&Ctrl decoder fuzzer shared by tests/cmdctrl_fuzz.test.ts (time-bounded) and
 * scripts/fuzz-cmdctrl.ts (10^7 cases). A case picks a command, builds the device's valid
 * answer, mutates it (bit flips, byte replacement, truncation, garbage or a second valid frame
 * appended, a wrong response code, NACK), splits it into random chunks and plays it to the real
 * CmdCtrlDevice over a scripted in-memory transport. The spec oracle (cmdctrl_oracle.ts) says
 * what must come out. Invariant: the driver succeeds exactly when the oracle calls the bytes a
 * valid answer, with the oracle's values; otherwise it rejects with a QrngError of a known kind
 * (kind "nack" when the device said NACK); it never hangs; and after a success the next command
 * sees only its own answer.
 *
 * Time is virtual: once a reply is played out the line is silent, and a read resolves 0 at once
 * as if its whole timeout had passed (the transport's clock is the driver's clock), or the line
 * closes. So a truncated reply fails in microseconds, not after the 3 s response timeout.
 * Each case is one seeded generator: (seed, index) reproduces it exactly.
 */
import { setImmediate } from "node:timers";
import { CmdCtrlDevice } from "../../cli/devices/cmdctrl/driver.ts";
import { QrngError, type QrngErrorKind } from "../../cli/errors.ts";
import {
  ACK,
  atDriverPrecision,
  canonical,
  judgeAnswer,
  type LineEnd,
  NACK,
  RESPONSE_PAYLOAD_BYTES,
  type Shape,
  statusValue,
} from "./cmdctrl_oracle.ts";
import { type Built, cat, type Exchange, Rng, SCENARIOS, u8 } from "./cmdctrl_scenarios.ts";
import { HarnessFailure, hex, ScriptedLine, short } from "./scripted_line.ts";

/** Error kinds a reply, however mangled, may end in. */
const EXPECTED_KINDS: ReadonlySet<QrngErrorKind> = new Set([
  "timeout",
  "nack",
  "protocol",
  "disconnected",
  "device",
]);

/**
 * Where the response code that decides a reply sits: a stream's end has its ACK 6 bytes before
 * the end (and before the marker behind it); every other answer starts with its code.
 */
function codeOffset(reply: Uint8Array, shape: Shape): number {
  if (shape.kind === "stop-tail") return reply.length - 6;
  if (shape.kind === "stop-marked") return reply.length - 6 - shape.marker.length;
  return 0;
}

/** The mutations, by name, each taking the valid reply (and the scenario's other replies). */
const MUTATIONS: ReadonlyArray<
  [name: string, mutate: (rng: Rng, reply: Uint8Array, shape: Shape) => Uint8Array]
> = [
  ["none", (_, r) => r],
  ["bit flips", (rng, r) => {
    const out = r.slice();
    for (let i = rng.between(1, 3); i > 0 && out.length; i--) out[rng.below(out.length)] ^= 1 << rng.below(8);
    return out;
  }],
  ["byte replaced", (rng, r) => {
    const out = r.slice();
    for (let i = rng.between(1, 3); i > 0 && out.length; i--) out[rng.below(out.length)] = rng.below(256);
    return out;
  }],
  ["truncated", (rng, r) => r.subarray(0, rng.below(r.length))],
  ["garbage appended", (rng, r) => cat(r, rng.bytes(rng.between(1, 16)))],
  ["valid frame appended", (rng, r) => {
    const [, build] = rng.pick(SCENARIOS);
    return cat(r, rng.pick(build(rng).exchanges).reply);
  }],
  ["wrong response code", (rng, r, shape) => {
    const expected = shape.kind === "frame" ? shape.code : shape.kind === "reboot" ? 0xf8 : ACK;
    const others = [...RESPONSE_PAYLOAD_BYTES.keys()].filter((c) => c !== expected && c !== NACK);
    const code = rng.below(4) === 0 ? rng.below(256) : rng.pick(others);
    if (shape.kind === "stop-tail" || shape.kind === "stop-marked") {
      const out = r.slice();
      const at = codeOffset(r, shape);
      if (at >= 0) out[at] = code;
      return out;
    }
    return cat(u8(code), r.subarray(1), rng.bytes(rng.below(2) ? 0 : rng.below(70)));
  }],
  [
    "NACK",
    (rng, r, shape) =>
      shape.kind === "stop-tail" || shape.kind === "stop-marked"
        ? cat(r.subarray(0, Math.max(0, codeOffset(r, shape))), u8(NACK))
        : cat(u8(NACK), rng.below(2) ? u8() : rng.bytes(rng.below(8))),
  ],
];

/** Names of the mutations, for reports. */
export const MUTATION_NAMES = MUTATIONS.map(([name]) => name);

/** How replies are cut into the pieces reads return. */
type Chunking = "whole" | "bytewise" | "random";

/** A fuzz case, fully determined by its seed and index. */
export interface FuzzCase {
  seed: number;
  index: number;
  scenario: string;
  mutations: string[];
  target: number;
  chunking: Chunking;
  end: LineEnd;
  exchanges: Exchange[];
  replies: Uint8Array[];
  built: Built;
  rng: Rng;
}

/** Builds case `index` of `seed`. */
export function makeCase(seed: number, index: number): FuzzCase {
  const rng = new Rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
  const [scenario, build] = rng.pick(SCENARIOS);
  const built = build(rng);
  const target = rng.pick(built.mutable);
  const replies = built.exchanges.map((e) => e.reply);
  const mutations: string[] = [];
  for (let k = rng.below(5) === 0 ? 2 : 1; k > 0; k--) {
    const [name, mutate] = rng.pick(MUTATIONS);
    mutations.push(name);
    replies[target] = mutate(rng, replies[target], built.exchanges[target].shape);
  }
  const chunking = rng.pick<Chunking>(["whole", "bytewise", "random", "random"]);
  const end: LineEnd = rng.below(8) === 0 ? "closed" : "quiet";
  return {
    seed,
    index,
    scenario,
    mutations,
    target,
    chunking,
    end,
    exchanges: built.exchanges,
    replies,
    built,
    rng,
  };
}

/** What the oracle expects of a case. */
type Expectation = { valid: true; value: unknown } | { valid: false; nack: boolean };

/** The oracle's expectation for `c`: every exchange judged in order, the first failure ends it. */
export function expectation(c: FuzzCase): Expectation {
  const answers = [];
  for (const [i, e] of c.exchanges.entries()) {
    const verdict = judgeAnswer(e.shape, c.replies[i], i === c.exchanges.length - 1 ? c.end : "quiet");
    if (!verdict.valid) return verdict;
    answers.push(verdict.answer);
  }
  return { valid: true, value: c.built.expect(answers) };
}

/** Settles `promise` or reports a hang: every step of a case resolves without real waiting. */
async function bounded<T>(
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown } | "hung"> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  promise.then((value) => (outcome = { ok: true, value }), (error) => (outcome = { ok: false, error }));
  // A case does no real I/O: all of it settles in microtasks, before the next macrotask turn.
  for (let turn = 0; turn < 3 && !outcome; turn++) await new Promise((resolve) => setImmediate(resolve));
  return outcome ?? "hung";
}

/** A driver and its line, reused across cases (drain() resets the driver between them). */
export interface FuzzRig {
  line: ScriptedLine;
  device: CmdCtrlDevice;
}

/** A fresh driver on a scripted line. */
export function makeRig(): FuzzRig {
  const line = new ScriptedLine();
  return { line, device: new CmdCtrlDevice(line, { now: () => line.clockMs }) };
}

/** Runs case `index` of `seed` on `rig`; resolves a description of the failure, or undefined. */
export function runCase(seed: number, index: number, rig: FuzzRig): Promise<string | undefined> {
  return runFuzzCase(makeCase(seed, index), rig);
}

/**
 * The systematic cases: for every scenario and every reply a case may mutate, the reply cut
 * at every length, and its response code byte (a STOP's ACK) replaced by each of the 256 values.
 */
export function* sweepCases(): Generator<FuzzCase> {
  for (const [s, [scenario, build]] of SCENARIOS.entries()) {
    const seedOf = (target: number) => s * 64 + target + 1;
    for (const target of build(new Rng(seedOf(0))).mutable) {
      const valid = build(new Rng(seedOf(target))).exchanges[target].reply;
      const codeAt = codeOffset(valid, build(new Rng(seedOf(target))).exchanges[target].shape);
      const variants: Array<[string, (r: Uint8Array) => Uint8Array]> = [
        ...Array.from({ length: valid.length }, (_, n): [string, (r: Uint8Array) => Uint8Array] => [
          `truncated to ${n} bytes`,
          (r) => r.subarray(0, n),
        ]),
        ...Array.from({ length: 256 }, (_, code): [string, (r: Uint8Array) => Uint8Array] => [
          `byte ${codeAt} set to 0x${code.toString(16)}`,
          (r) => Uint8Array.from(r, (b, i) => (i === codeAt ? code : b)),
        ]),
      ];
      for (const [v, [name, mutate]] of variants.entries()) {
        const rng = new Rng(seedOf(target));
        const built = build(rng);
        const replies = built.exchanges.map((e) => e.reply);
        replies[target] = mutate(replies[target]);
        yield {
          seed: -1,
          index: v,
          scenario,
          mutations: [name],
          target,
          chunking: v % 2 === 0 ? "whole" : "bytewise",
          end: "quiet",
          exchanges: built.exchanges,
          replies,
          built,
          rng,
        };
      }
    }
  }
}

/** Runs `c` on `rig`; resolves a description of the failure, or undefined. */
export async function runFuzzCase(c: FuzzCase, rig: FuzzRig): Promise<string | undefined> {
  const { line, device } = rig;
  // The driver's own recovery resets it between cases: STOP, answered as an idle device does.
  line.script([[u8(0x05), u8(ACK, 1, 0, 0, 0, 0)]]);
  const reset = await bounded(device.drain());
  if (reset === "hung" || !reset.ok) {
    return `drain() between cases failed: ${reset === "hung" ? "hung" : String(reset.error)}`;
  }
  const expected = expectation(c);
  const followUp = cat(u8(ACK), c.rng.bytes(5));
  const checkFollowUp = expected.valid && c.built.idleAfter && c.end === "quiet";
  const pieces = { whole: () => Infinity, bytewise: () => 1, random: () => c.rng.between(1, 24) };
  line.load({
    exchanges: [
      ...c.exchanges.map((e, i) => ({ command: e.command, reply: c.replies[i] })),
      ...(checkFollowUp ? [{ command: u8(0x01), reply: followUp }] : []),
    ],
    piece: pieces[c.chunking],
    end: c.end,
  });
  const got = await bounded(c.built.drive(device));
  const fail = (why: string) => `${why}\n${describeCase(c)}`;
  if (got === "hung") return fail("HANG: the driver call did not settle");
  if (!got.ok) {
    const error = got.error;
    if (error instanceof HarnessFailure) return fail(error.message);
    if (!(error instanceof QrngError) || !EXPECTED_KINDS.has(error.kind)) {
      return fail(`CRASH: ${error instanceof Error ? error.stack : String(error)}`);
    }
    if (expected.valid) {
      return fail(
        `REJECTED a valid answer: ${error.kind}: ${error.message}\nexpected ${canonical(expected.value)}`,
      );
    }
    if (expected.nack && error.kind !== "nack") {
      return fail(`the device said NACK, the driver reported ${error.kind}: ${error.message}`);
    }
    return undefined;
  }
  if (!expected.valid) return fail(`WRONG SUCCESS: the driver resolved ${canonical(got.value)}`);
  const want = canonical(atDriverPrecision(expected.value, got.value));
  if (canonical(got.value) !== want) {
    return fail(`WRONG VALUE:\n driver ${canonical(got.value)}\n oracle ${want}`);
  }
  if (line.commandsSent !== c.exchanges.length) {
    return fail(`the driver sent ${line.commandsSent} commands, the flow has ${c.exchanges.length}`);
  }
  if (!checkFollowUp) return undefined;
  const next = await bounded(device.status());
  if (next === "hung") return fail("HANG: the follow-up GET_STATUS did not settle");
  if (!next.ok) return fail(`the follow-up GET_STATUS failed: ${String(next.error)}`);
  if (canonical(next.value) !== canonical(statusValue(followUp.subarray(1)))) {
    return fail(
      `STALE INPUT: the follow-up GET_STATUS resolved ${canonical(next.value)}, its answer was ${
        hex(followUp)
      }`,
    );
  }
  return undefined;
}

/** A case in a few lines: what was asked, what was played, how. */
export function describeCase(c: FuzzCase): string {
  const lines = [
    `case ${c.index} of seed ${c.seed}: ${c.scenario}; mutations ${
      c.mutations.join(" + ")
    } of reply ${c.target}; chunks ${c.chunking}; line then ${c.end}`,
  ];
  c.exchanges.forEach((e, i) => lines.push(`  command ${short(e.command)} -> reply ${short(c.replies[i])}`));
  return lines.join("\n");
}

/** The command that reruns one case, for failure messages. */
export function reproduction(seed: number, index: number): string {
  return `bun scripts/fuzz-cmdctrl.ts --seed ${seed} --case ${index}`;
}
