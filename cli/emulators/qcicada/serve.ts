/**
 * The body of `qrng emulate qcicada` (loaded only when an emulator runs, so hosts do not pay
 * for the emulator's keys and curves): serves the machine on a pty, TCP, UDP or TCP+UDP until
 * Ctrl-C.
 */
import { parseFlags } from "../../command.ts";
import { QrngError, usageError } from "../../errors.ts";
import type { Platform } from "../../platform.ts";
import { listenTcp } from "../../transports/tcp_server.ts";
import type { Transport } from "../../transports/transport.ts";
import { openUdp } from "../../transports/udp.ts";
import { CMDCTRL_PORT, parseHostPort, parsePort } from "../../uri.ts";
import { TCPUDP_DATA_PORT } from "../../transports/tcpudp.ts";
import { QcicadaMachine } from "./machine.ts";
import { runSession } from "./session.ts";
import { parseRate, parseSeed, parseWholeNumber } from "./sim.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import { EMULATED_SERIAL_PREFIX } from "../../devices/cmdctrl/source.ts";
import { printable } from "../../printable.ts";

const FLAGS = {
  serial: { type: "boolean" },
  tcp: { type: "boolean" },
  udp: { type: "boolean" },
  tcpudp: { type: "boolean" },
  rate: { type: "string" },
  seed: { type: "string" },
  "startup-ms": { type: "string" },
  "stuck-after": { type: "string" },
  "tamper-signatures": { type: "boolean" },
  "drop-update-chunk": { type: "string" },
  "reply-delay-ms": { type: "string" },
  "serial-number": { type: "string" },
  "hw-info": { type: "string" },
  "data-port": { type: "string" },
  json: { type: "boolean" },
} as const;

/** Bytes of each info string field (spec §3: char[24]). */
const INFO_STRING_BYTES = 24;

/** Checks an info string flag: at most 24 one-byte characters (any, escapes too: tests use them). */
function infoString(text: string | undefined, flag: string): string | undefined {
  if (text === undefined) return undefined;
  if (text.length > INFO_STRING_BYTES || /[^\x00-\xff]/.test(text)) {
    throw usageError(`qrng emulate qcicada: ${flag} takes up to ${INFO_STRING_BYTES} one-byte characters`);
  }
  return text;
}

/** How long a Ctrl-C waits for connections to close before the emulator exits anyway. */
const SHUTDOWN_GRACE_MS = 1000;

function endpoint(text: string | undefined): { host: string; port: number } {
  return parseHostPort(text ?? "127.0.0.1", CMDCTRL_PORT, `listen address '${text}'`);
}

