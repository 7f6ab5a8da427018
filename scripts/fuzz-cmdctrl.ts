/**
 * The Cmd&Ctrl decoder fuzzer at length: 10^7 cases by default (see
 * tests/_support/cmdctrl_fuzz.ts for what a case is and what it checks), progress on stderr,
 * stopping at the first failure with the case printed.
 *
 *   bun scripts/fuzz-cmdctrl.ts [--seed N] [--cases N] [--from I]
 *       runs cases I..I+N-1 of seed N (I defaults to 0; --from splits a long run over processes)
 *   bun scripts/fuzz-cmdctrl.ts --seed N --case I         rerun one case on a fresh driver
 *
 * One driver serves all cases, reset between them by its own drain() (a fresh codec costs
 * 0.3 ms, three times a case); a failure is confirmed on a fresh driver before it is reported.
 */
import { parseArgs } from "node:util";
import {
  describeCase,
  expectation,
  makeCase,
  makeRig,
  reproduction,
  runCase,
} from "../tests/_support/cmdctrl_fuzz.ts";
import { canonical } from "../tests/_support/cmdctrl_oracle.ts";

const PROGRESS_EVERY_CASES = 250_000;

const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    cases: { type: "string" },
    from: { type: "string" },
    case: { type: "string" },
  },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(seed)) throw new Error("--seed takes an integer");

if (values.case !== undefined) {
  const index = Number(values.case);
  const c = makeCase(seed, index);
  const expected = expectation(c);
  console.log(describeCase(c));
  console.log(
    `oracle: ${
      expected.valid ? `valid, ${canonical(expected.value)}` : `invalid${expected.nack ? " (NACK)" : ""}`
    }`,
  );
  const failure = await runCase(seed, index, makeRig());
  console.log(failure ? `FAILS: ${failure.split("\n")[0]}` : "passes");
  process.exit(failure ? 1 : 0);
}

const cases = Number(values.cases ?? 10_000_000);
const from = Number(values.from ?? 0);
const rig = makeRig();
const started = performance.now();
console.error(`fuzz-cmdctrl: seed ${seed}, cases ${from}..${from + cases - 1}`);
for (let index = from; index < from + cases; index++) {
  const failure = await runCase(seed, index, rig);
  if (failure) {
    const fresh = await runCase(seed, index, makeRig());
    console.error(`FAILURE after ${index - from} passing cases:\n${failure}`);
    if (!fresh) console.error("(passes on a fresh driver: state leaked from earlier cases)");
    console.error(`reproduce: ${reproduction(seed, index)}`);
    process.exit(1);
  }
  const done = index + 1 - from;
  if (done % PROGRESS_EVERY_CASES === 0) {
    const s = (performance.now() - started) / 1000;
    console.error(`${done} cases, ${s.toFixed(0)} s (${Math.round(done / s)} cases/s)`);
  }
}
const seconds = (performance.now() - started) / 1000;
console.error(`fuzz-cmdctrl: ${cases} cases passed in ${seconds.toFixed(1)} s (seed ${seed})`);
