/** The library's classes and types, for the package entry (cli/mod.ts) to export. */
export { CmdCtrlQrng, type FirmwareUpdateOptions } from "./cmdctrl.ts";
export { openWith, type PlainQrng, type Qrng } from "./open.ts";
export { type CallOptions, type LibraryContext, type OpenOptions, QrngSource } from "./source.ts";
export { type IdentOptions, Xr232Qrng } from "./xr232.ts";
export type { CertificateCheck, HashTestResult } from "../devices/cmdctrl/checks.ts";
export type { UpdateResult } from "../devices/cmdctrl/update.ts";
export type { Xr232Identity } from "../sources/xr232_ident.ts";
export type { PostprocessOptions } from "../postprocess/mod.ts";
export type { Config, Info, Statistics, Status } from "../../wasm/cmdctrl.ts";
export type { HealthGateStats } from "../../wasm/health.ts";
