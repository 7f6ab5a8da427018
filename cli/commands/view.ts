/**
 * `qrng view`: XR232NT's illustrations for any data (a file, stdin or a device): hex dump, the
 * raw bits as a bitmap PNG, the digital sum value per block and overall (text and PNG plot),
 * the byte histogram with its +-3 sigma band (terminal chart and PNG). Optional
 * post-processing first, with its cost reported.
 */
import { type Command, parseFlags } from "../command.ts";
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { readUpTo } from "../byte_io.ts";
import { PostprocessChain } from "../postprocess/mod.ts";
import { POSTPROCESS_FLAGS, POSTPROCESS_HELP, postprocessOptions, withCtsTimeout } from "./source_flags.ts";
import {
  bitmapPng,
  dsv,
  dsvPng,
  dsvText,
  hexDump,
  histogramFromCounts,
  histogramPng,
  histogramText,
} from "../view/mod.ts";
import { openSource } from "../sources/registry.ts";
import { writeWholeFile } from "../output/sink.ts";
import { Analyzer } from "../../wasm/analysis.ts";
import { printable } from "../printable.ts";

/** Most bytes `qrng view` takes in; views of more are not more illustrative. */
export const VIEW_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_HEX_BYTES = 256;
/** Bytes read from a device when --bytes is not given. */
const DEVICE_DEFAULT_BYTES = 65536;
const DEFAULT_BLOCK_BYTES = 4096;
const DEFAULT_WIDTH = 256;

const HELP = `qrng view: look at random data the way XR232NT showed it

Usage: qrng view [FILE|-|--device URI] [--bytes N] [--hex N] [--block N] [--show LIST]
                 [--bitmap PNG [--width W]] [--dsv PNG] [--histogram PNG]
                 [--xor-fold N] [--debias von-neumann]

Reads FILE, stdin or a device (raw bytes, not health-gated: views are for looking at any data,
bad data included) and prints a hex dump, the digital sum value (DSV: +1 per 1 bit, -1 per
0 bit) per block and overall, and the byte histogram against its expected +-3 sigma band.
These are illustrations: judge data with 'qrng test' on large samples.

Options:
  --device URI      read from a device instead, e.g. xr232:/dev/ttyUSB0 or sim:xr232usb
  --cts-timeout T   XR232 stall policy: wait (default) or milliseconds before a reopen
  --bytes N         use only the first N bytes (default: all, at most 64 MiB; 64 KiB from a device)
  --hex N           bytes in the hex dump (default ${DEFAULT_HEX_BYTES}; 0 for none)
  --block N         DSV block size in bytes (default ${DEFAULT_BLOCK_BYTES})
  --show LIST       text sections, comma-separated: hex,dsv,histogram (default all)
  --bitmap PNG      write the raw bits as a black/white image (1 = white)
  --width W         bitmap width in pixels (default ${DEFAULT_WIDTH})
  --dsv PNG         write the DSV plot: the running walk with +-sqrt(n) and +-3 sqrt(n)
                    envelopes, and below it each block's DSV against +-3 sigma
  --histogram PNG   write the byte histogram with the +-3 sigma band
${POSTPROCESS_HELP}

Example:
  qrng view random.bin --bitmap bits.png --width 512 --histogram hist.png
`;

function positiveInt(
  command: string,
  flag: string,
  text: string | undefined,
  fallback: number,
  min = 1,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw usageError(`qrng ${command}: ${flag} needs an integer >= ${min}`);
  }
  return n;
}

/** Reads `bytes` raw bytes from a device (emulators say so on stderr). */
async function readDevice(
  uri: string,
  bytes: number,
  platform: Platform,
): Promise<{ data: Uint8Array; source: string }> {
  const log = (line: string) => platform.writeStderr(`qrng view: ${printable(line)}\n`);
  const device = await openSource(uri, { platform, sizeHint: bytes, log });
  const data = new Uint8Array(bytes);
  try {
    if (device.emulated) log(`WARNING: ${uri} is an emulator: its data is a reproducible stream, NOT random`);
    for (let got = 0; got < bytes;) {
      const chunk = await device.next();
      const take = Math.min(chunk.length, bytes - got);
      data.set(chunk.subarray(0, take), got);
      got += take;
    }
  } finally {
    await device.close();
  }
  return { data, source: device.description };
}

