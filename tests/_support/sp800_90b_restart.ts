/**
 * The constructed restart datasets of tests/fixtures/sp800-90b/restart/ (see its README) and
 * the values `ea_restart -v` printed for them.
 */
import { readFileSync } from "node:fs";
import { SP800_90B_DIR } from "./sp800_90b.ts";

/** 1000 × 1000 8-bit samples: xorshift32's top byte; `stuck` repeats the first 20 in every row. */
export function restartDataset(stuck: boolean): Uint8Array {
  const out = new Uint8Array(1_000_000);
  let x = 2463534242;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x >>> 24;
  }
  if (stuck) { for (let row = 1; row < 1000; row++) out.copyWithin(row * 1000, 0, 20); }
  return out;
}

/** What one `ea_restart -v` output states; null where it stopped before. */
export interface ToolRestartOutput {
  cutoff: number;
  maxCount: number;
  sanityPassed: boolean;
  hRow: number | null;
  hColumn: number | null;
  validated: number | null;
}

/** Parses tests/fixtures/sp800-90b/restart/NAME.txt. */
export function loadRestartToolOutput(name: string): ToolRestartOutput {
  const text = readFileSync(new URL(`restart/${name}.txt`, SP800_90B_DIR), "utf8");
  const number = (re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : null;
  };
  return {
    cutoff: number(/X_cutoff: (\d+)/)!,
    maxCount: number(/X_max: (\d+)/)!,
    sanityPassed: text.includes("Restart Sanity Check Passed"),
    hRow: number(/H_r: (\S+)/),
    hColumn: number(/H_c: (\S+)/),
    validated: number(/min\(H_r, H_c, H_I\): (\S+)/),
  };
}
