/**
 * For the `qrng serve` tests: starts the daemon under a runner and parses the listener URIs it
 * prints, and checks consumers' bytes against the seeded emulator stream they must come from.
 */
import { Buffer } from "node:buffer";
import * as net from "node:net";
import { SeededBytes } from "../../cli/emulators/seeded_bytes.ts";
import { encodeFrame, encodeRead, FRAME, FrameDecoder } from "../../cli/protocol/serve_wire.ts";
import { type CliChild, type Runner, spawnCli } from "./cli.ts";

/** A running daemon. */
export interface RunningDaemon {
  readonly run: CliChild;
  /** unix:/PATH, qrng+tcp://HOST:PORT and http://HOST:PORT, as the daemon printed them. */
  readonly unix?: string;
  readonly tcp?: string;
  readonly http?: string;
  /** Sends `signal` (SIGTERM by default) and resolves the exit status. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How long a daemon may take to print its listeners (Deno's start on a loaded machine). */
const DAEMON_START_MS = 30_000;

/** Starts `qrng serve ...args` under `runner`; resolves once it printed every listener's URI. */
export function startDaemon(runner: Runner, args: readonly string[], env?: Record<string, string>): Promise<RunningDaemon> {
  const listeners = args.filter((a) => a === "--unix" || a === "--tcp" || a === "--http").length;
  const run = spawnCli(runner, ["serve", ...args], { env, timeoutMs: 120_000 });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`qrng serve did not start: ${run.stderr()}`)), DAEMON_START_MS);
    void run.exited.then((status) => reject(new Error(`qrng serve exited ${status}: ${run.stderr()}`)));
    run.child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split("\n").slice(0, -1);
      if (lines.length < listeners) return;
      clearTimeout(timer);
      resolve({
        run,
        unix: lines.find((l) => l.startsWith("unix:")),
        tcp: lines.find((l) => l.startsWith("qrng+tcp:")),
        http: lines.find((l) => l.startsWith("http:")),
        stop(signal = "SIGTERM") {
          if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill(signal);
          return run.exited;
        },
      });
    });
  });
}

/** Where a stream consumer connects: a daemon URI of either stream listener. */
export function connectionOptions(uri: string): net.NetConnectOpts {
  if (uri.startsWith("unix:")) return { path: uri.slice("unix:".length) };
  const { hostname, port } = new URL(uri.replace(/^qrng\+tcp:/, "http:"));
  return { host: hostname, port: Number(port) };
}

/** What a raw protocol consumer got. */
export interface StreamReadResult {
  readonly data: Buffer;
  /** The error frame's JSON, when the daemon ended the read with one. */
  readonly error?: { kind: string; message: string };
  readonly hello: Record<string, unknown>;
}

/**
 * Reads `bytes` from a daemon's stream listener as a bare protocol client (no gate), sending
 * `token` first when given; resolves at the data's end or the first error frame.
 */
export function streamRead(uri: string, bytes: number, token?: string): Promise<StreamReadResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(connectionOptions(uri));
    const decoder = new FrameDecoder();
    const data: Buffer[] = [];
    let got = 0;
    let hello: Record<string, unknown> | undefined;
    const done = (result: Omit<StreamReadResult, "hello">) => {
      socket.destroy();
      resolve({ ...result, hello: hello ?? {} });
    };
    socket.on("error", reject);
    socket.on("close", () => done({ data: Buffer.concat(data), error: { kind: "closed", message: "the daemon hung up" } }));
    socket.on("connect", () => {
      if (token !== undefined) socket.write(encodeFrame(FRAME.token, new TextEncoder().encode(token)));
      socket.write(encodeRead(bytes));
    });
    socket.on("data", (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type === FRAME.hello) hello = JSON.parse(Buffer.from(frame.payload).toString());
        if (frame.type === FRAME.error) {
          return done({ data: Buffer.concat(data), error: JSON.parse(Buffer.from(frame.payload).toString()) });
        }
        if (frame.type === FRAME.data) {
          data.push(Buffer.from(frame.payload));
          got += frame.payload.length;
          if (got >= bytes) return done({ data: Buffer.concat(data) });
        }
      }
    });
  });
}

/** The first `bytes` of the data stream of an emulator seeded `seed`. */
export function emulatorStream(seed: number, bytes: number): Buffer {
  return Buffer.from(new SeededBytes(seed).take(bytes));
}

/** The shortest piece located in a stream: shorter ones could match anywhere by chance. */
const PROBE_BYTES = 8;

/** How `output` lies in the streams it came from. */
export interface Located {
  /** Pieces found: which stream, where, how long. */
  readonly pieces: Array<{ stream: number; start: number; length: number }>;
  /** Bytes in pieces shorter than a probe that could not be placed. */
  readonly unplaced: number;
}

/**
 * Splits `output` into the longest pieces that occur in one of `streams` (searching on from
 * where the last piece ended first: a consumer's pieces come in stream order).
 */
export function locate(output: Buffer, streams: readonly Buffer[]): Located {
  const pieces: Located["pieces"] = [];
  let unplaced = 0;
  let hint = { stream: 0, at: 0 };
  for (let at = 0; at < output.length;) {
    const probe = output.subarray(at, at + PROBE_BYTES);
    let found: { stream: number; start: number } | undefined;
    if (probe.length === PROBE_BYTES) {
      const near = streams[hint.stream].indexOf(probe, hint.at);
      if (near >= 0) found = { stream: hint.stream, start: near };
      for (let s = 0; !found && s < streams.length; s++) {
        const start = streams[s].indexOf(probe);
        if (start >= 0) found = { stream: s, start };
      }
    }
    if (!found) {
      unplaced++;
      at++;
      continue;
    }
    const stream = streams[found.stream];
    let length = PROBE_BYTES;
    while (at + length < output.length && found.start + length < stream.length && output[at + length] === stream[found.start + length]) {
      length++;
    }
    pieces.push({ stream: found.stream, start: found.start, length });
    hint = { stream: found.stream, at: found.start + length };
    at += length;
  }
  return { pieces, unplaced };
}
