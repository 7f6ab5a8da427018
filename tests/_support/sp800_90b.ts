/**
 * Reads NIST's `ea_non_iid -vv` outputs (tests/fixtures/sp800-90b/*.res) into values to compare
 * with an assessment, and loads the gzipped sample files beside them.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { FIELD_LABELS } from "../../wasm/assess.ts";

/** Folder of the SP 800-90B fixtures. */
export const SP800_90B_DIR = new URL("../fixtures/sp800-90b/", import.meta.url);

/** One value the tool printed for one estimator on one track. */
export interface ToolValue {
  track: "literal" | "bitstring";
  /** The tool's estimator name ("Most Common Value", "LZ78Y Prediction", ...). */
  name: string;
  /** Key in Estimate.values, or "minEntropy". */
  key: string;
  /** null: "P_local can't change the result."; true: "Found p.", false: "Could Not Find p. ...". */
  value: number | boolean | null;
}

/** Everything one .res file states. */
export interface ToolOutput {
  samples: number;
  distinct: number;
  bits: number;
  binarySymbols: number | null;
  translated: boolean;
  values: ToolValue[];
  hBitstring: number | null;
  hOriginal: number;
  assessed: number;
}

const KEY_OF_LABEL = new Map(Object.entries(FIELD_LABELS).map(([key, label]) => [label, key]));

/** Parses one `ea_non_iid -vv` output. */
export function parseToolOutput(text: string): ToolOutput {
  const loaded = /Loaded (\d+) samples of (\d+) distinct (\d)-bit-wide symbols/.exec(text)!;
  const number = (re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : null;
  };
  const values: ToolValue[] = [];
  for (const line of text.split("\n")) {
    const m = /^(Literal|Bitstring) (.+?) Estimate: (.*)$/.exec(line);
    if (!m) continue;
    const track = m[1] === "Literal" ? "literal" : "bitstring";
    const rest = m[3];
    if (rest === "Found p.") values.push({ track, name: m[2], key: "pFound", value: true });
    else if (rest.startsWith("Could Not Find p.")) {
      values.push({ track, name: m[2], key: "pFound", value: false });
    } else if (rest === "P_local can't change the result.") {
      values.push({ track, name: m[2], key: "pLocal", value: null });
    } else {
      const [label, value] = rest.split(" = ");
      const key = label === "min entropy" ? "minEntropy" : KEY_OF_LABEL.get(label);
      if (!key) throw new Error(`Unknown label in tool output: ${line}`);
      values.push({ track, name: m[2], key, value: Number(value) });
    }
  }
  return {
    samples: Number(loaded[1]),
    distinct: Number(loaded[2]),
    bits: Number(loaded[3]),
    binarySymbols: number(/Number of Binary Symbols: (\d+)/),
    translated: text.includes("Symbols have been translated."),
    values,
    hBitstring: number(/H_bitstring = (\S+)/),
    hOriginal: number(/H_original: (\S+)/)!,
    assessed: number(/Assessed min entropy: (\S+)/)!,
  };
}

/** The sample files NIST ships, with how the tool was run on them. */
export const NIST_SAMPLES: Array<{ name: string; bits?: number }> = [
  { name: "truerand_1bit", bits: 1 },
  { name: "truerand_4bit", bits: 4 },
  { name: "truerand_8bit", bits: 8 },
  { name: "biased-random-bits", bits: 1 },
  { name: "biased-random-bytes", bits: 8 },
  { name: "normal" },
  { name: "ringOsc-nist" },
  { name: "data.pi" },
  { name: "rand1_short", bits: 1 },
  { name: "rand4_short", bits: 4 },
  { name: "rand8_short", bits: 8 },
];

/** The samples of `name` (truerand_8bit.bin is shared with the other vectors). */
export function loadSamples(name: string): Uint8Array {
  if (name === "truerand_8bit") {
    return readFileSync(new URL("../fixtures/truerand_8bit.bin", import.meta.url));
  }
  return gunzipSync(readFileSync(new URL(`${name}.bin.gz`, SP800_90B_DIR)));
}

/** NIST's verbose output for `name`. */
export function loadToolOutput(name: string): ToolOutput {
  return parseToolOutput(readFileSync(new URL(`${name}.res`, SP800_90B_DIR), "utf8"));
}
