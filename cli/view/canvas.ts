/**
 * A tiny RGB raster for the plots, encoded to PNG with fast-png. Only what the views draw:
 * filled rectangles, single pixels, vertical spans and a 3x5 digit font for axis labels.
 */
import { encode } from "fast-png";

/** An RGB colour. */
export type Rgb = readonly [number, number, number];

// 3x5 glyphs, rows top to bottom, 3 bits each (MSB = left column).
const GLYPHS: Record<string, number[]> = {
  "0": [7, 5, 5, 5, 7],
  "1": [2, 6, 2, 2, 7],
  "2": [7, 1, 7, 4, 7],
  "3": [7, 1, 7, 1, 7],
  "4": [5, 5, 7, 1, 1],
  "5": [7, 4, 7, 1, 7],
  "6": [7, 4, 7, 5, 7],
  "7": [7, 1, 1, 1, 1],
  "8": [7, 5, 7, 5, 7],
  "9": [7, 5, 7, 1, 7],
  "-": [0, 0, 7, 0, 0],
  "+": [0, 2, 7, 2, 0],
  ".": [0, 0, 0, 0, 2],
  " ": [0, 0, 0, 0, 0],
  "k": [4, 5, 6, 5, 5],
  "M": [5, 7, 7, 5, 5],
};

/** An RGB image being drawn. */
export class Canvas {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number, background: Rgb = [255, 255, 255]) {
    if (!(width >= 1 && height >= 1)) throw new RangeError("canvas needs a positive size");
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel (ignored outside the image). */
  set(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const at = (y * this.width + x) * 3;
    this.data[at] = c[0];
    this.data[at + 1] = c[1];
    this.data[at + 2] = c[2];
  }

  /** Fills [x, x+w) x [y, y+h), clipped. */
  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.set(xx, yy, c);
  }

  /** Draws a vertical span between two y values at column x. */
  vspan(x: number, ya: number, yb: number, c: Rgb): void {
    const lo = Math.round(Math.min(ya, yb));
    const hi = Math.round(Math.max(ya, yb));
    for (let y = lo; y <= hi; y++) this.set(x, y, c);
  }

  /** Draws text in the 3x5 font scaled by `scale`, top-left at (x, y). */
  text(x: number, y: number, text: string, c: Rgb, scale = 2): void {
    for (const ch of text) {
      const glyph = GLYPHS[ch] ?? GLYPHS[" "];
      glyph.forEach((row, r) => {
        for (let col = 0; col < 3; col++) {
          if ((row >> (2 - col)) & 1) this.fillRect(x + col * scale, y + r * scale, scale, scale, c);
        }
      });
      x += 4 * scale;
    }
  }

  /** The image as PNG bytes. */
  toPng(): Uint8Array {
    return encode({ width: this.width, height: this.height, data: this.data, channels: 3, depth: 8 });
  }
}
