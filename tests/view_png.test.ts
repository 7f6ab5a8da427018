import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { decode } from "fast-png";
import { describe, expect, it } from "vitest";
import { bitmapPng, dsvPng, histogram, histogramPng } from "../cli/view/mod.ts";
import { ROOT } from "./_support/cli.ts";

const fixture = (name: string) => new Uint8Array(readFileSync(join(ROOT, "tests/fixtures", name)));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Checks a PNG by the letter of the format, independently of the encoder: signature, every
 * chunk's CRC, IHDR first and IEND last, and IDAT inflating to exactly one filter byte plus the
 * packed pixels per row. Returns the header fields.
 */
function checkPng(png: Uint8Array) {
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: { type: string; data: Uint8Array }[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    expect(view.getUint32(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(chunks[0].type).toBe("IHDR");
  expect(chunks.at(-1)!.type).toBe("IEND");
  const h = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, 13);
  const header = {
    width: h.getUint32(0),
    height: h.getUint32(4),
    depth: h.getUint8(8),
    colorType: h.getUint8(9),
  };
  const channels = header.colorType === 2 ? 3 : 1;
  const idat = Buffer.concat(chunks.filter((c) => c.type === "IDAT").map((c) => c.data));
  const raw = inflateSync(idat);
  expect(raw.length).toBe(header.height * (1 + Math.ceil((header.width * header.depth * channels) / 8)));
  return header;
}

describe("bitmap PNG", () => {
  it("is a valid 1-bit greyscale PNG whose pixels are the data's bits, 1 = white", () => {
    const data = fixture("data.sha1").subarray(0, 4096);
    const { png, rows } = bitmapPng(data, 256);
    expect(checkPng(png)).toEqual({ width: 256, height: 128, depth: 1, colorType: 0 });
    expect(rows).toBe(128);
    const image = decode(png);
    expect(image.depth).toBe(1);
    expect(Buffer.from(image.data)).toEqual(Buffer.from(data));
  });

  it("repacks rows when the width is not a multiple of 8", () => {
    const data = fixture("entitle.png");
    const { png, rows } = bitmapPng(data, 203);
    expect(rows).toBe(Math.floor((data.length * 8) / 203));
    const image = decode(png);
    const rowBytes = Math.ceil(203 / 8);
    for (const [r, x] of [[0, 0], [0, 202], [5, 17], [rows - 1, 100]]) {
      const bit = r * 203 + x;
      const expected = (data[bit >> 3] >> (7 - (bit & 7))) & 1;
      expect((image.data[r * rowBytes + (x >> 3)] >> (7 - (x & 7))) & 1).toBe(expected);
    }
  });

  it("refuses data shorter than one row", () => {
    expect(() => bitmapPng(new Uint8Array(3), 256)).toThrow(RangeError);
  });
});

describe("plots", () => {
  it("draws the DSV plot as a valid 800x420 RGB PNG with the walk in black", () => {
    const png = dsvPng(fixture("data.sha1").subarray(0, 20_000));
    expect(checkPng(png)).toEqual({ width: 800, height: 420, depth: 8, colorType: 2 });
    const image = decode(png);
    let black = 0;
    for (let i = 0; i < image.data.length; i += 3) {
      if (image.data[i] + image.data[i + 1] + image.data[i + 2] === 0) black++;
    }
    expect(black).toBeGreaterThan(784); // at least one pixel per plot column
  });

  it("marks blocks beyond 3 sigma in red in the per-block panel, and only those", () => {
    const redBelow = (png: Uint8Array) => {
      const image = decode(png);
      let n = 0;
      for (let y = 301; y < image.height; y++) {
        for (let x = 0; x < image.width; x++) {
          const i = (y * image.width + x) * 3;
          if (image.data[i] === 230 && image.data[i + 1] === 120 && image.data[i + 2] === 120) n++;
        }
      }
      return n;
    };
    const ramp = new Uint8Array(64 * 1024).map((_, i) => i & 0xff); // every block's DSV is 0
    const lines = 2 * 784; // the two +-3 sigma lines
    expect(redBelow(dsvPng(ramp, { blockBytes: 1024 }))).toBe(lines);
    const biased = ramp.slice();
    biased.fill(0xff, 10 * 1024, 11 * 1024); // block 10: DSV +8192
    expect(redBelow(dsvPng(biased, { blockBytes: 1024 }))).toBeGreaterThan(lines + 50);
  });

  it("draws the histogram with values outside the band in red only when there are any", () => {
    const red = (png: Uint8Array) => {
      const d = decode(png).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 3) if (d[i] === 210 && d[i + 1] === 40 && d[i + 2] === 40) n++;
      return n;
    };
    const ramp = new Uint8Array(256 * 400).map((_, i) => i & 0xff);
    const flat = histogramPng(histogram(ramp));
    expect(checkPng(flat)).toEqual({ width: 784, height: 300, depth: 8, colorType: 2 });
    expect(red(flat)).toBe(0);
    const skewed = ramp.slice();
    skewed.fill(7, 0, 2000); // value 7 far too often, the others a little short
    expect(red(histogramPng(histogram(skewed)))).toBeGreaterThan(0);
  });
});
