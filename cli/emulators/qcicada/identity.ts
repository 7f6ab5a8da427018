/**
 * The emulator's identity: its P-256 device key and the emulator CA that certifies it, both
 * derived from the seed (so tests know them), plus the info block it reports. The CA public
 * key is printed by `qrng emulate` for `qrng cert --ca KEY`.
 */
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { certificateBlob, type Info } from "../../../wasm/cmdctrl.ts";
import { EMULATED_SERIAL_PREFIX } from "../../protocol/cmdctrl.ts";

/** Everything that identifies one emulated QCicada. */
export interface QcicadaIdentity {
  info: Info;
  /** Device signing key (32 bytes). */
  deviceSecret: Uint8Array;
  /** Device public key x‖y (64 bytes, as GET_DEV_AUTH_PUBKEY returns it). */
  devicePublic: Uint8Array;
  /** Emulator CA public key x‖y (64 bytes). */
  caPublic: Uint8Array;
  /** The CA's signature r‖s over the certificate blob. */
  certificate: Uint8Array;
}

function secretFrom(label: string, seed: number): Uint8Array {
  // Hash until the value is a valid scalar (almost always the first time).
  let bytes = sha256(new TextEncoder().encode(`qrng emulator ${label} ${seed}`));
  while (!p256.utils.isValidSecretKey(bytes)) bytes = sha256(bytes);
  return bytes;
}

/** Info strings an emulator may be given in place of its defaults (tests of odd devices). */
export interface InfoStrings {
  /** Must start with {@link EMULATED_SERIAL_PREFIX}. @default EMUQC + the seed, 10 digits */
  serial?: string;
  /** @default "CICADA-QRNG-1.1" */
  hwInfo?: string;
}

/**
 * Derives the identity of the emulator with `seed`. Info that cannot be certified (a serial
 * above 2^32 - 1, a hw_info without CICADA-QRNG-M.m) gets an all-zero certificate: hosts
 * must refuse such info before they look at a signature.
 */
export function qcicadaIdentity(seed: number, strings: InfoStrings = {}): QcicadaIdentity {
  const deviceSecret = secretFrom("device key", seed);
  const caSecret = secretFrom("CA key", seed);
  const devicePublic = p256.getPublicKey(deviceSecret, false).subarray(1);
  const caPublic = p256.getPublicKey(caSecret, false).subarray(1);
  const info: Info = {
    coreVersion: 0x1000c,
    swVersion: 0x5000e,
    serial: strings.serial ?? `${EMULATED_SERIAL_PREFIX}QC${String(seed >>> 0).padStart(10, "0")}`,
    hwInfo: strings.hwInfo ?? "CICADA-QRNG-1.1",
  };
  let certificate: Uint8Array;
  try {
    certificate = p256.sign(certificateBlob(info, devicePublic), caSecret);
  } catch {
    certificate = new Uint8Array(64);
  }
  return { info, deviceSecret, devicePublic, caPublic, certificate };
}

/** Signs `data` with the device key: ECDSA P-256 over SHA-256, raw r‖s. */
export function deviceSign(identity: QcicadaIdentity, data: Uint8Array): Uint8Array {
  return p256.sign(data, identity.deviceSecret);
}
