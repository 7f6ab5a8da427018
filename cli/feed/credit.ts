/**
 * What `qrng feed` may tell the kernel its bytes are worth. The health gate tests the device's
 * bytes against a claimed min-entropy H bits per byte (`--h`); that claim is all the gate
 * vouches for, so the kernel is credited H bits per byte, never a flat 8 unless H = 8.
 *
 * After post-processing the credit is what each output byte provably carries:
 * - xor-fold N: an output byte is the XOR of N input bytes, and given the other N - 1 it is a
 *   bijection of the last one, so its min-entropy (given everything before) is at least that
 *   byte's H. Folding does not earn more than H per output byte: N bytes of a source confined to
 *   a 4-bit subspace fold into the same subspace, so a min-entropy claim cannot add up.
 * - von Neumann: which bits survive depends on the data, and a per-byte claim bounds nothing
 *   about them (a source of 0x55 or 0xAA bytes at H = 1 debiases into runs of four equal bits;
 *   one of 0x00, 0xFF or 0x55 debiases into zeros only), so there is no credit to give: refused.
 */
import { usageError } from "../errors.ts";

/** The most a byte can carry, in bits. */
export const MAX_BITS_PER_BYTE = 8;

/**
 * The min-entropy in bits per output byte of post-processing `postprocess` (the shape of
 * PostprocessOptions, not imported: credit logic depends on the base alone) over bytes the gate
 * tested at `hPerByte`; a usage error (naming `command`) when none can be claimed.
 */
export function creditBitsPerByte(
  command: string,
  hPerByte: number,
  postprocess: { readonly xorFold?: number; readonly debias?: "von-neumann" },
): number {
  if (postprocess.debias === "von-neumann") {
    throw usageError(
      `qrng ${command}: --debias von-neumann bounds no min-entropy the kernel could be credited with ` +
        `(which bits survive depends on the data); feed without it, or with --xor-fold`,
    );
  }
  return Math.min(hPerByte, MAX_BITS_PER_BYTE);
}

/**
 * Running credit for a stream of bytes at a fixed number of bits per byte: the kernel takes
 * whole bits per call, so each call is credited what the total has grown by, floored. The sum
 * over all calls is floor(bits per byte x all bytes), never more, and loses less than one bit.
 */
export class CreditLedger {
  readonly bitsPerByte: number;
  #bytes = 0;
  #bits = 0;

  constructor(bitsPerByte: number) {
    if (!(bitsPerByte >= 0 && bitsPerByte <= MAX_BITS_PER_BYTE)) {
      throw new RangeError(`CreditLedger: bits per byte must be 0..${MAX_BITS_PER_BYTE}, not ${bitsPerByte}`);
    }
    this.bitsPerByte = bitsPerByte;
  }

  /** The whole bits to credit for `bytes` more bytes (recorded only by {@link record}). */
  creditFor(bytes: number): number {
    return Math.floor(this.bitsPerByte * (this.#bytes + bytes)) - this.#bits;
  }

  /** Records `bytes` more bytes as credited with {@link creditFor}'s bits (the kernel took them). */
  record(bytes: number): void {
    this.#bits += this.creditFor(bytes);
    this.#bytes += bytes;
  }

  /** Bytes recorded so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bits credited so far. */
  get bits(): number {
    return this.#bits;
  }
}
