/**
 * `qrng serve`: the daemon. Holds one device, keeps a pool of validated bytes filled behind one
 * health gate (cli/serve/filler.ts) and serves it over a Unix socket, TCP and HTTP
 * (cli/serve/*_listener.ts), each byte to exactly one consumer. SIGHUP reopens the device;
 * SIGTERM (or Ctrl-C) stops the device, lets requests in progress finish from the pool and
 * exits 0.
 */
import { type Command, parseFlags } from "../command.ts";
import { readAll } from "../byte_io.ts";
import { QrngError, usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { parseSize } from "../units.ts";
import { parseDeviceUri, parseHostPort } from "../uri.ts";
import { deviceFamily } from "../sources/registry.ts";
import { DEFAULT_ALPHA_LOG2, DEFAULT_H_PER_BYTE } from "../sources/health.ts";
import { isLoopback } from "../serve/access.ts";
import type { ServeContext, ServeLimits } from "../serve/context.ts";
import { PoolFiller } from "../serve/filler.ts";
import { listenHttp } from "../serve/http_listener.ts";
import type { DaemonListener } from "../serve/listen.ts";
import { ServeMetrics } from "../serve/metrics.ts";
import { Pool } from "../serve/pool.ts";
import { listenStream } from "../serve/stream_listener.ts";
import { groupId } from "../serve/unix_socket.ts";
import { HEALTH_FLAGS, parseAlphaFlag, resolveHFlag } from "./health_flags.ts";
import { resolveDevice } from "./read_device.ts";
import { printable } from "../printable.ts";

/** The pool's default size. */
export const DEFAULT_POOL_BYTES = 16 << 20;
/** The default largest request. */
export const DEFAULT_MAX_REQUEST_BYTES = 1 << 20;
/** The default per-client rate cap, in bytes/s. */
export const DEFAULT_CLIENT_RATE_BYTES_PER_S = 64 << 20;
/** How long a consumer waits on an empty pool by default. */
export const DEFAULT_WAIT_MS = 5000;
/** Connections each listener accepts at once by default. */
export const DEFAULT_MAX_CLIENTS = 1024;
/** The longest SIGTERM waits for requests in progress. */
const DRAIN_MAX_MS = 5000;
/** The environment variable that may hold the token. */
const TOKEN_ENV = "QRNG_TOKEN";

const HELP = `Usage: qrng serve --device URI (--unix PATH | --tcp ADDR:PORT | --http ADDR:PORT)... [options]

Runs a daemon that holds one device, health-tests every byte as 'qrng read' does, keeps a pool
of validated bytes and serves it to many programs at once: each byte to exactly one consumer.
Prints the URI of each listener on stdout (port 0 picks a free port); runs until SIGTERM.

  --device URI         the device, as for 'qrng read' (tcp://, serial:, ...); without it the
                       one QRNG 'qrng list' finds. Not sim: (see below)
  --pool SIZE          validated bytes kept ready [16M]; a full pool pauses the device
  --unix PATH          serve on a Unix socket, mode 0600 (clients: --device unix:PATH)
  --group G            make the socket 0660 and owned by group G (name or id)
  --tcp ADDR:PORT      serve the same protocol on TCP (clients: --device qrng+tcp://ADDR:PORT)
  --http ADDR:PORT     serve HTTP: GET /random?bytes=N&format=raw|hex|base64, /health, /metrics
  --token-file FILE    the bearer token TCP and HTTP clients must present (or set
                       ${TOKEN_ENV}); required to listen beyond loopback. Never on the
                       command line, where other users can read it
  --max-request SIZE   the largest single request [1M]
  --client-rate R      each client's rate cap in bytes/s (64M, or max) [64M]
  --wait-ms MS         a consumer waiting on an empty pool gets an error after MS [${DEFAULT_WAIT_MS}]
  --max-clients N      connections each listener takes at once (HTTP under Bun: requests) [${DEFAULT_MAX_CLIENTS}]
  --h H, --alpha A     the health tests' claim and false-alarm rate, as for 'qrng read'

The device is read in bursts (at most 4 MiB or 1 s each); a burst's bytes enter the pool only
after its final device status was judged, as 'qrng read -o' commits. Device faults: the
burst is dropped and the device reopened with backoff (up to 5 s), serving only what the pool
holds meanwhile. A health failure (including a device replaying its stream after a reopen)
fails closed: the pool is emptied and nothing more is served until the daemon is restarted.
SIGHUP reopens the device; SIGTERM stops it, finishes requests in progress, exits 0.
sim: devices restart their stream at every open, so they cannot be served: serve a running
emulator instead ('qrng emulate qcicada --tcp 127.0.0.1:0' and --device tcp://...).

Examples:
  qrng serve --device serial:/dev/ttyUSB0 --unix /run/qrng.sock --group qrng
  qrng read 1M --device unix:/run/qrng.sock -o random.bin
  QRNG_TOKEN=secret qrng serve --device tcp://10.0.0.5 --http 0.0.0.0:8080
  curl -H 'Authorization: Bearer secret' 'http://host:8080/random?bytes=32&format=hex'
`;

const FLAGS = {
  device: { type: "string" },
  pool: { type: "string" },
  unix: { type: "string" },
  group: { type: "string" },
  tcp: { type: "string" },
  http: { type: "string" },
  "token-file": { type: "string" },
  "max-request": { type: "string" },
  "client-rate": { type: "string" },
  "wait-ms": { type: "string" },
  "max-clients": { type: "string" },
  ...HEALTH_FLAGS,
} as const;

function positiveWhole(text: string, flag: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw usageError(`qrng serve: ${flag} needs a whole number ≥ 1, not '${text}'`);
  }
  return value;
}

