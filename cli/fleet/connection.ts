/**
 * Connecting to a NATS server for the fleet commands (`qrng publish --to`, the `nats://` source)
 * with the credentials the official client offers, none of them on the command line: a token
 * or user and password from the environment, an NKey seed or a JWT credentials file by path,
 * TLS by the `tls://` scheme (or a server that requires it) with CA and client certificate
 * files from the environment.
 */
import { connect } from "@nats-io/transport-node";
import {
  type Authenticator,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
  type TlsOptions,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
} from "@nats-io/transport-node";
import { readAll } from "../byte_io.ts";
import { describeError, QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { parseHostPort } from "../uri.ts";

/** NATS's own client port. */
export const NATS_PORT = 4222;
/** How long to wait for the server when connecting. */
export const CONNECT_TIMEOUT_MS = 5000;

/** The environment variables credentials come from (never flags: they would show in `ps`). */
export const NATS_ENV = {
  token: "QRNG_NATS_TOKEN",
  user: "QRNG_NATS_USER",
  password: "QRNG_NATS_PASSWORD",
  caFile: "QRNG_NATS_CA",
  certFile: "QRNG_NATS_CERT",
  keyFile: "QRNG_NATS_KEY",
} as const;

/** Where a fleet command connects: `nats://host[:4222]` or `tls://host[:4222]`. */
export interface NatsAddress {
  /** The server URL handed to the client. */
  readonly server: string;
  /** TLS required (`tls://`); otherwise used when the server asks for it. */
  readonly tls: boolean;
}

/** Files holding secrets, named by path (flags or URI parameters). */
export interface NatsCredentialFiles {
  /** A JWT credentials file (`nsc` / `nats` CLI `.creds`). */
  readonly creds?: string;
  /** A file holding an NKey seed (`SU...`). */
  readonly nkey?: string;
}

/** Parses `nats://host[:port]` or `tls://host[:port]` (`where` names it in errors). */
export function parseNatsAddress(scheme: string, hostPort: string, where: string): NatsAddress {
  if (scheme !== "nats" && scheme !== "tls") {
    throw usageError(`${where}: use nats://host[:port] or tls://host[:port]`);
  }
  const { host, port } = parseHostPort(hostPort, NATS_PORT, where);
  const hostText = host.includes(":") ? `[${host}]` : host;
  return { server: `${scheme}://${hostText}:${port}`, tls: scheme === "tls" };
}

/** Reads a file of secrets; `what` names it in errors ("credentials file /x"). */
async function readSecretFile(platform: Platform, path: string, what: string): Promise<Uint8Array> {
  try {
    const reader = await platform.openReader(path);
    try {
      return await readAll(reader);
    } finally {
      await reader.close();
    }
  } catch (error) {
    throw new QrngError("input", `Cannot read the NATS ${what}: ${describeError(error)}`);
  }
}

/**
 * Checks a credential once before connecting: the client would only parse a garbled file
 * during the handshake and report it as a failed connection.
 */
function checkedAuthenticator(authenticator: Authenticator, path: string, what: string): Authenticator {
  try {
    authenticator("qrng-check");
  } catch (error) {
    throw new QrngError(
      "input",
      `The NATS ${what} file ${path} holds no valid ${what}: ${describeError(error)}`,
    );
  }
  return authenticator;
}

/** The PEM label each TLS file must hold, and the variable that names it. */
const TLS_FILES = [
  { option: "ca", variable: NATS_ENV.caFile, what: "CA certificate", pem: "CERTIFICATE" },
  { option: "cert", variable: NATS_ENV.certFile, what: "client certificate", pem: "CERTIFICATE" },
  { option: "key", variable: NATS_ENV.keyFile, what: "client key", pem: "PRIVATE KEY" },
] as const;

/**
 * TLS options from the files the environment names, read here so that a missing or garbled
 * file is named as such (the client reports both as a failed connection, or not at all).
 * TLS 1.2 at most: with 1.3 a server's refusal of the client certificate arrives after the
 * handshake, which the NATS client misses (Bun waits out the connect timeout, Deno dies of an
 * uncaught error); with 1.2 it fails the handshake, and the connect with it.
 */
async function tlsOptions(platform: Platform, address: NatsAddress): Promise<TlsOptions | undefined> {
  const options: Pick<TlsOptions, "ca" | "cert" | "key"> = {};
  for (const { option, variable, what, pem } of TLS_FILES) {
    const path = platform.env(variable);
    if (!path) continue;
    const text = new TextDecoder().decode(
      await readSecretFile(platform, path, `${what} file ${path} (${variable})`),
    );
    if (!new RegExp(`-----BEGIN [A-Z ]*${pem}-----`).test(text)) {
      throw new QrngError(
        "input",
        `The NATS ${what} file ${path} (${variable}) holds no PEM ${pem.toLowerCase()}`,
      );
    }
    options[option] = text;
  }
  if (!address.tls && Object.keys(options).length === 0) return undefined;
  // The client hands its TLS options on to node:tls, which knows maxVersion.
  const tls: TlsOptions & { maxVersion: "TLSv1.2" } = { ...options, maxVersion: "TLSv1.2" };
  return tls;
}

/** The client's authenticator and TLS options from the environment and `files`. */
async function credentials(
  platform: Platform,
  address: NatsAddress,
  files: NatsCredentialFiles,
): Promise<{ authenticator?: Authenticator[]; tls?: TlsOptions }> {
  const authenticator: Authenticator[] = [];
  const token = platform.env(NATS_ENV.token);
  const user = platform.env(NATS_ENV.user);
  if (token) authenticator.push(tokenAuthenticator(token));
  if (user) authenticator.push(usernamePasswordAuthenticator(user, platform.env(NATS_ENV.password) ?? ""));
  if (files.nkey) {
    const seed = new TextDecoder().decode(
      await readSecretFile(platform, files.nkey, `NKey seed file ${files.nkey}`),
    ).trim();
    const nkey = nkeyAuthenticator(new TextEncoder().encode(seed));
    authenticator.push(checkedAuthenticator(nkey, files.nkey, "NKey seed"));
  }
  if (files.creds) {
    const creds = credsAuthenticator(
      await readSecretFile(platform, files.creds, `credentials file ${files.creds}`),
    );
    authenticator.push(checkedAuthenticator(creds, files.creds, "credentials"));
  }
  const tls = await tlsOptions(platform, address);
  return { ...(authenticator.length && { authenticator }), ...(tls && { tls }) };
}

/**
 * Connects to `address`; rejects with kind "disconnected" naming the server and the reason
 * (refused, authorization violation, TLS failure). The client reconnects by itself after.
 */
export async function connectNats(
  platform: Platform,
  address: NatsAddress,
  files: NatsCredentialFiles = {},
): Promise<NatsConnection> {
  const options = await credentials(platform, address, files);
  try {
    return await connect({
      servers: address.server,
      ...options,
      name: "qrng",
      timeout: CONNECT_TIMEOUT_MS,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
  } catch (error) {
    throw new QrngError(
      "disconnected",
      `Cannot connect to NATS at ${address.server}: ${describeError(error)}${tlsHint(error)}`,
    );
  }
}

/** What to check after a TLS failure, by the error's code (the client's text names no file). */
function tlsHint(error: unknown): string {
  const code = String((error as { code?: unknown })?.code ?? "");
  if (/ALERT_BAD_CERTIFICATE|CERTIFICATE_REQUIRED/.test(code)) {
    return `; the server refused the client certificate (${NATS_ENV.certFile}, ${NATS_ENV.keyFile})`;
  }
  if (/CERT|SELF_SIGNED|VERIFY/.test(code)) {
    return `; the server's certificate is not signed by the CA in ${NATS_ENV.caFile}, or names another host`;
  }
  return "";
}

/** How long closing waits for the server to take what is still buffered (acks, naks). */
export const CLOSE_WAIT_MS = 2000;

/** Closes `nc`, waiting at most CLOSE_WAIT_MS (a server that is gone must not hold a command up). */
export async function closeNats(nc: NatsConnection): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bounded = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
  await Promise.race([nc.close().catch(() => {}), bounded]);
  clearTimeout(timer);
}