/** Runs `qrng emulate qcicada ...argv`; resolves the exit status. */
export async function serveQcicada(argv: string[], platform: Platform): Promise<number> {
  const { values, positionals } = parseFlags("emulate qcicada", argv, FLAGS, 1);
  const modes = (["serial", "tcp", "udp", "tcpudp"] as const).filter((m) => values[m]);
  if (modes.length !== 1) throw usageError("qrng emulate qcicada: choose one of --serial, --tcp, --udp, --tcpudp");
  const mode = modes[0];
  if (mode === "serial" && positionals.length) throw usageError("qrng emulate qcicada: --serial takes no address");
  if (values["data-port"] !== undefined && mode !== "tcpudp") {
    throw usageError("qrng emulate qcicada: --data-port goes with --tcpudp");
  }
  const dataPort = parsePort(values["data-port"] ?? String(TCPUDP_DATA_PORT), "--data-port");
  if (dataPort === 0) throw usageError("qrng emulate qcicada: --data-port is a port 1-65535");
  const seed = parseSeed(values.seed);
  const whole = (flag: "startup-ms" | "stuck-after" | "drop-update-chunk" | "reply-delay-ms") =>
    values[flag] === undefined ? undefined : parseWholeNumber(values[flag], `--${flag}`);
  const serial = infoString(values["serial-number"], "--serial-number");
  if (serial !== undefined && !serial.startsWith(EMULATED_SERIAL_PREFIX)) {
    throw usageError(`qrng emulate qcicada: --serial-number must start with ${EMULATED_SERIAL_PREFIX} (hosts tell the emulator by it)`);
  }
  const write = (line: string) => platform.stdout.write(new TextEncoder().encode(line + "\n"));
  const machine = new QcicadaMachine({
    seed,
    rateBytesPerS: parseRate(values.rate),
    now: () => platform.now(),
    startupMs: whole("startup-ms"),
    stuckAfterBytes: whole("stuck-after"),
    tamperSignatures: values["tamper-signatures"],
    dropUpdateChunk: whole("drop-update-chunk"),
    info: { serial, hwInfo: infoString(values["hw-info"], "--hw-info") },
    onImage: (image) =>
      platform.writeStderr(
        `qrng emulate: firmware image installed: ${image.length} bytes, sha256 ${hex(sha256(image))}\n`,
      ),
  });
  let stopped = false;
  let current: Transport | undefined;
  let wake: () => void = () => {};
  const interrupted = new Promise<void>((resolve) => (wake = resolve));
  const unsubscribe = platform.onInterrupt(() => {
    stopped = true;
    void current?.close();
    wake();
  });
  const session = (t: Transport, data?: Transport, chunk?: number) =>
    runSession(machine, t, {
      data,
      dataChunkBytes: chunk,
      replyDelayMs: whole("reply-delay-ms"),
      sleep: platform.sleep,
      stopped: () => stopped,
    });
  const announce = async (uri: string) => {
    platform.writeStderr(
      `qrng emulate: EMULATED QCicada (serial ${printable(machine.identity.info.serial)}, seed ${seed}) on ${uri}: ` +
        `its data is a reproducible stream, not random\n`,
    );
    if (values.json) {
      const ca = hex(machine.identity.caPublic);
      return await write(JSON.stringify({ device: uri, caPublicKey: ca, serial: machine.identity.info.serial, seed }));
    }
    await write(uri);
    await write(`ca ${hex(machine.identity.caPublic)}`);
  };
  const serving = (async () => {
    if (mode === "serial") {
      if (!platform.libc) throw new QrngError("unsupported", "qrng emulate --serial needs Deno or Bun (FFI)");
      const { openPty } = await import("../../transports/pty.ts");
      const pty = await openPty(await platform.libc());
      current = pty;
      await announce(`serial:${pty.slavePath}`);
      await Promise.race([session(pty), interrupted]);
      await pty.close();
    } else if (mode === "udp") {
      const { host, port } = endpoint(positionals[0]);
      const udp = await openUdp({ bindHost: host, bindPort: port, description: "emulator UDP" });
      current = udp;
      await announce(`udp://${host}:${udp.port}`);
      await Promise.race([session(udp, undefined, 1024), interrupted]);
      await udp.close();
    } else {
      const { host, port } = endpoint(positionals[0]);
      const listener = await listenTcp(host, port);
      const data = mode === "tcpudp" ? await openTcpUdpData(host, listener.port, dataPort) : undefined;
      await announce(`${mode}://${host}:${listener.port}`);
      while (!stopped) {
        const next = await Promise.race([listener.accept(), interrupted]);
        if (!next) break;
        current = next;
        data?.serve(next.remoteHost);
        await session(next, data?.channel, data ? 1024 : undefined);
        await next.close();
      }
      await listener.close();
      await data?.close();
    }
  })();
  try {
    // After Ctrl-C, give the transports SHUTDOWN_GRACE_MS to close, then exit regardless: an
    // emulator must never outlive its interrupt because a peer lingers.
    await Promise.race([serving, interrupted.then(() => platform.sleep(SHUTDOWN_GRACE_MS))]);
  } finally {
    unsubscribe();
  }
  return 0;
}

/**
 * The data side of a TCP+UDP device: datagrams go from an ephemeral port of its own to the
 * host's data port, as from a device on the network, so a host on the same machine can bind
 * 54936 itself. A host on another port (`tcpudp://...?udp=0`) is learned from the empty
 * datagram it sends to UDP at the device's port on connect (see cli/transports/tcpudp.ts):
 * the emulator listens there unless that port is `dataPort`, which belongs to the hosts.
 */
async function openTcpUdpData(host: string, tcpPort: number, dataPort: number) {
  const channel = await openUdp({ bindHost: host, peer: { host, port: dataPort }, description: "emulator data" });
  let served: string | undefined;
  let registered: { host: string; port: number } | undefined;
  const registrations = tcpPort === dataPort ? undefined : await openUdp({
    bindHost: host,
    bindPort: tcpPort,
    description: "emulator data registrations",
    onSender(from, port) {
      registered = { host: from, port };
      if (from === served) channel.setPeer(from, port);
    },
  });
  return {
    channel,
    /** Sends data to the host at `remote` from now on. */
    serve(remote: string): void {
      served = remote;
      const learned = registered?.host === remote ? registered.port : undefined;
      channel.setPeer(remote, learned ?? dataPort);
    },
    async close(): Promise<void> {
      await registrations?.close();
      await channel.close();
    },
  };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

