/**
 * Von Neumann debiasing: take the bits in non-overlapping pairs; 01 gives 0, 10 gives 1, 00 and
 * 11 give nothing. Independent bits with any fixed bias come out unbiased, at a cost: an
 * unbiased input keeps 1/4 of its bits, a biased one (P(1) = p) keeps p(1 - p).
 * Bits are taken and packed most significant first.
 */
import type { ByteTransform } from "./transform.ts";

// For every input byte (four pairs): how many bits it yields and their value, right-aligned.
const YIELD_COUNT = new Uint8Array(256);
const YIELD_BITS = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++) {
  let count = 0;
  let bits = 0;
  for (let shift = 6; shift >= 0; shift -= 2) {
    const pair = (byte >> shift) & 3;
    if (pair === 1 || pair === 2) {
      bits = (bits << 1) | (pair >> 1);
      count++;
    }
  }
  YIELD_COUNT[byte] = count;
  YIELD_BITS[byte] = bits;
}

/** Creates a von Neumann debiaser. */
export function vonNeumann(): ByteTransform {
  let acc = 0; // pending output bits, right-aligned
  let accBits = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  return {
    name: "von Neumann",
    inputPerOutput: 4,
    get bytesIn() {
      return bytesIn;
    },
    get bytesOut() {
      return bytesOut;
    },
    push(input) {
      const out = new Uint8Array((input.length + 1) >> 1);
      let n = 0;
      for (let i = 0; i < input.length; i++) {
        const count = YIELD_COUNT[input[i]];
        acc = (acc << count) | YIELD_BITS[input[i]];
        accBits += count;
        if (accBits >= 8) {
          accBits -= 8;
          out[n++] = (acc >> accBits) & 0xff;
          acc &= (1 << accBits) - 1;
        }
      }
      bytesIn += input.length;
      bytesOut += n;
      return out.subarray(0, n);
    },
    flush() {
      acc = 0;
      accBits = 0;
      return new Uint8Array(0);
    },
  };
}
