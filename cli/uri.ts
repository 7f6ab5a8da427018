/**
 * Device URIs: how a user names the device to talk to.
 *
 *   serial:/dev/ttyUSB0   (a bare path such as /dev/ttyUSB0 or COM3 means the same)
 *   tcp://host[:port]     udp://host[:port]     tcpudp://host[:port]   (port 54936 by default)
 *   sim:qcicada           an in-process emulator (other kinds register their own)
 *
 * Query parameters after `?` are passed through as options (e.g. `?baud=115200`,
 * `tcpudp://10.0.0.5?udp=0` to bind an ephemeral local UDP port); the driver that opens a URI
 * rejects the ones it does not know ({@link checkUriParams}), so a typo is never ignored.
 */
import { usageError } from "./errors.ts";

/** The default Cmd&Ctrl network port, as on a device. */
export const CMDCTRL_PORT = 54936;

/** A parsed device URI. */
export interface DeviceUri {
  /** "serial", "tcp", "udp", "tcpudp", "sim" or a scheme another driver registered. */
  readonly scheme: string;
  /** Device path for serial, host for network schemes, kind for sim. */
  readonly target: string;
  /** Network port; undefined for non-network schemes. */
  readonly port?: number;
  /** Query parameters. */
  readonly params: Readonly<Record<string, string>>;
  /** The text the user gave. */
  readonly text: string;
}

const NETWORK = new Set(["tcp", "udp", "tcpudp"]);

/**
 * Parses a port number (0..65535); `where` names what it came from in the usage error
 * ("device 'tcp://x:99999'", "listen address 'x:99999'").
 */
export function parsePort(text: string, where: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw usageError(`invalid port '${text}' in ${where}`);
  return port;
}

/** Splits "host:port", "[v6]:port" or "host"; the port defaults to `defaultPort`. */
export function parseHostPort(
  text: string,
  defaultPort: number,
  where: string,
): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(text);
  if (v6) return { host: v6[1], port: v6[2] ? parsePort(v6[2], where) : defaultPort };
  if (text.startsWith("[")) throw usageError(`invalid address '${text}' in ${where} (IPv6: [addr]:port)`);
  const colon = text.lastIndexOf(":");
  if (colon < 0) return { host: text || "127.0.0.1", port: defaultPort };
  return { host: text.slice(0, colon) || "127.0.0.1", port: parsePort(text.slice(colon + 1), where) };
}

/** Parses a device URI; throws a usage error naming the accepted forms. */
export function parseDeviceUri(text: string): DeviceUri {
  const [body, query = ""] = text.split("?", 2);
  const params = Object.fromEntries(new URLSearchParams(query));
  if (body.startsWith("/") || /^COM\d+$/i.test(body)) return { scheme: "serial", target: body, params, text };
  const match = /^([a-z][a-z0-9+]*):(?:\/\/)?(.*)$/i.exec(body);
  if (!match || match[2] === "") {
    throw usageError(
      `invalid device '${text}' (use serial:/dev/ttyUSB0, tcp://host[:port], udp://host[:port], ` +
        `tcpudp://host[:port] or sim:<kind>)`,
    );
  }
  const scheme = match[1].toLowerCase();
  if (NETWORK.has(scheme)) {
    const { host, port } = parseHostPort(match[2], CMDCTRL_PORT, `device '${text}'`);
    return { scheme, target: host, port, params, text };
  }
  return { scheme, target: match[2], params, text };
}

/** Throws a usage error naming the first query parameter of `uri` not in `known`, and the known ones. */
export function checkUriParams(uri: DeviceUri, known: readonly string[]): void {
  const unknown = Object.keys(uri.params).find((name) => !known.includes(name));
  if (unknown === undefined) return;
  const accepted = known.length ? `known: ${known.join(", ")}` : "it takes no parameters";
  throw usageError(`unknown parameter '${unknown}' in device '${uri.text}' (${accepted})`);
}

/** Whether `baud` is a line rate qrng accepts: a whole number in 50..4,000,000. */
export function isBaudRate(baud: number): boolean {
  return Number.isInteger(baud) && baud >= 50 && baud <= 4_000_000;
}

/** The baud rate `uri` asks for (`?baud=`, see {@link isBaudRate}), or `fallback`. */
export function baudFromUri(uri: DeviceUri, fallback: number): number {
  const text = uri.params.baud;
  if (text === undefined) return fallback;
  const baud = Number(text);
  if (!isBaudRate(baud)) throw usageError(`invalid baud '${text}' in device '${uri.text}'`);
  return baud;
}
