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

async function readSecretFile(platform: Platform, path: string, what: string): Promise<Uint8Array> {
  try {
    const reader = await platform.openReader(path);
    try {
      return await readAll(reader);
    } finally {
      await reader.close();
    }
  } catch (error) {
    throw new QrngError("input", `Cannot read the NATS ${what} file ${path}: ${describeError(error)}`);
  }
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
    const seed = new TextDecoder().decode(await readSecretFile(platform, files.nkey, "NKey seed")).trim();
    authenticator.push(nkeyAuthenticator(new TextEncoder().encode(seed)));
  }
  if (files.creds) {
    authenticator.push(credsAuthenticator(await readSecretFile(platform, files.creds, "credentials")));
  }
  const caFile = platform.env(NATS_ENV.caFile);
  const certFile = platform.env(NATS_ENV.certFile);
  const keyFile = platform.env(NATS_ENV.keyFile);
  const tlsFiles = { ...(caFile && { caFile }), ...(certFile && { certFile }), ...(keyFile && { keyFile }) };
  const tls = address.tls || Object.keys(tlsFiles).length > 0 ? tlsFiles : undefined;
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
      `Cannot connect to NATS at ${address.server}: ${describeError(error)}`,
    );
  }
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
