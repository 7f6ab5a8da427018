/**
 * `qrng config [--set field=value ...]`: shows the config, or changes it read-modify-write:
 * the current config is read first and only the given fields change (the Python CLI writes
 * every boolean it was not given as 0; that is the defect this avoids).
 */
import type { Command } from "../command.ts";
import { usageError } from "../errors.ts";
import { type Config, POSTPROCESS } from "../../wasm/cmdctrl.ts";
import { DEVICE_FLAGS_HELP, parseDeviceFlags, withDevice } from "./device_command.ts";
import { printResult } from "../output/result_text.ts";

const BOOLEANS = {
  startup_test: "startupTest",
  auto_calibration: "autoCalibration",
  repetition_count: "repetitionCount",
  adaptive_proportion: "adaptiveProportion",
  bit_count: "bitCount",
  generate_on_error: "generateOnError",
} as const;
const INTEGERS = {
  n_lsbits: ["nLsbits", 1, 8],
  hash_input_size: ["hashInputSize", 0, 255],
  block_size: ["blockSize", 0, 65535],
  autocalibration_target: ["autocalibrationTarget", 0, 65535],
} as const;

/** The field names `--set` accepts. */
export const CONFIG_FIELDS = [
  "postprocess",
  "initial_level",
  ...Object.keys(BOOLEANS),
  ...Object.keys(INTEGERS),
];

function parseBool(text: string, field: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw usageError(`qrng config: ${field} takes true or false, not '${text}'`);
}

/** Applies `field=value` assignments to `config` (a copy is returned). */
export function applySettings(config: Config, settings: readonly string[]): Config {
  const next = { ...config };
  for (const setting of settings) {
    const eq = setting.indexOf("=");
    if (eq < 1) throw usageError(`qrng config: --set wants field=value, not '${setting}'`);
    const field = setting.slice(0, eq).toLowerCase().replace(/-/g, "_");
    const value = setting.slice(eq + 1);
    if (field === "postprocess") {
      const index = POSTPROCESS.indexOf(value.toUpperCase() as (typeof POSTPROCESS)[number]);
      const number = /^\d$/.test(value) ? Number(value) : index;
      if (number < 0 || number > 2) {
        throw usageError(`qrng config: postprocess is ${POSTPROCESS.join(", ")} or 0-2`);
      }
      next.postprocess = number;
    } else if (field === "initial_level" || field === "inital_level") {
      const level = Number(value);
      if (!(level >= 0 && level <= 100)) throw usageError("qrng config: initial_level is a percentage 0-100");
      next.initialLevel = level;
    } else if (field in BOOLEANS) {
      next[BOOLEANS[field as keyof typeof BOOLEANS]] = parseBool(value, field);
    } else if (field in INTEGERS) {
      const [key, low, high] = INTEGERS[field as keyof typeof INTEGERS];
      const number = Number(value);
      if (!Number.isInteger(number) || number < low || number > high) {
        throw usageError(`qrng config: ${field} is an integer ${low}-${high}`);
      }
      next[key] = number;
    } else {
      throw usageError(`qrng config: unknown field '${field}' (fields: ${CONFIG_FIELDS.join(", ")})`);
    }
  }
  return next;
}

function shown(config: Config): Record<string, unknown> {
  return { ...config, postprocess: POSTPROCESS[config.postprocess] ?? config.postprocess };
}

/** The config command. */
export const configCommand: Command = {
  name: "config",
  summary: "Show or change a Crypta Labs device's configuration",
  help: `Usage: qrng config [--set field=value ...] [--device URI] [--json]

Prints the configuration, or changes the given fields only (read-modify-write) and prints the
result read back from the device.

  --set field=value    postprocess=SHA256|RAW_NOISE|RAW_SAMPLES, initial_level=PERCENT,
                       startup_test, auto_calibration, repetition_count, adaptive_proportion,
                       bit_count, generate_on_error (true/false), n_lsbits (1-8),
                       hash_input_size, block_size, autocalibration_target
${DEVICE_FLAGS_HELP}

Example:
  qrng config --device sim:qcicada --set n_lsbits=8 --set bit_count=true
`,
  async run(argv, platform) {
    const { values } = parseDeviceFlags("config", argv, { set: { type: "string", multiple: true } });
    const settings = values.set ?? [];
    const result = await withDevice(platform, values.device, async (device) => {
      let config = await device.config();
      if (settings.length > 0) {
        await device.setConfig(applySettings(config, settings));
        config = await device.config();
      }
      return { device: device.transport.description, ...shown(config) };
    });
    await printResult(platform, result, values.json);
    return 0;
  },
};
