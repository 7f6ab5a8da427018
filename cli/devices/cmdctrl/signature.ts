/**
 * Signed-read verification with WebCrypto (every runtime has it): ECDSA P-256 over SHA-256,
 * raw r‖s signatures (WebCrypto's own format), public key x‖y from GET_DEV_AUTH_PUBKEY. The
 * signature covers the random bytes only: no nonce or counter, so a replayed block verifies too.
 */
import { QrngError } from "../../errors.ts";

/** Imports a raw 64-byte public key x‖y (or a 65-byte SEC1 point) for verification. */
export async function importPublicKey(raw: Uint8Array): Promise<CryptoKey> {
  const point = raw.length === 64 ? new Uint8Array([4, ...raw]) : raw;
  try {
    return await crypto.subtle.importKey("raw", point as BufferSource, { name: "ECDSA", namedCurve: "P-256" }, false, [
      "verify",
    ]);
  } catch {
    throw new QrngError("protocol", "Cannot use the public key: it is not a P-256 point");
  }
}

/** Whether `signature` (r‖s) is the key's signature over `data`. */
export async function verifySignature(key: CryptoKey, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.length !== 64) return false;
  return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature as BufferSource, data as BufferSource);
}
