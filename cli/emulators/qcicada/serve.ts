/**
 * The body of `qrng emulate qcicada` (loaded only when an emulator runs, so hosts do not pay
 * for the emulator's keys and curves): serves the machine on a pty, TCP, UDP or TCP+UDP until
 * Ctrl-C. The command's flags are parsed in cli/commands/emulate_qcicada.ts.
 */
import { QrngError } from "../../errors.ts";
import type { Platform } from "../../platform.ts";
import { listenTcp } from "../../transports/tcp_server.ts";
import type { Transport } from "../../transports/transport.ts";
import { openUdp } from "../../transports/udp.ts";
import { CMDCTRL_PORT } from "../../uri.ts";
import { QcicadaMachine, type QcicadaOptions } from "./machine.ts";
import { runSession } from "./session.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { printable } from "../../printable.ts";

/** What `qrng emulate qcicada` serves, and where. */
export interface QcicadaServeOptions {
  /** The machine's seed, rate, faults and info strings. */
  readonly machine: Omit<QcicadaOptions, "now" | "onImage">;
  /** Where to serve: a new pty, or a socket at `listen`. */
  readonly mode: "serial" | "tcp" | "udp" | "tcpudp";
  /** The address to listen at (all modes but serial). @default 127.0.0.1:54936 */
  readonly listen?: { readonly host: string; readonly port: number };
  /** The host's data port (tcpudp). */
  readonly dataPort: number;
  /** Answer every command this many milliseconds late. @default 0 */
  readonly replyDelayMs?: number;
  /** Announce the device as one JSON line instead of two text lines. @default false */
  readonly json?: boolean;
}

/** How long a Ctrl-C waits for connections to close before the emulator exits anyway. */
const SHUTDOWN_GRACE_MS = 1000;

/** Serves the emulator as `options` say until interrupted; resolves the exit status. */
export async function serveQcicada(options: QcicadaServeOptions, platform: Platform): Promise<number> {
  const { mode, listen = { host: "127.0.0.1", port: CMDCTRL_PORT } } = options;
  const seed = options.machine.seed ?? 1;
  const write = (line: string) => platform.stdout.write(new TextEncoder().encode(line + "\n"));
  const machine = new QcicadaMachine({
    ...options.machine,
    now: () => platform.now(),
    onImage: (image) =>
      platform.writeStderr(
        `qrng emulate: firmware image installed: ${image.length} bytes, sha256 ${
          bytesToHex(sha256(image))
        }\n`,
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
      replyDelayMs: options.replyDelayMs,
      sleep: platform.sleep,
      stopped: () => stopped,
    });
  const announce = async (uri: string) => {
    platform.writeStderr(
      `qrng emulate: EMULATED QCicada (serial ${
        printable(machine.identity.info.serial)
      }, seed ${seed}) on ${uri}: ` +
        `its data is a reproducible stream, not random\n`,
    );
    if (options.json) {
      const ca = bytesToHex(machine.identity.caPublic);
      return await write(
        JSON.stringify({ device: uri, caPublicKey: ca, serial: machine.identity.info.serial, seed }),
      );
    }
    await write(uri);
    await write(`ca ${bytesToHex(machine.identity.caPublic)}`);
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
      const { host, port } = listen;
      const udp = await openUdp({ bindHost: host, bindPort: port, description: "emulator UDP" });
      current = udp;
      await announce(`udp://${host}:${udp.port}`);
      await Promise.race([session(udp, undefined, 1024), interrupted]);
      await udp.close();
    } else {
      const { host, port } = listen;
      const listener = await listenTcp(host, port);
      const data = mode === "tcpudp"
        ? await openTcpUdpData(host, listener.port, options.dataPort)
        : undefined;
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
  const channel = await openUdp({
    bindHost: host,
    peer: { host, port: dataPort },
    description: "emulator data",
  });
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
