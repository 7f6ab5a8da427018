/**
 * A QCicada on loopback UDP or TCP+UDP that misbehaves at the datagram level on purpose: it
 * answers the host through the real emulator machine, then duplicates a data datagram, injects
 * foreign ones, sends more than was asked for, or floods the host. It records every data byte
 * it sent as an answer, so a test can check that the host's output is a prefix of them (nothing
 * twice, nothing foreign). Small and focused on the defects of issue 8 §2.1.
 */
import { randomBytes } from "node:crypto";
import * as dgram from "node:dgram";
import * as net from "node:net";
import { QcicadaMachine } from "../../cli/emulators/qcicada/machine.ts";
import { UDP_DATAGRAM_BYTES } from "../../cli/transports/udp.ts";
import { CMD } from "../../wasm/cmdctrl.ts";

/** What the peer does wrong. */
export type DatagramFault =
  /** The first data datagram of every one-shot is sent twice. */
  | "duplicate"
  /** Foreign datagrams reach the data port before the host's first status (TCP+UDP), so before it asks for data. */
  | "stray-before"
  /** A foreign datagram comes between the first and second data datagram of a one-shot. */
  | "stray-within"
  /** One foreign datagram follows the data of every one-shot. */
  | "surplus"
  /** 2.8 MB of distinct foreign datagrams before the host asks for data. */
  | "flood";

/** A running peer. */
export interface DatagramPeer {
  /** Device URI for the host (TCP+UDP with `?udp=0`). */
  readonly uri: string;
  /** Every data byte sent as an answer, in order. */
  answered(): Uint8Array;
  /** The foreign datagrams sent. */
  readonly strays: Uint8Array[];
  close(): Promise<void>;
}

/**
 * Datagrams in a flood: 2.8 MB, well over the host's 1 MiB queue cap, yet sent well within the
 * host's 3 s response timeout (the flood comes before an answer), in bursts of FLOOD_BURST.
 */
const FLOOD_DATAGRAMS = 2048;
const FLOOD_BURST = 64;
/** Lets strays reach the host's socket before the answer that lets the host go on. */
const STRAY_SETTLE_MS = 50;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts a peer speaking `mode` with `fault`. */
export async function startDatagramPeer(mode: "udp" | "tcpudp", fault: DatagramFault): Promise<DatagramPeer> {
  const machine = new QcicadaMachine({
    seed: 21,
    rateBytesPerS: Infinity,
    startupMs: 0,
    now: () => performance.now(),
  });
  const answered: Uint8Array[] = [];
  const strays: Uint8Array[] = [];
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const send = (bytes: Uint8Array, port: number) =>
    new Promise<void>((resolve, reject) =>
      socket.send(bytes, port, "127.0.0.1", (e) => (e ? reject(e) : resolve()))
    );
  const stray = async (port: number) => {
    const foreign = new Uint8Array(randomBytes(UDP_DATAGRAM_BYTES));
    strays.push(foreign);
    await send(foreign, port);
  };
  /** Sends one-shot data as datagrams, with the fault's changes. */
  const sendData = async (data: Uint8Array, port: number) => {
    answered.push(data.slice());
    for (let offset = 0, index = 0; offset < data.length; offset += UDP_DATAGRAM_BYTES, index++) {
      const datagram = data.subarray(offset, offset + UDP_DATAGRAM_BYTES);
      await send(datagram, port);
      if (index === 0 && fault === "duplicate") await send(datagram, port);
      if (index === 0 && fault === "stray-within") await stray(port);
    }
    if (fault === "surplus") await stray(port);
  };
  let statusAnswered = false;
  /** Misbehaviour before the host's command `code` is answered. */
  const beforeAnswer = async (code: number, port: number) => {
    if (code === CMD.GET_STATUS && fault === "stray-before" && !statusAnswered) {
      statusAnswered = true;
      for (let i = 0; i < 3; i++) await stray(port);
      await sleep(STRAY_SETTLE_MS);
    }
    if (code === CMD.GET_INFO && fault === "flood") {
      // Paced, so that a busy host takes most of it off its socket rather than the kernel dropping it.
      for (let i = 0; i < FLOOD_DATAGRAMS; i += FLOOD_BURST) {
        await Promise.all(Array.from({ length: FLOOD_BURST }, () => stray(port)));
        await sleep(1);
      }
      await sleep(STRAY_SETTLE_MS);
    }
  };
  /** Answers `command`: responses by `respond`, data as datagrams to `dataPort`. */
  const serve = async (
    command: Uint8Array,
    respond: (b: Uint8Array) => Promise<void>,
    dataPort: () => number,
  ) => {
    if (command.length > 0) await beforeAnswer(command[0], dataPort());
    for (const reply of machine.receive(command)) {
      if (reply.data) await sendData(reply.bytes, dataPort());
      else await respond(reply.bytes);
    }
  };

  let close: () => Promise<void>;
  let uri: string;
  const port = (socket.address() as net.AddressInfo).port;
  if (mode === "udp") {
    let chain = Promise.resolve();
    socket.on("message", (message, remote) => {
      chain = chain.then(() =>
        serve(new Uint8Array(message), (b) => send(b, remote.port), () => remote.port)
      );
    });
    uri = `udp://127.0.0.1:${port}`;
    close = () => new Promise((resolve) => socket.close(() => resolve()));
  } else {
    // Commands on TCP; the host's data port is learned from its registration datagram, which
    // it sends to the device's port: the peer's TCP and UDP ports are the same number.
    let dataPort = 0;
    socket.on("message", (_message, remote) => (dataPort = remote.port));
    const connections = new Set<net.Socket>();
    const server = net.createServer((connection) => {
      connections.add(connection);
      connection.on("close", () => connections.delete(connection));
      let chain = Promise.resolve();
      connection.on("data", (chunk) => {
        chain = chain.then(() => serve(new Uint8Array(chunk), (b) => write(connection, b), () => dataPort));
      });
      connection.on("error", () => {});
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    uri = `tcpudp://127.0.0.1:${port}?udp=0`;
    close = async () => {
      for (const connection of connections) connection.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    };
  }
  return {
    uri,
    strays,
    answered: () => Buffer.concat(answered),
    close: () => close(),
  };
}

function write(connection: net.Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => connection.write(bytes, () => resolve()));
}
