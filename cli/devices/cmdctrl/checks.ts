/**
 * The two checks a Cmd&Ctrl device can be put to: its SHA-256 engine against the host's digest
 * (HASH_TEST), and its certificate against the manufacturer CA's key (spec §5: the CA's ECDSA
 * P-256 signature over `u16 0 ‖ hw major ‖ hw minor ‖ u32 serial ‖ pubkey`). The CA key is not
 * published; `qrng emulate` prints its emulator's.
 */
import { Buffer } from "node:buffer";
import { sha256 } from "@noble/hashes/sha2.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { describeError, QrngError } from "../../errors.ts";
import { certificateBlob } from "../../../wasm/cmdctrl.ts";
import type { CmdCtrlDevice } from "./driver.ts";
import { importPublicKey, verifySignature } from "./signature.ts";

/** How the device's SHA-256 of some data compares with the host's. */
export interface HashTestResult {
  /** Bytes hashed. */
  readonly bytes: number;
  readonly deviceDigest: Uint8Array;
  readonly hostDigest: Uint8Array;
  /** Whether the two digests are equal. */
  readonly match: boolean;
}

/** Sends `data` through the device's HASH_TEST and compares its digest with the host's SHA-256. */
export async function hashTest(device: CmdCtrlDevice, data: Uint8Array): Promise<HashTestResult> {
  const hostDigest = sha256(data);
  const deviceDigest = await device.hashTest(data);
  const match = deviceDigest.length === hostDigest.length &&
    deviceDigest.every((b, i) => b === hostDigest[i]);
  return { bytes: data.length, deviceDigest, hostDigest, match };
}

/** What a certificate check found. */
export interface CertificateCheck {
  readonly serial: string;
  /** The device's P-256 public key x‖y. */
  readonly publicKey: Uint8Array;
  /** The CA's signature r‖s. */
  readonly certificate: Uint8Array;
  /** The bytes the CA signed, rebuilt from the device's info and key. */
  readonly blob: Uint8Array;
  /** Whether the certificate verifies against the CA key. */
  readonly valid: boolean;
}

/** A raw CA key as hex: x‖y, optionally with the SEC1 uncompressed prefix 04. */
const HEX_KEY = /^(?:04)?[0-9a-f]{128}$/i;

/** Whether `text` is a CA key written out (hex x‖y or a PEM public key) rather than, say, a file name. */
export function isCaKeyText(text: string): boolean {
  const trimmed = text.trim();
  return HEX_KEY.test(trimmed) || trimmed.startsWith("-----BEGIN");
}

/**
 * Imports a CA public key: text of 128 hex digits (x‖y, optionally after 04) or a PEM public key,
 * or raw bytes x‖y (64) or a SEC1 point (65). Rejects with kind "input" naming what is wrong.
 */
export async function importCaKey(key: string | Uint8Array): Promise<CryptoKey> {
  if (typeof key !== "string") {
    if (key.length !== 64 && key.length !== 65) {
      throw new QrngError("input", "the CA key holds neither hex, PEM nor 64 raw bytes");
    }
    return await importCaPoint(key);
  }
  const text = key.trim();
  if (text.startsWith("-----BEGIN")) {
    const base64 = text.replace(/-----[^-]+-----|\s/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
      throw new QrngError("input", "the PEM CA key is not valid base64");
    }
    return await importCaSpki(new Uint8Array(Buffer.from(base64, "base64")));
  }
  if (!HEX_KEY.test(text)) throw new QrngError("input", "the CA key is neither 128 hex digits nor a PEM key");
  return await importCaPoint(hexToBytes(text.replace(/^04(?=.{128}$)/, "")));
}

const notP256 = () => new QrngError("input", "the CA key is not a P-256 public key");

async function importCaPoint(point: Uint8Array): Promise<CryptoKey> {
  try {
    return await importPublicKey(point);
  } catch {
    throw notP256();
  }
}

/** Through its raw point, so that the point is checked alike under every runtime. */
async function importCaSpki(der: Uint8Array): Promise<CryptoKey> {
  let point: Uint8Array;
  try {
    const spki = await crypto.subtle.importKey(
      "spki",
      der as BufferSource,
      { name: "ECDSA", namedCurve: "P-256" },
      true,
      [
        "verify",
      ],
    );
    point = new Uint8Array(await crypto.subtle.exportKey("raw", spki));
  } catch {
    throw notP256();
  }
  return await importCaPoint(point);
}

/** Reads the device's info, key and certificate and verifies the certificate against `ca`. */
export async function checkCertificate(device: CmdCtrlDevice, ca: CryptoKey): Promise<CertificateCheck> {
  const info = await device.info();
  const publicKey = await device.publicKey();
  const certificate = await device.certificate();
  let blob: Uint8Array;
  try {
    blob = certificateBlob(info, publicKey);
  } catch (error) {
    throw new QrngError(
      "device",
      `Cannot check the certificate of ${device.transport.description}: ${describeError(error)}`,
    );
  }
  return {
    serial: info.serial,
    publicKey,
    certificate,
    blob,
    valid: await verifySignature(ca, blob, certificate),
  };
}

/**
 * A signed read of `length` bytes whose signature verifies against the device's own public key;
 * rejects with kind "device", releasing nothing, when it does not.
 */
export async function verifiedSignedRead(device: CmdCtrlDevice, length: number): Promise<Uint8Array> {
  const key = await importPublicKey(await device.publicKey());
  const read = await device.signedRead(length);
  if (!(await verifySignature(key, read.data, read.signature))) {
    throw new QrngError("device", "Signed read failed verification: refusing the data");
  }
  return read.data;
}
