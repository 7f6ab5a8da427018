/**
 * SplitMix64 (Steele, Lea, Flood 2014): the seeded generator behind the emulated noise source.
 * Emulated data is never random: the same seed gives the same pulses on every runtime.
 */

let state: u64 = 0;

/** Restarts the sequence from `seed`. */
export function seedRng(seed: u64): void {
  state = seed;
}

/** The next 64 pseudo-random bits. */
// @ts-ignore: decorator
@inline export function nextU64(): u64 {
  state += 0x9E3779B97F4A7C15;
  let z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}
