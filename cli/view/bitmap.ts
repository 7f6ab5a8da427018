/**
 * The raw bits as a black-and-white picture, XR232NT's bitmap view: one pixel per bit, most
 * significant bit first, rows of a fixed width; 1 bits are white, 0 bits black. Structure in
 * the data (repeats, stuck bits, bias) shows as patterns; good data looks like even noise.
 * Encoded as a 1-bit greyscale PNG, whose packing is exactly the bit order of the data.
 */
import { encode } from "fast-png";

/** Most rows a bitmap gets; longer data is cut (the caller reports it). */
export const MAX_BITMAP_ROWS = 16384;

/** The bitmap of `data`, `width` pixels wide; an incomplete last row is dropped. */
export function bitmapPng(
  data: Uint8Array,
  width: number,
): { png: Uint8Array; rows: number; bitsShown: number } {
  if (!Number.isInteger(width) || width < 8 || width > 65536) {
    throw new RangeError("bitmap width must be 8..65536");
  }
  const rows = Math.min(MAX_BITMAP_ROWS, Math.floor((data.length * 8) / width));
  if (rows < 1) throw new RangeError(`bitmap needs at least ${width} bits (one row); got ${data.length * 8}`);
  const rowBytes = Math.ceil(width / 8);
  let packed: Uint8Array;
  if (width % 8 === 0) {
    packed = data.subarray(0, rows * rowBytes);
  } else {
    packed = new Uint8Array(rows * rowBytes);
    for (let r = 0; r < rows; r++) {
      for (let x = 0; x < width; x++) {
        const bit = r * width + x;
        if ((data[bit >> 3] >> (7 - (bit & 7))) & 1) packed[r * rowBytes + (x >> 3)] |= 0x80 >> (x & 7);
      }
    }
  }
  const png = encode({ width, height: rows, data: packed, channels: 1, depth: 1 });
  return { png, rows, bitsShown: rows * width };
}