/** `qrng view`. */
export const viewCommand: Command = {
  name: "view",
  summary: "Hex dump, bitmap, DSV and byte histogram of any data (text and PNG)",
  help: HELP,
  async run(argv: string[], platform: Platform): Promise<number> {
    const { values, positionals } = parseFlags("view", argv, {
      bytes: { type: "string" },
      device: { type: "string" },
      "cts-timeout": { type: "string" },
      hex: { type: "string" },
      block: { type: "string" },
      show: { type: "string" },
      bitmap: { type: "string" },
      width: { type: "string" },
      dsv: { type: "string" },
      histogram: { type: "string" },
      ...POSTPROCESS_FLAGS,
    }, 1);
    const limit = positiveInt(
      "view",
      "--bytes",
      values.bytes,
      values.device ? DEVICE_DEFAULT_BYTES : VIEW_MAX_BYTES,
    );
    if (limit > VIEW_MAX_BYTES) throw usageError(`qrng view: --bytes is at most ${VIEW_MAX_BYTES}`);
    const hexBytes = positiveInt("view", "--hex", values.hex, DEFAULT_HEX_BYTES, 0);
    const blockBytes = positiveInt("view", "--block", values.block, DEFAULT_BLOCK_BYTES);
    const width = positiveInt("view", "--width", values.width, DEFAULT_WIDTH, 8);
    const show = new Set(
      (values.show ?? "hex,dsv,histogram").split(",").map((s) => s.trim()).filter(Boolean),
    );
    for (const s of show) {
      if (!["hex", "dsv", "histogram"].includes(s)) {
        throw usageError(`qrng view: --show knows hex, dsv, histogram (not '${s}')`);
      }
    }
    const chain = new PostprocessChain(postprocessOptions("view", values));

    if (values.device !== undefined && positionals.length) {
      throw usageError("qrng view: give a FILE or --device, not both");
    }
    const want = chain.active ? Math.min(VIEW_MAX_BYTES, chain.inputFor(limit)) : limit;
    const path = positionals[0] ?? "-";
    let data: Uint8Array;
    let source: string;
    if (values.device !== undefined) {
      const uri = withCtsTimeout(values.device, values["cts-timeout"], "view");
      ({ data, source } = await readDevice(uri, want, platform));
    } else {
      const reader = path === "-" ? platform.stdin : await platform.openReader(path);
      try {
        data = await readUpTo(reader, want);
      } finally {
        if (path !== "-") await reader.close();
      }
      source = path === "-" ? "stdin" : path;
    }
    if (chain.active) {
      data = chain.push(data).slice(0, limit);
      chain.flush();
    }
    if (data.length === 0) throw new QrngError("input", `Cannot view ${source}: no data`);

    const out: string[] = [`${source}: ${data.length.toLocaleString("en-US")} bytes`];
    for (const line of chain.report()) out.push(`post-processing ${line}`);
    out.push("");
    if (show.has("hex") && hexBytes > 0) out.push(hexDump(data.subarray(0, hexBytes)));
    const analyzer = new Analyzer({ fips: false, ent: false, dsv: true });
    analyzer.push(data);
    const core = analyzer.results();
    const summary = { ...dsv(data, blockBytes), overall: core.dsv.final };
    if (show.has("dsv")) out.push(dsvText(summary));
    const hist = histogramFromCounts(core.histogram);
    if (show.has("histogram")) out.push(histogramText(hist));

    const written: string[] = [];
    const writeFile = async (file: string, bytes: Uint8Array, what: string) => {
      await writeWholeFile(platform, file, bytes);
      written.push(`wrote ${what} to ${file}`);
    };
    if (values.bitmap !== undefined) {
      if (data.length * 8 < width) {
        throw usageError(`qrng view: the bitmap needs at least ${width} bits for one row`);
      }
      const { png, rows, bitsShown } = bitmapPng(data, width);
      await writeFile(
        values.bitmap,
        png,
        `bitmap ${width}x${rows} (${bitsShown.toLocaleString("en-US")} bits)`,
      );
    }
    if (values.dsv !== undefined) {
      await writeFile(
        values.dsv,
        dsvPng(data, { blockBytes }),
        `DSV plot 800x420 (walk, and blocks of ${blockBytes} bytes)`,
      );
    }
    if (values.histogram !== undefined) {
      await writeFile(values.histogram, histogramPng(hist), "histogram 784x300");
    }
    if (written.length) out.push(written.join("\n") + "\n");
    await platform.stdout.write(new TextEncoder().encode(out.join("\n").replace(/\n{3,}/g, "\n\n")));
    return 0;
  },
};
