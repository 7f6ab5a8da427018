/**
 * The deterministic byte stream emulators send instead of random data: xoshiro128** seeded
 * through splitmix32. Not random and not secret; its only virtue is that tests can recompute
 * exactly what an emulator sent, whatever the chunking of the reads.
 */

const BLOCK_WORDS = 1024;

/** A seeded, reproducible byte stream. */
export class SeededBytes {
  readonly #s = new Uint32Array(4);
  readonly #block = new Uint32Array(BLOCK_WORDS);
  readonly #blockBytes = new Uint8Array(this.#block.buffer);
  #used = this.#blockBytes.length;
  /** Bytes produced so far. */
  produced = 0;

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.#s.every((w) => w === 0)) this.#s[0] = 1;
  }

  #refill(): void {
    const s = this.#s;
    const out = this.#block;
    let s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    for (let i = 0; i < BLOCK_WORDS; i++) {
      const m = Math.imul(s1, 5);
      out[i] = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
    this.#used = 0;
  }

  /** Fills `buffer` with the next bytes of the stream. */
  fill(buffer: Uint8Array): void {
    let stored = 0;
    while (stored < buffer.length) {
      if (this.#used === this.#blockBytes.length) this.#refill();
      const take = Math.min(buffer.length - stored, this.#blockBytes.length - this.#used);
      buffer.set(this.#blockBytes.subarray(this.#used, this.#used + take), stored);
      this.#used += take;
      stored += take;
    }
    this.produced += buffer.length;
  }

  /** The next `length` bytes as a new array. */
  take(length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    this.fill(bytes);
    return bytes;
  }
}
