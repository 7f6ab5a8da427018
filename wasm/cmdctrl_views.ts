/**
 * Typed views of the Cmd&Ctrl payload layouts (spec §3), little-endian and packed, in both
 * directions: `parseX` for hosts, `xBytes` for emulators and tests.
 */

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function need(bytes: Uint8Array, length: number, what: string): DataView {
  if (bytes.length !== length) {
    throw new RangeError(`${what} payload must be ${length} bytes, got ${bytes.length}`);
  }
  return view(bytes);
}

/** Status flag names, bit 0 upward. */
export const STATUS_FLAGS = [
  "started",
  "startupTestInProgress",
  "voltageLow",
  "voltageHigh",
  "voltageUndefined",
  "bitcount",
  "repetitionCount",
  "adaptiveProportion",
] as const;

/** The 5-byte status. */
export interface Status {
  started: boolean;
  startupTestInProgress: boolean;
  voltageLow: boolean;
  voltageHigh: boolean;
  voltageUndefined: boolean;
  /** Crypta Labs ones/zeros proportion test failing. */
  bitcount: boolean;
  /** SP 800-90B repetition count test failing. */
  repetitionCount: boolean;
  /** SP 800-90B adaptive proportion test failing. */
  adaptiveProportion: boolean;
  /** Bytes a one-shot may ask for now. */
  readyBytes: number;
}

/** Parses a status payload. */
export function parseStatus(bytes: Uint8Array): Status {
  const v = need(bytes, 5, "status");
  const flags = v.getUint8(0);
  const status = {} as Status;
  STATUS_FLAGS.forEach((name, bit) => (status[name] = (flags >> bit & 1) === 1));
  status.readyBytes = v.getUint32(1, true); // after the flags, as on the wire
  return status;
}

/** Builds a status payload. */
export function statusBytes(s: Status): Uint8Array {
  const bytes = new Uint8Array(5);
  let flags = 0;
  STATUS_FLAGS.forEach((name, bit) => (flags |= s[name] ? 1 << bit : 0));
  bytes[0] = flags;
  view(bytes).setUint32(1, s.readyBytes >>> 0, true);
  return bytes;
}

/** The health or supply faults a status reports, as flag names (empty when healthy). */
export function statusFaults(s: Status): string[] {
  return STATUS_FLAGS.slice(2).filter((name) => s[name]);
}

/** Post-processing modes. */
export const POSTPROCESS = ["SHA256", "RAW_NOISE", "RAW_SAMPLES"] as const;

/** Config flag names, bit 0 upward. */
export const CONFIG_FLAGS = [
  "startupTest",
  "autoCalibration",
  "repetitionCount",
  "adaptiveProportion",
  "bitCount",
  "generateOnError",
] as const;

/** The 12-byte config. */
export interface Config {
  /** 0 SHA256, 1 RAW_NOISE, 2 RAW_SAMPLES. */
  postprocess: number;
  /** LED drive level in percent (the protocol field is misspelt `inital_level`). */
  initialLevel: number;
  startupTest: boolean;
  autoCalibration: boolean;
  repetitionCount: boolean;
  adaptiveProportion: boolean;
  bitCount: boolean;
  generateOnError: boolean;
  /** 1..8. */
  nLsbits: number;
  hashInputSize: number;
  blockSize: number;
  autocalibrationTarget: number;
}

/** The flags byte of a config. */
export function configFlagsByte(c: Config): number {
  let flags = 0;
  CONFIG_FLAGS.forEach((name, bit) => (flags |= c[name] ? 1 << bit : 0));
  return flags;
}

/** Parses a config payload. */
export function parseConfig(bytes: Uint8Array): Config {
  const v = need(bytes, 12, "config");
  const flags = v.getUint8(5);
  // Fields in wire order, so printed configs read like the layout.
  const c = { postprocess: v.getUint8(0), initialLevel: v.getFloat32(1, true) } as Config;
  CONFIG_FLAGS.forEach((name, bit) => (c[name] = (flags >> bit & 1) === 1));
  c.nLsbits = v.getUint8(6);
  c.hashInputSize = v.getUint8(7);
  c.blockSize = v.getUint16(8, true);
  c.autocalibrationTarget = v.getUint16(10, true);
  return c;
}

/** Builds a config payload. */
export function configBytes(c: Config): Uint8Array {
  const bytes = new Uint8Array(12);
  const v = view(bytes);
  v.setUint8(0, c.postprocess);
  v.setFloat32(1, c.initialLevel, true);
  v.setUint8(5, configFlagsByte(c));
  v.setUint8(6, c.nLsbits);
  v.setUint8(7, c.hashInputSize);
  v.setUint16(8, c.blockSize, true);
  v.setUint16(10, c.autocalibrationTarget, true);
  return bytes;
}

/** The 30-byte statistics. */
export interface Statistics {
  /** A u64: a bigint, so that counts above 2^53 stay exact. */
  generatedBytes: bigint;
  repetitionCountFailures: number;
  adaptiveProportionFailures: number;
  bitcountFailures: number;
  /** Generation speed in bit/s. */
  speed: number;
  /** Light-sensor ADC average. */
  sensifAverage: number;
  /** LED drive level in percent. */
  ledctrlLevel: number;
}

