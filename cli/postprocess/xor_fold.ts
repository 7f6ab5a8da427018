/**
 * Block XOR ("xor-fold N"): every N consecutive input bytes are XORed into one output byte. For
 * independent bytes each bit's bias e shrinks to about 2^(N-1) e^N (the piling-up lemma); the
 * output is 1/N of the input.
 */
import type { ByteTransform } from "./transform.ts";

/** Largest fold factor accepted. */
export const MAX_XOR_FOLD = 1024;

/** Creates a block-XOR folder of factor `n` (1 passes bytes through). */
export function xorFold(n: number): ByteTransform {
  if (!Number.isInteger(n) || n < 1 || n > MAX_XOR_FOLD) {
    throw new RangeError(`xor-fold needs 1..${MAX_XOR_FOLD}`);
  }
  let acc = 0;
  let filled = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  return {
    name: `xor-fold ${n}`,
    inputPerOutput: n,
    get bytesIn() {
      return bytesIn;
    },
    get bytesOut() {
      return bytesOut;
    },
    push(input) {
      const out = new Uint8Array(Math.floor((filled + input.length) / n));
      let k = 0;
      for (let i = 0; i < input.length; i++) {
        acc ^= input[i];
        if (++filled === n) {
          out[k++] = acc;
          acc = 0;
          filled = 0;
        }
      }
      bytesIn += input.length;
      bytesOut += k;
      return out;
    },
    flush() {
      acc = 0;
      filled = 0;
      return new Uint8Array(0);
    },
  };
}
