/**
 * Flags `qrng read` and `qrng view` share about the source: post-processing (`--xor-fold N`,
 * `--debias von-neumann`) and an XR232's stall policy (`--cts-timeout`).
 */
import type { FlagSpec } from "../command.ts";
import { usageError } from "../errors.ts";
import { MAX_XOR_FOLD, type PostprocessOptions } from "../postprocess/mod.ts";

/** Flag declarations to spread into a command's {@link FlagSpec}. */
export const POSTPROCESS_FLAGS = {
  debias: { type: "string" },
  "xor-fold": { type: "string" },
} as const satisfies FlagSpec;

/** Help lines for the flags. */
export const POSTPROCESS_HELP =
  `  --xor-fold N        XOR every N bytes into one (costs (N-1)/N of the output)
  --debias von-neumann  von Neumann debiasing (keeps about 1/4 of unbiased input)`;

/** Reads the flags of {@link POSTPROCESS_FLAGS}; `command` names the command in usage errors. */
export function postprocessOptions(
  command: string,
  values: { debias?: string; "xor-fold"?: string },
): PostprocessOptions {
  const options: PostprocessOptions = {};
  if (values.debias !== undefined) {
    if (values.debias !== "von-neumann") throw usageError(`qrng ${command}: --debias knows only von-neumann`);
    options.debias = "von-neumann";
  }
  if (values["xor-fold"] !== undefined) {
    const n = Number(values["xor-fold"]);
    if (!Number.isInteger(n) || n < 1 || n > MAX_XOR_FOLD) {
      throw usageError(`qrng ${command}: --xor-fold needs an integer 1..${MAX_XOR_FOLD}`);
    }
    options.xorFold = n;
  }
  return options;
}

/**
 * Adds a `--cts-timeout` flag's value to an XR232 device URI (as `cts-timeout=`); other devices
 * have no CTS policy, so the flag is a usage error for them. `command` names the command.
 */
export function withCtsTimeout(uri: string, ctsTimeout: string | undefined, command: string): string {
  if (ctsTimeout === undefined) return uri;
  if (!/^(xr232:|sim:xr232)/.test(uri)) {
    throw usageError(`qrng ${command}: --cts-timeout applies to XR232 devices (xr232:..., sim:xr232usb)`);
  }
  if (ctsTimeout !== "wait" && !(Number(ctsTimeout.replace(/ms$/, "")) > 0)) {
    throw usageError(`qrng ${command}: --cts-timeout takes wait or milliseconds (not '${ctsTimeout}')`);
  }
  return `${uri}${uri.includes("?") ? "&" : "?"}cts-timeout=${encodeURIComponent(ctsTimeout)}`;
}
