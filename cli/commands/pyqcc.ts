/**
 * `qrng pyqcc [pyqcc-cli flags]`: a drop-in for scripts written against Crypta Labs' Python
 * CLI (spec §8): the same flags and the same `### ...` output blocks, so a script changes only
 * its command name. Unlike pyqcc-cli it drains a device left streaming, flushes stale input,
 * judges STOP by the tail after the data in flight, changes only the config fields given
 * (`-c` is read-modify-write) and verifies signed reads (-R).
 */
import type { Command } from "../command.ts";
import { parseFlags } from "../command.ts";
import { usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { type Config, formatVersion, POSTPROCESS, type Status } from "../../wasm/cmdctrl.ts";
import type { CmdCtrlDevice } from "../devices/cmdctrl/driver.ts";
import { openCmdCtrl } from "../sources/cmdctrl.ts";
import { verifiedSignedRead } from "../devices/cmdctrl/checks.ts";
import { readOneShots, readStreamed } from "../devices/cmdctrl/raw_read.ts";
import { bytesToHex } from "@noble/hashes/utils.js";
import { applySettings } from "./device_config.ts";
import { hashTestCommand } from "./hash_engine_check.ts";
import { updateCommand } from "./update.ts";
import { printable } from "../printable.ts";

const FLAGS = {
  interface: { type: "string", short: "i" },
  device: { type: "string", short: "d" },
  status: { type: "boolean", short: "s" },
  "get-config": { type: "boolean", short: "g" },
  statistics: { type: "boolean", short: "t" },
  info: { type: "boolean" },
  read: { type: "string", short: "r" },
  "signed-read": { type: "string", short: "R" },
  "read-block-size": { type: "string" },
  output: { type: "string", short: "o" },
  append: { type: "boolean", short: "a" },
  start: { type: "boolean" },
  stop: { type: "boolean" },
  reset: { type: "boolean" },
  enable: { type: "string", short: "e" },
  disable: { type: "string", short: "n" },
  "set-config": { type: "boolean", short: "c" },
  postprocess: { type: "string" },
  "hash-input-size": { type: "string" },
  "block-size": { type: "string" },
  lsbits: { type: "string" },
  "target-value": { type: "string" },
  "initial-ledctrl": { type: "string" },
  "auto-calibration": { type: "string" },
  "startup-test": { type: "string" },
  "repetition-count": { type: "string" },
  "adaptive-proportion": { type: "string" },
  "bit-count": { type: "string" },
  "generate-on-error": { type: "string" },
  "hash-test": { type: "string" },
  update: { type: "string" },
  verbose: { type: "boolean", short: "v" },
} as const;

/** pyqcc-cli's default serial port. */
const SERIAL_DEFAULT = "/dev/ttyACM0";

const HELP = `Usage: qrng pyqcc [pyqcc-cli flags]

Accepts pyqcc-cli's flags and prints its output blocks, so scripts change only the command name:
  -i {serial,udp,tcp,tcpudp}  interface [serial]
  -d DEVICE   serial port [${SERIAL_DEFAULT}], or HOST[:PORT] (required with udp, tcp, tcpudp)
  -s status   -g config   -t statistics   --info    --reset   --stop   --start
  -r N        read N bytes (one-shot; with --start: continuous, --read-block-size B [1024])
  -R N        signed read of N bytes (every signature verified)
  -o FILE     write read data to FILE (-a appends); otherwise it is printed as hex
  -e N / -n N enable / disable instance N
  -c          set config: --postprocess {RAW_SAMPLE,RAW_NOISE,SHA256} --hash-input-size
              --block-size --lsbits --target-value --initial-ledctrl and the booleans
              --auto-calibration --startup-test --repetition-count --adaptive-proportion
              --bit-count --generate-on-error (0/1); only the fields given change
  --hash-test FILE   --update FILE   -v verbose
`;

const py = (value: unknown) =>
  typeof value === "boolean" ? (value ? "True" : "False") : printable(String(value));
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function block(title: string, fields: Record<string, unknown>): string {
  return `### ${title}:\n` + Object.entries(fields).map(([k, v]) => ` ${snake(k)}: ${py(v)}\n`).join("");
}

/** The device URI of `-i` and `-d`: only a serial port has a default ({@link SERIAL_DEFAULT}). */
function uriOf(iface: string, device: string | undefined): string {
  if (iface === "serial") return `serial:${device ?? SERIAL_DEFAULT}`;
  if (!["tcp", "udp", "tcpudp"].includes(iface)) {
    throw usageError(`qrng pyqcc: -i must be serial, udp, tcp or tcpudp (not '${iface}')`);
  }
  if (!device) throw usageError(`qrng pyqcc: -i ${iface} needs -d HOST[:PORT]`);
  return `${iface}://${device}`;
}

/** A whole-number flag value in min..max (checked before the device is opened). */
function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
    throw usageError(`qrng pyqcc: ${flag} wants a whole number ${range} (not '${text}')`);
  }
  return value;
}

/** Instance numbers travel as one byte (ENABLE_INSTANCE). */
const MAX_INSTANCE = 255;
/** Largest -r / -R: the bytes are held in memory (qrng read streams any size). */
const MAX_READ_BYTES = 1 << 30;
/** pyqcc-cli's default --read-block-size. */
const DEFAULT_READ_BLOCK_BYTES = 1024;

