/**
 * The adversarial Cmd&Ctrl device on one of the four transports, built from the project's own
 * parts: the emulator's machine behind FaultyMachine, its session loop (runSession), and the
 * pty, TCP listener and UDP sockets of cli/transports behind FaultyLink. Sockets work in any
 * runtime (the fault matrix runs them inside vitest); the pty needs a libc (Bun or Deno: see
 * main.ts).
 */
import { runSession } from "../../../cli/emulators/qcicada/session.ts";
import type { SystemLibrary } from "../../../cli/runtime/libc.ts";
import { listenTcp, type TcpListener } from "../../../cli/transports/tcp_server.ts";
import type { Transport } from "../../../cli/transports/transport.ts";
import { openUdp, type UdpEndpoint } from "../../../cli/transports/udp.ts";
import { FaultyLink, type FaultyLinkOptions } from "./faulty_link.ts";
import { FaultyMachine } from "./faulty_machine.ts";
import { type DeviceRecord, Recorder } from "./record.ts";
import type { FaultScript } from "./script.ts";

/** The Cmd&Ctrl transports the device serves. */
export const ADVERSARY_TRANSPORTS = ["tcp", "udp", "tcpudp", "serial"] as const;
export type AdversaryTransport = typeof ADVERSARY_TRANSPORTS[number];

/** UDP data writes while streaming (as `qrng emulate` does). */
const UDP_STREAM_CHUNK_BYTES = 1024;
/** TCP ports tried for a TCP+UDP device before giving up on finding the UDP one free. */
const UDP_BIND_ATTEMPTS = 5;
/** Longest wait for the session to end after stop(). */
const STOP_WAIT_MS = 3000;

/** A device serving until {@link stop}. */
export interface RunningAdversary {
  /** The device URI for `qrng --device`. */
  readonly uri: string;
  /** Stops serving; resolves what the device sent. Rejects when the device itself failed. */
  stop(): Promise<DeviceRecord>;
}

/** A seeded uniform [0, 1) source (mulberry32), so jitter repeats from run to run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A TCP listener on a free port and, with `data`, a UDP socket on the same port number (the
 * host registers its data port by a datagram to the device's port). Another socket may hold
 * that UDP port: then it tries another port.
 */
async function listenWithData(
  data: boolean,
  onSender: (host: string, port: number) => void,
): Promise<{ listener: TcpListener; udp?: UdpEndpoint }> {
  for (let attempt = 1;; attempt++) {
    const listener = await listenTcp("127.0.0.1", 0);
    if (!data) return { listener };
    try {
      const udp = await openUdp({
        bindHost: "127.0.0.1",
        bindPort: listener.port,
        description: "adversary data",
        onSender,
      });
      return { listener, udp };
    } catch (error) {
      await listener.close();
      if (attempt === UDP_BIND_ATTEMPTS) throw error;
    }
  }
}

/** Starts the device; `libc` is needed for "serial" only. */
export async function startAdversary(
  transport: AdversaryTransport,
  script: FaultScript,
  libc?: SystemLibrary,
): Promise<RunningAdversary> {
  const now = () => performance.now();
  const recorder = new Recorder();
  const machine = new FaultyMachine(script, recorder, now);
  const random = seededRandom(script.seed ?? 1);
  const link = (inner: Transport, datagramLink: boolean) => {
    const options: FaultyLinkOptions = {
      latencyMs: script.latencyMs,
      jitterMs: script.jitterMs,
      datagrams: datagramLink ? script.datagrams : undefined,
      datagramLink,
      random,
      now,
      sleep,
      foreign: (length) => machine.foreign(length),
    };
    return new FaultyLink(inner, options);
  };
  let stopped = false;
  // Answers to commands wait out the pause the machine asks for (stopTail) after what went before.
  const pausing = (line: FaultyLink): Transport => ({
    ...line.commands,
    write: async (bytes) => {
      const pauseMs = machine.takePauseBeforeReply();
      if (pauseMs > 0) await line.pause(pauseMs);
      await line.commands.write(bytes);
    },
  });
  const session = (commands: FaultyLink, data: FaultyLink, chunk?: number) =>
    runSession(machine, pausing(commands), {
      data: data.data,
      dataChunkBytes: chunk,
      sleep,
      stopped: () => stopped,
    });
  const closers: Array<() => Promise<void>> = [];
  let uri: string;
  let serving: Promise<void>;
  if (transport === "serial") {
    if (!libc) throw new Error("the adversary's serial device needs a libc (run it under Bun or Deno)");
    const { openPty } = await import("../../../cli/transports/pty.ts");
    const master = await openPty(libc);
    const pty = link(master, false);
    closers.push(() => pty.close());
    uri = `serial:${master.slavePath}`;
    serving = session(pty, pty);
  } else if (transport === "udp") {
    let udpLink: FaultyLink | undefined;
    const udp = await openUdp({
      bindHost: "127.0.0.1",
      bindPort: 0,
      description: "adversary UDP",
      onSender: (h, p) => udpLink?.notePeer(h, p),
    });
    const own = udpLink = link(udp, true);
    closers.push(() => own.close());
    uri = `udp://127.0.0.1:${udp.port}`;
    serving = session(own, own, UDP_STREAM_CHUNK_BYTES);
  } else {
    let dataLink: FaultyLink | undefined;
    const { listener, udp } = await listenWithData(
      transport === "tcpudp",
      (h, p) => dataLink?.notePeer(h, p),
    );
    if (udp) {
      const own = dataLink = link(udp, true);
      closers.push(() => own.close());
    }
    uri = transport === "tcpudp"
      ? `tcpudp://127.0.0.1:${listener.port}?udp=0`
      : `tcp://127.0.0.1:${listener.port}`;
    let current: FaultyLink | undefined;
    let wake = () => {};
    const stopping = new Promise<undefined>((resolve) => (wake = () => resolve(undefined)));
    closers.push(async () => {
      wake();
      await current?.close();
      await listener.close();
    });
    serving = (async () => {
      while (!stopped) {
        const connection = await Promise.race([listener.accept(), stopping]);
        if (!connection) break;
        current = link(connection, false);
        await session(current, dataLink ?? current, dataLink ? UDP_STREAM_CHUNK_BYTES : undefined);
        await current.close();
      }
    })();
  }
  let failure: unknown;
  serving = serving.catch((error) => void (failure = error));
  return {
    uri,
    async stop() {
      stopped = true;
      for (const close of closers) await close();
      await Promise.race([serving, sleep(STOP_WAIT_MS)]);
      if (failure) throw new Error(`the adversarial device failed: ${(failure as Error).stack ?? failure}`);
      return recorder.snapshot();
    },
  };
}
