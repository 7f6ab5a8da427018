/**
 * Signed-read verification with WebCrypto (every runtime has it): ECDSA P-256 over SHA-256,
 * raw r‖s signatures (WebCrypto's own format), public key x‖y from GET_DEV_AUTH_PUBKEY. The
 * signature covers the random bytes only: no nonce or counter, so a replayed block verifies too.
 */
import { bytesToNumberBE } from "@noble/curves/utils.js";
import { QrngError } from "../../errors.ts";
import { SIGNATURE_BYTES } from "../../../wasm/cmdctrl.ts";

/** P-256's field prime and curve coefficient b (SEC 2 §2.4.2; a = -3). */
const P256_PRIME = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

/**
 * Whether the SEC1 point 04‖x‖y satisfies y² = x³ - 3x + b on P-256. Checked here because Deno's
 * WebCrypto imports points off the curve that Bun and Node refuse.
 */
function isOnP256(point: Uint8Array): boolean {
  if (point.length !== 65 || point[0] !== 4) return false;
  const x = bytesToNumberBE(point.subarray(1, 33));
  const y = bytesToNumberBE(point.subarray(33));
  return x < P256_PRIME && y < P256_PRIME && (y * y - (x * x * x - 3n * x + P256_B)) % P256_PRIME === 0n;
}

/** Imports a raw 64-byte public key x‖y (or a 65-byte SEC1 point) for verification. */
export async function importPublicKey(raw: Uint8Array): Promise<CryptoKey> {
  const point = raw.length === SIGNATURE_BYTES ? new Uint8Array([4, ...raw]) : raw;
  if (!isOnP256(point)) throw new QrngError("protocol", "Cannot use the public key: it is not a P-256 point");
  try {
    return await crypto.subtle.importKey(
      "raw",
      point as BufferSource,
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      [
        "verify",
      ],
    );
  } catch {
    throw new QrngError("protocol", "Cannot use the public key: it is not a P-256 point");
  }
}

/** Whether `signature` (r‖s) is the key's signature over `data`. */
export async function verifySignature(
  key: CryptoKey,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (signature.length !== SIGNATURE_BYTES) return false;
  return await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    signature as BufferSource,
    data as BufferSource,
  );
}
