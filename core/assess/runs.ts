/**
 * Bookkeeping every predictor shares (§6.3.7-6.3.10): the count of correct predictions and the
 * longest run of them, plus the scoreboard that picks which subpredictor speaks next.
 */

/** Correct predictions so far. */
export let correctCount: f64 = 0;
/** Longest run of consecutive correct predictions so far. */
export let longestRun: i32 = 0;
let run: i32 = 0;

/** Starts counting a new predictor's outcomes. */
export function resetOutcomes(): void {
  correctCount = 0;
  longestRun = 0;
  run = 0;
}

/**
 * Records one prediction's outcome. Branch-free: on noisy data a hit is a coin toss, and a
 * mispredicted branch per step cost more than the arithmetic.
 */
// @ts-ignore: decorator
@inline export function record(hit: bool): void {
  const h = <i32>hit;
  correctCount += <f64>h;
  run = (run + 1) & -h;
  longestRun = max(longestRun, run);
}

/** Marker for "no prediction" (a subpredictor without enough history). */
export const NULL_SYMBOL: i32 = -1;

/**
 * The scoreboard of §6.3.7 step 3: each subpredictor that was right gains a point, visiting
 * them in order; one that reaches the leader's score takes the lead, so ties go to the later
 * subpredictor. Scores live at `scores` (i32 × count), guesses at `guesses`. Branch-free (see
 * record); the leader's score is carried along, as only a hit can change it.
 */
export function updateScoreboard(scores: usize, guesses: usize, count: i32, actual: i32, winner: i32): i32 {
  let leading = load<i32>(scores + (<usize>winner << 2));
  for (let j = 0; j < count; j++) {
    const hit = <i32>(load<i32>(guesses + (<usize>j << 2)) == actual);
    const at = scores + (<usize>j << 2);
    const score = load<i32>(at) + hit;
    store<i32>(at, score);
    const takes = <bool>(hit & <i32>(score >= leading));
    winner = select<i32>(j, winner, takes);
    leading = select<i32>(score, leading, takes);
  }
  return winner;
}
