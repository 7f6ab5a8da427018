/**
 * The digital sum value views: a text table per block plus the overall walk, and a PNG plot of
 * the running DSV against the envelopes +-sqrt(n) and +-3 sqrt(n) that ideal data stays near
 * (a random walk of n steps has standard deviation sqrt(n)).
 */
import { Canvas, type Rgb } from "./canvas.ts";
import { dsv, dsvColumns, type DsvSummary } from "./stats.ts";

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

/** Plot size and the per-block panel. */
export interface DsvPlotOptions {
  /** @default 800 */
  width?: number;
  /** Height of the walk panel. @default 300 */
  height?: number;
  /** Block size of the per-block panel below the walk, in bytes; 0 for no panel. @default 4096 */
  blockBytes?: number;
  /** Height of the per-block panel. @default 120 */
  blockPanelHeight?: number;
}

/**
 * The DSV as a PNG: on top the running walk (black) with the +-sqrt(n) (blue) and +-3 sqrt(n)
 * (red) envelopes and the zero line; below, one bar per block with that block's DSV, blue
 * within +-3 sqrt(bits per block) (the red lines), red beyond.
 */
export function dsvPng(data: Uint8Array, options: DsvPlotOptions = {}): Uint8Array {
  const width = options.width ?? 800;
  const walkH = options.height ?? 300;
  const blockBytes = options.blockBytes ?? 4096;
  const panelH = blockBytes > 0 ? options.blockPanelHeight ?? 120 : 0;
  const margin = 8;
  const plotW = width - 2 * margin;
  const mid = walkH / 2;
  const bits = data.length * 8;
  const { min, max } = dsvColumns(data, plotW);
  const extreme = Math.max(1, ...Array.from(min, Math.abs), ...Array.from(max, Math.abs));
  const scale = (walkH / 2 - margin) / Math.max(extreme, 3 * Math.sqrt(bits));
  const canvas = new Canvas(width, walkH + panelH);
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
  canvas.text(margin + 2, margin, `+${Math.round((walkH / 2 - margin) / scale)}`, AXIS);
  canvas.text(margin + 2, walkH - margin - 10, `-${Math.round((walkH / 2 - margin) / scale)}`, AXIS);
  if (panelH > 0) drawBlockPanel(canvas, data, blockBytes, walkH, panelH, margin);
  return canvas.toPng();
}

/** Per-block DSV bars in the band [top, top + height) of `canvas`. */
function drawBlockPanel(
  canvas: Canvas,
  data: Uint8Array,
  blockBytes: number,
  top: number,
  height: number,
  margin: number,
) {
  const blocks = dsv(data, blockBytes).blocks;
  const plotW = canvas.width - 2 * margin;
  const mid = top + height / 2;
  const limit = 3 * Math.sqrt(blockBytes * 8);
  const extreme = Math.max(limit * 1.2, ...Array.from(blocks, Math.abs));
  const scale = (height / 2 - 4) / extreme;
  canvas.fillRect(0, top, canvas.width, 1, AXIS);
  canvas.fillRect(margin, mid, plotW, 1, AXIS);
  canvas.fillRect(margin, mid - limit * scale, plotW, 1, THREE_SIGMA);
  canvas.fillRect(margin, mid + limit * scale, plotW, 1, THREE_SIGMA);
  const n = blocks.length;
  for (let x = 0; x < plotW && n > 0; x++) {
    const b0 = Math.floor((x * n) / plotW);
    const b1 = Math.max(b0 + 1, Math.floor(((x + 1) * n) / plotW));
    let lo = 0;
    let hi = 0;
    for (let b = b0; b < b1 && b < n; b++) {
      lo = Math.min(lo, blocks[b]);
      hi = Math.max(hi, blocks[b]);
    }
    const colour = Math.max(-lo, hi) > limit ? THREE_SIGMA : ONE_SIGMA;
    canvas.vspan(margin + x, mid - hi * scale, mid - lo * scale, colour);
  }
}
