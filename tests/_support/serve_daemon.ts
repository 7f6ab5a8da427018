/**
 * For the `qrng serve` tests: starts the daemon under a runner and parses the listener URIs it
 * prints, and checks consumers' bytes against the seeded emulator stream they must come from.
 */
import { Buffer } from "node:buffer";
import * as http from "node:http";
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
export function startDaemon(
  runner: Runner,
  args: readonly string[],
  env?: Record<string, string>,
): Promise<RunningDaemon> {
  const listeners = args.filter((a) => a === "--unix" || a === "--tcp" || a === "--http").length;
  const run = spawnCli(runner, ["serve", ...args], { env, timeoutMs: 120_000 });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`qrng serve did not start: ${run.stderr()}`)),
      DAEMON_START_MS,
    );
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
    socket.on(
      "close",
      () => done({ data: Buffer.concat(data), error: { kind: "closed", message: "the daemon hung up" } }),
    );
    socket.on("connect", () => {
      if (token !== undefined) socket.write(encodeFrame(FRAME.token, new TextEncoder().encode(token)));
      socket.write(encodeRead(bytes));
    });
    socket.on("data", (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type === FRAME.hello) hello = JSON.parse(Buffer.from(frame.payload).toString());
        if (frame.type === FRAME.error) {
          return done({
            data: Buffer.concat(data),
            error: JSON.parse(Buffer.from(frame.payload).toString()),
          });
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

/** The shortest piece searched for in a stream: shorter ones could match anywhere by chance. */
const PROBE_BYTES = 8;
/**
 * How far two consumers' located pieces may seem to overlap without a byte having been served
 * twice: where one take ends and another begins, a stream byte or two can match the output by
 * chance (1 in 256 each), and {@link locate} cannot tell which piece they belong to. Stretches
 * served twice overlap by whole takes; a 32-byte chunk check catches them too.
 */
export const LOCATE_SLACK_BYTES = PROBE_BYTES - 1;

/** A stretch of one of the streams. */
export interface Piece {
  readonly stream: number;
  readonly start: number;
  readonly length: number;
}

/** How `output` lies in the streams it came from. */
export interface Located {
  /** Pieces found: which stream, where, how long. */
  readonly pieces: Piece[];
  /** Runs of fewer than 8 bytes between pieces (or a whole short output), not placed yet. */
  readonly fragments: Buffer[];
}

/** Where the last piece ended: the next one is usually close by (the pool hands bytes out in order). */
export interface LocateHint {
  stream: number;
  at: number;
}

/** How far around the hint to look before searching whole streams. */
const NEAR_BYTES = 4 << 20;

/**
 * Splits `output` into the longest pieces that occur in one of `streams`, searching near
 * `hint` first (and moving it on).
 */
export function locate(
  output: Buffer,
  streams: readonly Buffer[],
  hint: LocateHint = { stream: 0, at: 0 },
): Located {
  const pieces: Piece[] = [];
  const fragments: Buffer[] = [];
  let fragmentAt = -1;
  for (let at = 0; at < output.length;) {
    const probe = output.subarray(at, at + PROBE_BYTES);
    let found: { stream: number; start: number } | undefined;
    if (probe.length === PROBE_BYTES) {
      const from = Math.max(0, hint.at - NEAR_BYTES);
      const near = streams[hint.stream].subarray(from, hint.at + NEAR_BYTES).indexOf(probe);
      if (near >= 0) found = { stream: hint.stream, start: from + near };
      for (let s = 0; !found && s < streams.length; s++) {
        const start = streams[s].indexOf(probe);
        if (start >= 0) found = { stream: s, start };
      }
    }
    if (!found) {
      if (fragmentAt < 0) fragmentAt = at;
      at++;
      continue;
    }
    const previous = fragmentAt < 0 ? pieces.at(-1) : undefined;
    if (fragmentAt >= 0) fragments.push(output.subarray(fragmentAt, at));
    fragmentAt = -1;
    const stream = streams[found.stream];
    let length = PROBE_BYTES;
    while (
      at + length < output.length && found.start + length < stream.length &&
      output[at + length] === stream[found.start + length]
    ) {
      length++;
    }
    // The previous piece was extended while its stream happened to go on as this piece's
    // does (one byte in 256 at each boundary): those bytes lead into this piece instead,
    // else two consumers' pieces would seem to share them.
    let shared = 0;
    if (previous) {
      while (
        shared < PROBE_BYTES - 1 && shared < previous.length - PROBE_BYTES && shared < found.start &&
        stream[found.start - shared - 1] === output[at - shared - 1]
      ) {
        shared++;
      }
      pieces[pieces.length - 1] = { ...previous, length: previous.length - shared };
    }
    pieces.push({ stream: found.stream, start: found.start - shared, length: length + shared });
    hint.stream = found.stream;
    hint.at = found.start + length;
    at += length;
  }
  if (fragmentAt >= 0) fragments.push(output.subarray(fragmentAt));
  return { pieces, fragments };
}

/**
 * Places the short `fragments` where a consumer's bytes can be: right after or right before a
 * piece some consumer got (the pool hands out each burst in stream order, so a fragment too
 * short to search for continues another consumer's piece or leads into one). Resolves the
 * pieces they take, and the fragments that fit nowhere.
 */
export function placeFragments(
  fragments: readonly Buffer[],
  streams: readonly Buffer[],
  pieces: readonly Piece[],
): { placed: Piece[]; unplaced: Buffer[] } {
  const placed: Piece[] = [];
  const unplaced: Buffer[] = [];
  const taken = new Set<string>();
  // A spot some piece already covers is no consumer's: a byte or two match there by chance.
  const ranges = streams.map(() => [] as Array<[number, number]>);
  for (const p of pieces) ranges[p.stream].push([p.start, p.start + p.length]);
  for (const list of ranges) list.sort((a, b) => a[0] - b[0]);
  const covered = (stream: number, start: number, end: number): boolean => {
    const list = ranges[stream];
    let low = 0;
    for (let high = list.length; low < high;) {
      const middle = (low + high) >> 1;
      if (list[middle][0] < end) low = middle + 1;
      else high = middle;
    }
    // The ranges starting before `end`: the nearest two (pieces may overlap when a test fails).
    return list.slice(Math.max(0, low - 2), low).some(([, rangeEnd]) => rangeEnd > start);
  };
  for (const fragment of fragments) {
    const spot = pieces.flatMap((p) =>
      [p.start + p.length, p.start - fragment.length].map((start) => ({ stream: p.stream, start }))
    )
      .find(({ stream, start }) =>
        start >= 0 && !taken.has(`${stream}:${start}`) && !covered(stream, start, start + fragment.length) &&
        streams[stream].subarray(start, start + fragment.length).equals(fragment)
      );
    if (!spot) {
      unplaced.push(fragment);
      continue;
    }
    taken.add(`${spot.stream}:${spot.start}`);
    placed.push({ ...spot, length: fragment.length });
  }
  return { placed, unplaced };
}

/** An HTTP answer, read whole. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  // deno-lint-ignore no-explicit-any -- tests read the daemon's JSON answers field by field
  json(): any;
  text(): string;
}

/**
 * GET `url` on a connection of its own (no keep-alive: a kept connection the daemon has
 * already closed would fail a later request by chance).
 */
export function httpGet(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (chunk: Buffer) => parts.push(chunk));
      res.on("end", () => {
        const body = Buffer.concat(parts);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body.toString()),
          text: () => body.toString(),
        });
      });
      res.on("error", reject);
    }).on("error", reject);
  });
}
