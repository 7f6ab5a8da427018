/**
 * Who may take bytes: listening beyond loopback needs a bearer token, compared in constant time
 * (an attacker timing the comparison learns nothing about the token).
 */
import { sha256 } from "@noble/hashes/sha2.js";

/** Whether `host` is a loopback address (or "localhost"): reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Whether `given` is `token`, in time independent of where they differ. */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = sha256(new TextEncoder().encode(given));
  const b = sha256(new TextEncoder().encode(token));
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** The token of an HTTP `Authorization: Bearer TOKEN` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}
