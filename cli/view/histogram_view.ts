/**
 * The byte-value histogram ("byte valencies") against what ideal data gives: each count is
 * binomial(n, 1/256), expected n/256 with standard deviation sqrt(n/256 * 255/256); about 0.7
 * of the 256 values fall outside +-3 sigma by chance. As a terminal chart and as a PNG.
 */
import { Canvas, type Rgb } from "./canvas.ts";
import type { Histogram } from "./stats.ts";

const LEVELS = " ▁▂▃▄▅▆▇█";
const BAND: Rgb = [215, 240, 215];
const EXPECTED: Rgb = [40, 140, 40];
const BAR: Rgb = [60, 90, 170];
const BAR_OUTSIDE: Rgb = [210, 40, 40];
const AXIS: Rgb = [150, 150, 150];

/** The vertical range a chart shows: the band with room around it and every count. */
function range(h: Histogram): { lo: number; hi: number } {
  let lo = h.expected - 4 * h.sigma;
  let hi = h.expected + 4 * h.sigma;
  for (const c of h.counts) {
    lo = Math.min(lo, c);
    hi = Math.max(hi, c);
  }
  lo = Math.max(0, lo - h.sigma);
  return { lo, hi: hi + h.sigma || 1 };
}

/**
 * The histogram as text: four rows of 64 values, one column per value, bar height between the
 * chart's low and high; a marker row flags values outside +-3 sigma.
 */
export function histogramText(h: Histogram): string {
  const { lo, hi } = range(h);
  const level = (c: number) => LEVELS[Math.max(0, Math.min(8, Math.round(((c - lo) / (hi - lo)) * 8)))];
  const bandLo = h.expected - 3 * h.sigma;
  const bandHi = h.expected + 3 * h.sigma;
  const lines = [
    `Byte histogram: ${h.total.toLocaleString("en-US")} bytes, expected ${
      h.expected.toFixed(1)
    } per value, ` +
    `3 sigma band ${Math.max(0, bandLo).toFixed(1)}..${bandHi.toFixed(1)} (chart from ${lo.toFixed(0)} to ${
      hi.toFixed(0)
    }; ! = outside)`,
  ];
  for (let row = 0; row < 4; row++) {
    const values = Array.from({ length: 64 }, (_, i) => row * 64 + i);
    const label = `${(row * 64).toString(16).padStart(2, "0")}-${
      (row * 64 + 63).toString(16).padStart(2, "0")
    }`;
    lines.push(`  ${label} |${values.map((v) => level(h.counts[v])).join("")}|`);
    const marks = values.map((v) => (h.outside.includes(v) ? "!" : " ")).join("");
    if (marks.trim()) lines.push(`        ${marks}`);
  }
  const min = Math.min(...h.counts);
  const max = Math.max(...h.counts);
  lines.push(
    `  counts ${min}..${max}; outside 3 sigma: ${h.outside.length} value(s) (about 0.7 expected)` +
      (h.outside.length
        ? `: ${h.outside.slice(0, 16).map((v) => "0x" + v.toString(16).padStart(2, "0")).join(" ")}${
          h.outside.length > 16 ? " ..." : ""
        }`
        : ""),
  );
  return lines.join("\n") + "\n";
}

/** The histogram as a PNG: 256 bars (3 px each), the +-3 sigma band shaded, expected count drawn. */
export function histogramPng(h: Histogram, height = 300): Uint8Array {
  const margin = 8;
  const barW = 3;
  const width = 256 * barW + 2 * margin;
  const { lo, hi } = range(h);
  const plotH = height - 2 * margin - 12;
  const y = (c: number) => margin + plotH - ((c - lo) / (hi - lo)) * plotH;
  const canvas = new Canvas(width, height);
  const bandTop = y(h.expected + 3 * h.sigma);
  const bandBottom = y(Math.max(lo, h.expected - 3 * h.sigma));
  canvas.fillRect(margin, bandTop, 256 * barW, bandBottom - bandTop, BAND);
  for (let v = 0; v < 256; v++) {
    const top = y(h.counts[v]);
    canvas.fillRect(
      margin + v * barW,
      top,
      barW - 1,
      margin + plotH - top,
      h.outside.includes(v) ? BAR_OUTSIDE : BAR,
    );
  }
  canvas.fillRect(margin, y(h.expected), 256 * barW, 1, EXPECTED);
  canvas.fillRect(margin, margin + plotH, 256 * barW, 1, AXIS);
  canvas.text(margin, height - margin - 10, "0", AXIS);
  canvas.text(margin + 255 * barW - 16, height - margin - 10, "255", AXIS);
  canvas.text(margin + 2, margin, String(Math.round(hi)), AXIS);
  return canvas.toPng();
}