/** The token from --token-file or the environment; undefined when neither gives one. */
async function readToken(file: string | undefined, platform: Platform): Promise<string | undefined> {
  if (file === undefined) return platform.env(TOKEN_ENV) || undefined;
  const token = new TextDecoder().decode(await readAll(await platform.openReader(file))).trim();
  if (token === "" || /\s/.test(token)) {
    throw usageError(`qrng serve: ${file} must hold one token (no spaces)`);
  }
  return token;
}

/** What the flags ask for. */
interface ServeOptions {
  readonly uri: string;
  readonly poolBytes: number;
  readonly limits: ServeLimits;
  readonly h: number;
  readonly alphaLog2: number;
  readonly unix?: { readonly path: string; readonly groupId?: number };
  readonly tcp?: { readonly host: string; readonly port: number };
  readonly http?: { readonly host: string; readonly port: number };
}

async function parseOptions(argv: string[], platform: Platform): Promise<ServeOptions> {
  if (argv.some((a) => a === "--token" || a.startsWith("--token="))) {
    throw usageError(
      `qrng serve: no --token on the command line (other users can read it there): use --token-file FILE or ${TOKEN_ENV}`,
    );
  }
  const { values } = parseFlags("serve", argv, FLAGS);
  if (!values.unix && !values.tcp && !values.http) {
    throw usageError("qrng serve: give at least one of --unix, --tcp, --http");
  }
  if (values.group && !values.unix) throw usageError("qrng serve: --group goes with --unix");
  const poolBytes = values.pool !== undefined ? parseSize(values.pool) : DEFAULT_POOL_BYTES;
  const maxRequestBytes = values["max-request"] !== undefined
    ? parseSize(values["max-request"])
    : DEFAULT_MAX_REQUEST_BYTES;
  if (maxRequestBytes < 1) throw usageError("qrng serve: --max-request must be at least 1");
  if (poolBytes < maxRequestBytes) {
    throw usageError(
      `qrng serve: --pool (${poolBytes} bytes) must hold at least one largest request (--max-request ${maxRequestBytes})`,
    );
  }
  const rateText = values["client-rate"];
  const clientRateBytesPerS = rateText === "max"
    ? Infinity
    : rateText !== undefined
    ? parseSize(rateText)
    : DEFAULT_CLIENT_RATE_BYTES_PER_S;
  if (clientRateBytesPerS < 1) {
    throw usageError("qrng serve: --client-rate must be at least 1 byte/s (or max)");
  }
  const tcp = values.tcp !== undefined ? parseHostPort(values.tcp, 0, `--tcp '${values.tcp}'`) : undefined;
  const http = values.http !== undefined
    ? parseHostPort(values.http, 0, `--http '${values.http}'`)
    : undefined;
  const token = await readToken(values["token-file"], platform);
  for (const [flag, endpoint] of [["--tcp", tcp], ["--http", http]] as const) {
    if (endpoint && !isLoopback(endpoint.host) && token === undefined) {
      throw usageError(
        `qrng serve: ${flag} ${endpoint.host} is beyond loopback: set a token (--token-file FILE or ${TOKEN_ENV})`,
      );
    }
  }
  const uri = values.device ?? await resolveDevice();
  deviceFamily(parseDeviceUri(uri)); // an unknown scheme is a usage error now, not after listening
  if (/^sim:/i.test(uri)) {
    throw usageError(
      "qrng serve: a sim: device restarts its stream at every open, and the daemon reopens the device for every " +
        "burst; serve a running emulator instead (qrng emulate qcicada --tcp 127.0.0.1:0, then --device tcp://...)",
    );
  }
  return {
    uri,
    poolBytes,
    limits: {
      maxRequestBytes,
      clientRateBytesPerS,
      waitMs: values["wait-ms"] !== undefined
        ? positiveWhole(values["wait-ms"], "--wait-ms")
        : DEFAULT_WAIT_MS,
      maxClients: values["max-clients"] !== undefined
        ? positiveWhole(values["max-clients"], "--max-clients")
        : DEFAULT_MAX_CLIENTS,
      token,
    },
    h: values.h !== undefined ? await resolveHFlag("serve", values.h, "bytes", platform) : DEFAULT_H_PER_BYTE,
    alphaLog2: values.alpha !== undefined ? parseAlphaFlag("serve", values.alpha) : DEFAULT_ALPHA_LOG2,
    unix: values.unix !== undefined
      ? { path: values.unix, groupId: values.group !== undefined ? groupId(values.group) : undefined }
      : undefined,
    tcp,
    http,
  };
}

