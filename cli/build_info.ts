/**
 * What `qrng --version` reports: the release, the git commit and build target, and the hash of
 * the WASM core. A compiled binary carries them from its build (`scripts/build_binary.ts` passes
 * `--define QRNG_BUILD=...`), so printing them reads nothing; from sources,
 * `runtime/source_build_info.ts` asks git and hashes `wasm/*.wasm` when asked.
 */
import { VERSION } from "./version.ts";

/** Where a qrng came from; the JSON of `qrng --version --json`. */
export interface BuildInfo {
  readonly version: string;
  /** The git commit built (40 hex digits, "-dirty" appended for uncommitted changes), or "unknown". */
  readonly commit: string;
  /** The `bun build --target` of a binary (e.g. "bun-linux-arm64"), or "<runtime>-<os>-<arch> (sources)". */
  readonly target: string;
  readonly core: CoreDigest;
}

/** The hash of the WASM modules a qrng runs. */
export interface CoreDigest {
  /** sha-256 of the modules concatenated in name order: `cat wasm/*.wasm | sha256sum`. */
  readonly sha256: string;
  /** sha-256 of each module, by file name. */
  readonly modules: Readonly<Record<string, string>>;
}

// Replaced by the JSON of a BuildInfo without its version when the binary is compiled; absent
// (typeof is "undefined") when running from sources.
declare const QRNG_BUILD: string | undefined;

/** The build facts compiled into this binary, or undefined when running from sources. */
export function bakedBuildInfo(): BuildInfo | undefined {
  if (typeof QRNG_BUILD !== "string") return undefined;
  return { version: VERSION, ...JSON.parse(QRNG_BUILD) };
}

/** The `qrng --version` text: the version line first, as scripts read it. */
export function formatBuildInfo(info: BuildInfo): string {
  return [
    `qrng ${info.version}`,
    `commit: ${info.commit}`,
    `target: ${info.target}`,
    `core:   sha256 ${info.core.sha256} (${Object.keys(info.core.modules).join(", ")})`,
    "",
  ].join("\n");
}
