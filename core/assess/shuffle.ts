/**
 * The permutation tests' shuffles (SP 800-90B §5.1): Fisher-Yates driven by xoshiro256**
 * (Blackman and Vigna), seeded from one 64-bit seed through SplitMix64 as its authors advise.
 * Indices come from Lemire's multiply-and-reject method, so every permutation is equally likely
 * and a seed always gives the same sequence of shuffles on every runtime.
 */

let s0: u64 = 0;
let s1: u64 = 0;
let s2: u64 = 0;
let s3: u64 = 0;
let splitState: u64 = 0;

function splitMix64(): u64 {
  splitState += 0x9E3779B97F4A7C15;
  let z = splitState;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

/** Starts the generator from `seed`. */
export function seedShuffles(seed: u64): void {
  splitState = seed;
  s0 = splitMix64();
  s1 = splitMix64();
  s2 = splitMix64();
  s3 = splitMix64();
}

/** Next 64 bits of xoshiro256**. */
// @ts-ignore: decorator
@inline function next(): u64 {
  const result = rotl<u64>(s1 * 5, 7) * 9;
  const t = s1 << 17;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u64>(s3, 45);
  return result;
}

/** Uniform integer in [0, bound), bound ≥ 1, without modulo bias (Lemire 2019). */
// @ts-ignore: decorator
@inline function below(bound: u32): u32 {
  let product = (next() >> 32) * <u64>bound;
  let low = <u32>product;
  if (low < bound) {
    const threshold: u32 = (<u32>0 - bound) % bound;
    while (low < threshold) {
      product = (next() >> 32) * <u64>bound;
      low = <u32>product;
    }
  }
  return <u32>(product >> 32);
}

/** Shuffles the `len` bytes at `ptr` in place (Fisher-Yates, Durstenfeld's form). */
export function shuffleBytes(ptr: usize, len: i32): void {
  for (let i = len - 1; i > 0; i--) {
    const j = <usize>below(<u32>(i + 1));
    const at = ptr + <usize>i;
    const other = load<u8>(ptr + j);
    store<u8>(ptr + j, load<u8>(at));
    store<u8>(at, other);
  }
}