function configSettings(v: Record<string, string | boolean | undefined>): string[] {
  const map: Array<[string, string]> = [
    ["postprocess", "postprocess"],
    ["hash-input-size", "hash_input_size"],
    ["block-size", "block_size"],
    ["lsbits", "n_lsbits"],
    ["target-value", "autocalibration_target"],
    ["initial-ledctrl", "initial_level"],
    ["auto-calibration", "auto_calibration"],
    ["startup-test", "startup_test"],
    ["repetition-count", "repetition_count"],
    ["adaptive-proportion", "adaptive_proportion"],
    ["bit-count", "bit_count"],
    ["generate-on-error", "generate_on_error"],
  ];
  return map.filter(([flag]) => v[flag] !== undefined).map(([flag, field]) => {
    const value = String(v[flag]);
    return `${field}=${
      flag === "postprocess" && value.toUpperCase() === "RAW_SAMPLE" ? "RAW_SAMPLES" : value
    }`;
  });
}

async function readBytes(
  device: CmdCtrlDevice,
  count: number,
  continuous: boolean,
  blockSize: number,
): Promise<Uint8Array> {
  if (!continuous) return await readOneShots(device, count);
  await device.startContinuous();
  const data = await readStreamed(device, count, blockSize);
  await device.stop();
  return data;
}

async function emitData(platform: Platform, data: Uint8Array, path: string | undefined, append: boolean) {
  if (!path) return await platform.stdout.write(new TextEncoder().encode(bytesToHex(data) + "\n"));
  const writer = await platform.openWriter(path, { append });
  try {
    await writer.write(data);
  } finally {
    await writer.close();
  }
}

async function run(argv: string[], platform: Platform): Promise<number> {
  const { values: v } = parseFlags("pyqcc", argv, FLAGS);
  const uri = uriOf(v.interface ?? "serial", v.device);
  const optional = (text: string | undefined, flag: string, min: number, max: number) =>
    text === undefined ? undefined : wholeNumber(text, flag, min, max);
  const enable = optional(v.enable, "-e", 0, MAX_INSTANCE);
  const disable = optional(v.disable, "-n", 0, MAX_INSTANCE);
  const counts = {
    read: optional(v.read, "-r", 1, MAX_READ_BYTES),
    "signed-read": optional(v["signed-read"], "-R", 1, MAX_READ_BYTES),
  };
  const blockSize = optional(v["read-block-size"], "--read-block-size", 1, Number.MAX_SAFE_INTEGER) ??
    DEFAULT_READ_BLOCK_BYTES;
  if (v["hash-test"]) return await hashTestCommand.run([v["hash-test"], "--device", uri], platform);
  if (v.update) return await updateCommand.run([v.update, "--device", uri], platform);
  const out: string[] = [];
  const print = async () => {
    await platform.stdout.write(new TextEncoder().encode(out.join("")));
    out.length = 0;
  };
  const { device } = await openCmdCtrl(uri, {
    platform,
    log: (l) => v.verbose && platform.writeStderr(`${l}\n`),
  });
  try {
    const status = (s: Status) => out.push(block("STATUS", { ...s }));
    if (v.reset) status(await device.reset());
    if (v["set-config"]) {
      const config: Config = applySettings(await device.config(), configSettings(v));
      await device.setConfig(config);
      out.push("Config set success\n");
    }
    if (enable !== undefined) status(await device.enableInstance(enable, true));
    if (disable !== undefined) status(await device.enableInstance(disable, false));
    if (v.info) {
      const info = await device.info();
      out.push(
        block("GET INFO DONE", {
          coreVersion: formatVersion(info.coreVersion),
          softwareVersion: formatVersion(info.swVersion),
          serial: info.serial,
          hwInfo: info.hwInfo,
        }).replace("### GET INFO DONE:", "### GET INFO DONE"),
      );
    }
    if (v.status) status(await device.status());
    if (v["get-config"]) {
      const c = await device.config();
      out.push(block("CONFIGURATION", { ...c, postprocess: POSTPROCESS[c.postprocess] ?? c.postprocess }));
    }
    if (v.statistics) out.push(block("STATISTICS", { ...(await device.statistics()) }));
    await print();
    for (const [flag, signed] of [["read", false], ["signed-read", true]] as const) {
      const count = counts[flag];
      if (count === undefined) continue;
      const started = platform.now();
      const data = signed
        ? await verifiedSignedRead(device, count)
        : await readBytes(device, count, v.start ?? false, blockSize);
      const seconds = Math.max((platform.now() - started) / 1000, 1e-6);
      await emitData(platform, data, v.output, v.append ?? false);
      out.push(
        `${signed ? "Signed read success" : "One shot read success"}\n Speed: ${
          Math.round(count * 8 / seconds)
        } bit/s\n`,
      );
      await print();
    }
    if (v.start && v.read === undefined) {
      await device.startContinuous();
      out.push("Start success\n");
    }
    if (v.stop) {
      status(await device.stop());
    }
    await print();
  } finally {
    await device.close();
  }
  return 0;
}

/** The pyqcc drop-in command. */
export const pyqccCommand: Command = {
  name: "pyqcc",
  summary: "pyqcc-cli compatible front end (same flags, same output)",
  help: HELP,
  run,
};
