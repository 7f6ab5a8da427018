/**
 * The digital sum value views: a text table per block plus the overall walk, and a PNG plot of
 * the running DSV against the envelopes +-sqrt(n) and +-3 sqrt(n) that ideal data stays near
 * (a random walk of n steps has standard deviation sqrt(n)).
 */
import { Canvas, type Rgb } from "./canvas.ts";
import { dsvColumns, type DsvSummary } from "./stats.ts";

const INK: Rgb = [0, 0, 0];
const AXIS: Rgb = [150, 150, 150];
const ONE_SIGMA: Rgb = [120, 160, 230];
const THREE_SIGMA: Rgb = [230, 120, 120];
/** Block rows the text shows before eliding the middle. */
const MAX_TEXT_BLOCKS = 16;

const fmt = (n: number) => n.toLocaleString("en-US");

/** The DSV as text: per block (expected spread sqrt(bits per block)) and overall. */
export function dsvText(summary: DsvSummary): string {
  const blockBits = summary.blockBytes * 8;
  const lines = [
    `Digital sum value (+1 per 1 bit, -1 per 0 bit), blocks of ${fmt(summary.blockBytes)} bytes ` +
    `(ideal: within +-${Math.sqrt(blockBits).toFixed(1)} typically, +-${
      (3 * Math.sqrt(blockBits)).toFixed(1)
    } at 3 sigma)`,
  ];
  const n = summary.blocks.length;
  const shown = n <= MAX_TEXT_BLOCKS
    ? [...Array(n).keys()]
    : [...Array(8).keys(), -1, ...Array.from({ length: 8 }, (_, i) => n - 8 + i)];
  let beyond = 0;
  summary.blocks.forEach((d, i) => {
    const bits = Math.min(blockBits, summary.bits - i * blockBits);
    if (Math.abs(d) > 3 * Math.sqrt(bits)) beyond++;
  });
  for (const i of shown) {
    if (i < 0) {
      lines.push(`  ... ${fmt(n - 16)} more blocks ...`);
      continue;
    }
    const bits = Math.min(blockBits, summary.bits - i * blockBits);
    const z = summary.blocks[i] / Math.sqrt(bits);
    lines.push(
      `  block ${String(i).padStart(6)}  DSV ${String(summary.blocks[i]).padStart(7)}  (${z >= 0 ? "+" : ""}${
        z.toFixed(2)
      } sigma)${Math.abs(z) > 3 ? "  !" : ""}`,
    );
  }
  const zAll = summary.bits ? summary.overall / Math.sqrt(summary.bits) : 0;
  lines.push(
    `  blocks beyond 3 sigma: ${beyond} of ${n} (about ${(n * 0.0027).toFixed(1)} expected)`,
    `  overall DSV ${fmt(summary.overall)} over ${fmt(summary.bits)} bits (${zAll >= 0 ? "+" : ""}${
      zAll.toFixed(2)
    } sigma); ` +
      `largest |DSV| ${fmt(summary.maxAbs)} at bit ${fmt(summary.maxAbsAt)}`,
  );
  return lines.join("\n") + "\n";
}

/** Plot size and margins. */
export interface DsvPlotOptions {
  /** @default 800 */
  width?: number;
  /** @default 300 */
  height?: number;
}

/** The running DSV as a PNG line plot with the sqrt(n) and 3 sqrt(n) envelopes and zero line. */
export function dsvPng(data: Uint8Array, options: DsvPlotOptions = {}): Uint8Array {
  const width = options.width ?? 800;
  const height = options.height ?? 300;
  const margin = 8;
  const plotW = width - 2 * margin;
  const mid = height / 2;
  const bits = data.length * 8;
  const { min, max } = dsvColumns(data, plotW);
  const extreme = Math.max(1, ...Array.from(min, Math.abs), ...Array.from(max, Math.abs));
  const scale = (height / 2 - margin) / Math.max(extreme, 3 * Math.sqrt(bits));
  const canvas = new Canvas(width, height);
  canvas.fillRect(margin, mid, plotW, 1, AXIS);
  for (let x = 0; x < plotW; x++) {
    const n = ((x + 1) / plotW) * bits;
    canvas.set(margin + x, mid - Math.sqrt(n) * scale, ONE_SIGMA);
    canvas.set(margin + x, mid + Math.sqrt(n) * scale, ONE_SIGMA);
    canvas.set(margin + x, mid - 3 * Math.sqrt(n) * scale, THREE_SIGMA);
    canvas.set(margin + x, mid + 3 * Math.sqrt(n) * scale, THREE_SIGMA);
  }
  const columns = min.length;
  for (let x = 0; x < plotW && columns > 0; x++) {
    const c = Math.min(columns - 1, Math.floor((x * columns) / plotW));
    canvas.vspan(margin + x, mid - max[c] * scale, mid - min[c] * scale, INK);
  }
  canvas.text(margin + 2, margin, `+${Math.round((height / 2 - margin) / scale)}`, AXIS);
  canvas.text(margin + 2, height - margin - 10, `-${Math.round((height / 2 - margin) / scale)}`, AXIS);
  return canvas.toPng();
}