/** Starts every listener `options` names, or none (those started are closed on a failure). */
async function startListeners(
  options: ServeOptions,
  context: ServeContext,
  runtime: Platform["runtime"],
): Promise<DaemonListener[]> {
  const listeners: DaemonListener[] = [];
  try {
    if (options.unix) listeners.push(await listenStream({ kind: "unix", ...options.unix }, context, runtime));
    if (options.tcp) listeners.push(await listenStream({ kind: "tcp", ...options.tcp }, context, runtime));
    if (options.http) {
      listeners.push(await listenHttp(options.http.host, options.http.port, context, runtime));
    }
    return listeners;
  } catch (error) {
    await Promise.all(listeners.map((l) => l.stopAccepting()));
    throw error;
  }
}

/**
 * Drains: no new consumers; requests in progress get what the pool holds (for a while), then
 * an error; then every connection is closed.
 */
async function drain(listeners: readonly DaemonListener[], pool: Pool, platform: Platform): Promise<void> {
  const stopping = new QrngError("disconnected", "the daemon is stopping");
  await Promise.all(listeners.map((l) => l.stopAccepting()));
  pool.end(stopping);
  await Promise.race([Promise.all(listeners.map((l) => l.idle())), platform.sleep(DRAIN_MAX_MS)]);
  pool.close(stopping);
  await Promise.all(listeners.map((l) => l.closeConnections()));
}

async function run(argv: string[], platform: Platform): Promise<number> {
  const options = await parseOptions(argv, platform);
  const log = (line: string) => platform.writeStderr(`qrng serve: ${printable(line)}\n`);
  // The pool explains an empty pool by the filler's state; the filler fills the pool.
  const pool: Pool = new Pool(options.poolBytes, (): string => filler.whyEmpty());
  const filler = new PoolFiller({
    uri: options.uri,
    platform,
    pool,
    h: options.h,
    alphaLog2: options.alphaLog2,
    log,
  });
  const metrics = new ServeMetrics(platform.now());
  const listeners = await startListeners(options, {
    pool,
    filler,
    metrics,
    limits: options.limits,
    now: () => platform.now(),
  }, platform.runtime);
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const unsubscribe = platform.onInterrupt((signal) => {
    if (signal !== "SIGHUP") return stop();
    log("SIGHUP: reopening the device");
    filler.reopen();
  });
  try {
    for (const listener of listeners) {
      await platform.stdout.write(new TextEncoder().encode(listener.uri + "\n"));
    }
    log(`serving ${options.uri} on ${listeners.map((l) => l.uri).join(", ")}`);
    const filling = filler.run();
    // A filler that failed closed has ended, but the daemon stays up to say so (/health,
    // /metrics, error answers) until it is stopped; only a defect ends it early.
    const fatal = await Promise.race([filling.then(() => stopped, (error: unknown) => error), stopped]);
    filler.stop();
    if (fatal === undefined) await filling;
    await drain(listeners, pool, platform);
    if (fatal !== undefined) throw fatal;
    const served = metrics.bytesServed.unix + metrics.bytesServed.tcp + metrics.bytesServed.http;
    log(`stopped; ${served} bytes served`);
    return 0;
  } finally {
    unsubscribe();
  }
}

/** The serve command. */
export const serveCommand: Command = {
  name: "serve",
  summary: "Serve health-tested bytes from one device to many programs (Unix socket, TCP, HTTP)",
  help: HELP,
  run,
};