/** Parses a statistics payload. */
export function parseStatistics(bytes: Uint8Array): Statistics {
  const v = need(bytes, 30, "statistics");
  return {
    generatedBytes: v.getBigUint64(0, true),
    repetitionCountFailures: v.getUint32(8, true),
    adaptiveProportionFailures: v.getUint32(12, true),
    bitcountFailures: v.getUint32(16, true),
    speed: v.getUint32(20, true),
    sensifAverage: v.getUint16(24, true),
    ledctrlLevel: v.getFloat32(26, true),
  };
}

/** Builds a statistics payload. */
export function statisticsBytes(s: Statistics): Uint8Array {
  const bytes = new Uint8Array(30);
  const v = view(bytes);
  v.setBigUint64(0, s.generatedBytes, true);
  v.setUint32(8, s.repetitionCountFailures, true);
  v.setUint32(12, s.adaptiveProportionFailures, true);
  v.setUint32(16, s.bitcountFailures, true);
  v.setUint32(20, s.speed >>> 0, true);
  v.setUint16(24, s.sensifAverage, true);
  v.setFloat32(26, s.ledctrlLevel, true);
  return bytes;
}

/** The 56-byte info. */
export interface Info {
  /** `major << 16 | minor`. */
  coreVersion: number;
  swVersion: number;
  serial: string;
  hwInfo: string;
}

const ascii = (bytes: Uint8Array) => {
  const end = bytes.indexOf(0);
  return String.fromCharCode(...(end < 0 ? bytes : bytes.subarray(0, end)));
};

/** Parses an info payload (strings NUL-padded, or a full 24 characters). */
export function parseInfo(bytes: Uint8Array): Info {
  const v = need(bytes, 56, "info");
  return {
    coreVersion: v.getUint32(0, true),
    swVersion: v.getUint32(4, true),
    serial: ascii(bytes.subarray(8, 32)),
    hwInfo: ascii(bytes.subarray(32, 56)),
  };
}

/** Builds an info payload. */
export function infoBytes(info: Info): Uint8Array {
  const bytes = new Uint8Array(56);
  const v = view(bytes);
  v.setUint32(0, info.coreVersion, true);
  v.setUint32(4, info.swVersion, true);
  for (let i = 0; i < 24 && i < info.serial.length; i++) bytes[8 + i] = info.serial.charCodeAt(i);
  for (let i = 0; i < 24 && i < info.hwInfo.length; i++) bytes[32 + i] = info.hwInfo.charCodeAt(i);
  return bytes;
}

/** "5.14" from 0x0005000E. */
export function formatVersion(version: number): string {
  return `${version >>> 16}.${version & 0xffff}`;
}

/** Update status names by code. */
export const UPDATE_STATUS = [
  "READY",
  "TRANSFER_IN_PROGRESS",
  "TRANSFER_COMPLETED",
  "ERR_NOT_INITIALIZED",
  "ERR_MEMORY",
  "ERR_VERIFICATION",
  "ERR_INVALID",
] as const;

/** The 5-byte update answer. */
export interface UpdateState {
  /** 0 READY .. 6 ERR_INVALID; see {@link UPDATE_STATUS}. */
  status: number;
  remaining: number;
}

/** Parses an update payload. */
export function parseUpdate(bytes: Uint8Array): UpdateState {
  const v = need(bytes, 5, "update");
  return { status: v.getUint8(0), remaining: v.getUint32(1, true) };
}

/** Builds an update payload. */
export function updateBytes(u: UpdateState): Uint8Array {
  const bytes = new Uint8Array(5);
  bytes[0] = u.status;
  view(bytes).setUint32(1, u.remaining >>> 0, true);
  return bytes;
}

/**
 * The 72-byte blob the manufacturer CA signs (spec §5), from info and the device key. Throws
 * a RangeError saying why when the info cannot be certified: no CICADA-QRNG-M.m in hw_info,
 * no QC<number> in the serial, or a field too large for its place in the blob (a serial above
 * 2^32 - 1 is never truncated: a device reporting one has no certificate this format can hold).
 */
export function certificateBlob(info: Info, publicKey: Uint8Array): Uint8Array {
  const hw = /CICADA-QRNG-(\d+)\.(\d+)/.exec(info.hwInfo);
  if (!hw) throw new RangeError(`hw_info '${info.hwInfo}' holds no CICADA-QRNG-<major>.<minor>`);
  const [major, minor] = [Number(hw[1]), Number(hw[2])];
  if (major > 0xff || minor > 0xff) {
    throw new RangeError(
      `hw_info version ${hw[1]}.${hw[2]} does not fit the certificate's one byte per part`,
    );
  }
  const serial = /QC(\d+)/.exec(info.serial);
  if (!serial) throw new RangeError(`serial '${info.serial}' holds no QC<number>`);
  const number = BigInt(serial[1]);
  if (number > 0xffffffffn) {
    throw new RangeError(
      `serial number ${
        serial[1]
      } is above 4294967295: the certificate holds a 32-bit serial, so no certificate can name this device`,
    );
  }
  const blob = new Uint8Array(72);
  blob[2] = major;
  blob[3] = minor;
  view(blob).setUint32(4, Number(number), true);
  blob.set(publicKey, 8);
  return blob;
}
