/**
 * The known-answer vectors of tests/fixtures/VECTORS.md as data, and the constructed inputs it
 * describes. The numbers are copied from that file (which came from ent, upstream rngtest and
 * NIST's tools); the tests compare qrng against them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./cli.ts";

/** One vector row. */
export interface Vector {
  name: string;
  data: () => Uint8Array;
  /** `ent -t` and `ent -b -t` data rows. */
  entBytes: string;
  entBits: string;
  /** χ² percentage as ent words it. */
  chiPercent?: string;
  fips: {
    blocks: number;
    failed: number;
    failures: number[];
    ones: number;
    pokerSum: number;
    runs0?: number[];
    runs1?: number[];
  };
  mcv?: { count: number; h: number; digits: number };
}

const fixture = (name: string) => () => new Uint8Array(readFileSync(join(ROOT, "tests", "fixtures", name)));

/** 0, 1, …, 255 repeated 4000 times. */
export function ramp(): Uint8Array {
  const data = new Uint8Array(1_024_000);
  for (let i = 0; i < data.length; i++) data[i] = i & 255;
  return data;
}

export const VECTORS: Vector[] = [
  {
    name: "data.sha1",
    data: fixture("data.sha1"),
    entBytes: "1,125000,7.998541,253.210112,127.506568,3.143858,0.000877",
    entBits: "1,1000000,1.000000,0.268324,0.500259,3.143858,0.001016",
    chiPercent: "51.99",
    fips: {
      blocks: 49,
      failed: 0,
      failures: [0, 0, 0, 0, 0],
      ones: 9939,
      pokerSum: 1566408,
      runs0: [2524, 1331, 654, 313, 131, 142],
      runs1: [2621, 1274, 610, 281, 162, 146],
    },
    mcv: { count: 543, h: 7.6958112845, digits: 10 },
  },
  {
    name: "truerand_8bit.bin",
    data: fixture("truerand_8bit.bin"),
    entBytes: "1,1000000,7.999798,279.919616,127.574886,3.140269,0.000361",
    entBits: "1,8000000,1.000000,0.915304,0.500169,3.140269,0.000051",
    chiPercent: "13.59",
    fips: {
      blocks: 399,
      failed: 0,
      failures: [0, 0, 0, 0, 0],
      ones: 9935,
      pokerSum: 1567200,
      runs0: [2452, 1278, 600, 329, 166, 160],
      runs1: [2503, 1243, 610, 304, 176, 150],
    },
    mcv: { count: 4124, h: 7.8651180028995897, digits: 13 },
  },
  {
    name: "entitle.png",
    data: fixture("entitle.png"),
    entBytes: "1,9267,7.944368,777.830042,126.729794,3.170984,0.059129",
    entBits: "1,74136,0.999920,8.248678,0.494726,3.170984,-0.015274",
    chiPercent: "less than 0.01",
    fips: { blocks: 3, failed: 1, failures: [0, 1, 1, 1, 0], ones: 9767, pokerSum: 1578368 },
    mcv: { count: 84, h: 6.4296683860, digits: 10 },
  },
  {
    name: "0..255 ramp ×4000",
    data: ramp,
    entBytes: "1,1024000,8.000000,0.000000,127.500000,2.843753,0.976654",
    entBits: "1,8192000,1.000000,0.000000,0.500000,2.843753,0.000000",
    fips: { blocks: 409, failed: 268, failures: [0, 268, 0, 0, 0], ones: 9944, pokerSum: 1563156 },
  },
  {
    name: "1,000,000 zeros",
    data: () => new Uint8Array(1_000_000),
    entBytes: "1,1000000,0.000000,255000000.000000,0.000000,4.000000,-100000.000000",
    entBits: "", // not in the vectors table
    fips: { blocks: 399, failed: 399, failures: [399, 399, 399, 399, 399], ones: 0, pokerSum: 25000000 },
  },
];

/** truerand_8bit.bin as a bitstring: most common bit count and its MCV H. */
export const TRUERAND_BITS_MCV = { count: 4001353, h: 0.9981992801198275 };
