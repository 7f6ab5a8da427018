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

/** Records one prediction's outcome. */
// @ts-ignore: decorator
@inline export function record(hit: bool): void {
  if (hit) {
    correctCount++;
    run++;
    if (run > longestRun) longestRun = run;
  } else {
    run = 0;
  }
}

/** Marker for "no prediction" (a subpredictor without enough history). */
export const NULL_SYMBOL: i32 = -1;

/**
 * The scoreboard of §6.3.7 step 3: each subpredictor that was right gains a point, visiting
 * them in order; one that reaches the leader's score takes the lead, so ties go to the later
 * subpredictor. Scores live at `scores` (i32 × count), guesses at `guesses`.
 */
export function updateScoreboard(scores: usize, guesses: usize, count: i32, actual: i32, winner: i32): i32 {
  for (let j = 0; j < count; j++) {
    if (load<i32>(guesses + (<usize>j << 2)) != actual) continue;
    const at = scores + (<usize>j << 2);
    const score = load<i32>(at) + 1;
    store<i32>(at, score);
    if (score >= load<i32>(scores + (<usize>winner << 2))) winner = j;
  }
  return winner;
}
