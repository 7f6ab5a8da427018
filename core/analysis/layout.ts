/**
 * Static memory of the analysis module. Every region is a fixed `memory.data` segment, so memory
 * never grows with input size; each region is followed by slack so word-wide kernels may read a
 * few bytes past the end of their data (those bytes are masked, never counted).
 *
 *   INPUT_PTR   INPUT_BYTES + slack   callers read data straight into it; the health gate
 *                                     compacts the windows it releases to its front
 *   BLOCK_PTR   FIPS_BLOCK_BYTES + slack   staging for a FIPS block split across chunks
 *   HIST_PTR    256 x u64             byte histogram of everything seen
 *   LOCAL_PTR   2 x 256 x u32         per-block histogram (2 copies break store dependencies)
 *   STATS_PTR   STATS_SLOTS x f64     snapshot of every counter for the binding
 *   LOG_PTR     LOG_TESTS x LOG_SLOTS x f64   offsets of the first failures of each test
 */

/** Size of the input buffer in bytes. */
export const INPUT_BYTES: i32 = 1 << 20;
/** Bytes after each region that kernels may over-read. */
export const SLACK_BYTES: i32 = 64;
/** Bytes in one FIPS 140-2 block (20,000 bits). */
export const FIPS_BLOCK_BYTES: i32 = 2500;
/** Number of f64 slots in the stats snapshot. */
export const STATS_SLOTS: i32 = 128;
/** How many failure offsets are kept per test. */
export const LOG_SLOTS: i32 = 32;
/** Tests with a failure log: RCT, APT, bit count, FIPS. */
export const LOG_TESTS: i32 = 4;

export const INPUT_PTR: usize = memory.data(INPUT_BYTES + SLACK_BYTES, 64);
export const BLOCK_PTR: usize = memory.data(FIPS_BLOCK_BYTES + SLACK_BYTES, 64);
export const HIST_PTR: usize = memory.data(256 * 8, 64);
export const LOCAL_PTR: usize = memory.data(2 * 256 * 4, 64);
export const STATS_PTR: usize = memory.data(STATS_SLOTS * 8, 64);
export const LOG_PTR: usize = memory.data(LOG_TESTS * LOG_SLOTS * 8, 64);

/** Failure-log index of each test. */
export const LOG_RCT: i32 = 0;
export const LOG_APT: i32 = 1;
export const LOG_BITCOUNT: i32 = 2;
export const LOG_FIPS: i32 = 3;

/** Records `offset` as the `count`-th failure (0-based) of `test` if the log has room. */
// @ts-ignore: decorator
@inline export function logFailure(test: i32, count: i64, offset: f64): void {
  if (count < <i64>LOG_SLOTS) store<f64>(LOG_PTR + (((test * LOG_SLOTS) + <i32>count) << 3), offset);
}
