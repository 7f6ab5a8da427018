/**
 * Real `nats-server -js` processes for the fleet tests (Debian's package; .ci/run installs it):
 * one server, or a three-node cluster on loopback, each node with its own temporary store.
 * Nodes can be killed and restarted on the same ports and store. Everything a test started is
 * stopped and removed by {@link stopAll} (call it in afterAll, it runs even on failure).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";

/** Whether Debian's nats-server is installed (the fleet tests skip with a message otherwise). */
export const natsServerInstalled = (() => {
  try {
    execFileSync("nats-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** A free loopback port, found by binding port 0 (the server binds it moments later). */
async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One nats-server process: its client URL, and how to kill and restart it. */
export class NatsNode {
  #child: ChildProcess | undefined;
  #log = "";

  constructor(readonly name: string, readonly port: number, readonly args: readonly string[]) {}

  /** The client URL: nats://127.0.0.1:PORT. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** What the server logged since it was last started. */
  get log(): string {
    return this.#log;
  }

  /** Whether the process is running, or how it ended: for failure messages. */
  get status(): string {
    const child = this.#child;
    if (!child) return "not started";
    if (child.exitCode === null && child.signalCode === null) return `running as pid ${child.pid}`;
    return `exited (${child.signalCode ?? child.exitCode})`;
  }

  /** Starts the server; resolves once it accepts clients. */
  async start(): Promise<void> {
    this.#log = "";
    const child = spawn("nats-server", [...this.args], { stdio: ["ignore", "ignore", "pipe"] });
    this.#child = child;
    child.stderr!.setEncoding("utf8");
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start:\n${this.#log}`)), 20_000);
      child.stderr!.on("data", (text: string) => {
        this.#log += text;
        if (this.#log.includes("Server is ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("exit", (status) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${status}):\n${this.#log}`));
      });
    });
  }

  /** Stops the server (SIGSTOP) for `ms`, then lets it go on (SIGCONT): it answers nothing meanwhile. */
  async freeze(ms: number): Promise<void> {
    const child = this.#child;
    if (!child) throw new Error(`${this.name} is not running`);
    child.kill("SIGSTOP");
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      child.kill("SIGCONT");
    }
  }

  /** Kills the server with SIGKILL and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await gone;
  }
}

const started: NatsNode[] = [];
const dirs: string[] = [];

function storeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "qrng-nats-"));
  dirs.push(dir);
  return dir;
}

/** Attempts at starting servers whose ports another process took between probe and bind. */
const PORT_ATTEMPTS = 5;

/**
 * Starts `nodes()` (fresh free ports each time) and runs `ready` on them, again when a port
 * probed free was taken before the server bound it (other tests bind ports concurrently).
 */
async function startOnFreePorts(
  nodes: () => Promise<NatsNode[]>,
  ready = async (_: NatsNode[]) => {},
): Promise<NatsNode[]> {
  for (let attempt = 1;; attempt++) {
    const attemptNodes = await nodes();
    started.push(...attemptNodes);
    try {
      await Promise.all(attemptNodes.map((node) => node.start()));
      await ready(attemptNodes);
      return attemptNodes;
    } catch (error) {
      await Promise.all(attemptNodes.map((node) => node.kill()));
      started.splice(0, started.length, ...started.filter((node) => !attemptNodes.includes(node)));
      if (attempt === PORT_ATTEMPTS || !/address already in use/.test(String(error))) throw error;
    }
  }
}

/** Starts one JetStream server on a free loopback port; `extra` adds flags (e.g. --user). */
export async function startNatsServer(extra: readonly string[] = []): Promise<NatsNode> {
  const [node] = await startOnFreePorts(async () => {
    const port = await freePort();
    return [
      new NatsNode("nats", port, ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir(), ...extra]),
    ];
  });
  return node;
}

/** Starts a three-node JetStream cluster on loopback; resolves once it places replicated streams. */
export function startNatsCluster(): Promise<NatsNode[]> {
  return startOnFreePorts(async () => {
    const ports = await Promise.all(
      [0, 1, 2].map(async () => ({ client: await freePort(), route: await freePort() })),
    );
    return ports.map(({ client, route }, i) =>
      new NatsNode(`node${i + 1}`, client, [
        ...["-js", "-a", "127.0.0.1", "-p", String(client), "-sd", storeDir(), "-n", `node${i + 1}`],
        ...["--cluster_name", "qrng", "--cluster", `nats://127.0.0.1:${route}`],
        ...["--routes", ports.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p.route}`).join(",")],
      ])
    );
  }, async (nodes) => {
    await waitForJetStream(nodes[0].url);
    await waitForPlacement(nodes[0].url, nodes.length);
  });
}

/**
 * Polls until the cluster places a stream on `replicas` nodes: a meta leader answers before every
 * peer has joined it, and on a loaded machine a replicated stream created then is refused ("no
 * suitable peers for placement").
 */
async function waitForPlacement(url: string, replicas: number, timeoutMs = 60_000): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + timeoutMs;
    const probe = { name: "PLACEMENT_PROBE", subjects: ["placement.probe"], num_replicas: replicas };
    for (;;) {
      const placed = await jsm.streams.add(probe).then(() => true, (error: Error) => {
        if (Date.now() > deadline) {
          throw new Error(`the cluster at ${url} cannot place ${replicas} replicas: ${error.message}`);
        }
        return false;
      });
      if (placed) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await jsm.streams.delete(probe.name);
  } finally {
    await nc.close();
  }
}

/** Polls until JetStream answers at `url` (a cluster elects its meta leader first). */
export async function waitForJetStream(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nc = await connect({ servers: url }).catch(() => undefined);
    try {
      if (nc) {
        await (await jetstreamManager(nc)).getAccountInfo();
        return;
      }
    } catch (error) {
      if (Date.now() > deadline) throw error;
    } finally {
      await nc?.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A client connection for the test's own look at a stream. */
export function natsClient(url: string): Promise<NatsConnection> {
  return connect({ servers: url });
}

/** Kills every server started here and removes their stores. */
export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map((node) => node.kill()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Polls until stream `name` has a leader and every other replica is current with no lag, then
 * describes the placement; after `timeoutMs` it describes it as it is. A replica that lags has
 * not applied every committed delete yet, so what the stream holds is read after this.
 */
export async function settledPlacement(url: string, name: string, timeoutMs = 30_000): Promise<string> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { cluster } = await jsm.streams.info(name);
      const replicas = cluster?.replicas ?? [];
      const settled = cluster?.leader !== undefined && replicas.every((r) => r.current && !r.lag);
      const placement = `leader ${cluster?.leader}, replicas ${JSON.stringify(replicas)}`;
      if (settled) return placement;
      if (Date.now() > deadline) return `${placement} (not settled after ${timeoutMs} ms)`;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await nc.close();
  }
}

/** One message still in a stream: its sequence number, payload, publisher's block id and store time. */
export interface StoredMessage {
  readonly seq: number;
  readonly data: Uint8Array;
  /** `<Qrng-Publisher>#<Qrng-Seq>`: which block of which publisher it is. */
  readonly block: string;
  readonly time: Date;
}

/** How many message-get requests {@link readStream} keeps in flight. */
const READ_STREAM_CONCURRENCY = 256;

/**
 * Every message stream `name` at `url` holds now, asked of its leader (the node whose store a
 * taker's delete acts on) sequence by sequence, not trusting the stream's own count: a caller
 * compares the two.
 */
export async function readStream(url: string, name: string): Promise<StoredMessage[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(name);
    const held: StoredMessage[] = [];
    for (let from = state.first_seq; from <= state.last_seq; from += READ_STREAM_CONCURRENCY) {
      const seqs = Array.from(
        { length: Math.min(READ_STREAM_CONCURRENCY, state.last_seq - from + 1) },
        (_, i) => from + i,
      );
      const got = await Promise.all(
        seqs.map((seq) =>
          jsm.streams.getMessage(name, { seq }).catch((error: { code?: number }) => {
            if (error.code === 10037) return null; // no message found: deleted
            throw error;
          })
        ),
      );
      for (const message of got) {
        if (!message) continue;
        const block = `${message.header?.get("Qrng-Publisher")}#${message.header?.get("Qrng-Seq")}`;
        held.push({ seq: message.seq, data: message.data, block, time: message.time });
      }
    }
    return held;
  } finally {
    await nc.close();
  }
}

/** Polls until stream `name` exists at `url` (a publisher started moments ago creates it). */
export async function waitForStream(url: string, name: string, timeoutMs = 30_000): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + timeoutMs;
    while (!(await jsm.streams.info(name).catch(() => undefined))) {
      if (Date.now() > deadline) throw new Error(`stream ${name} did not appear at ${url}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await nc.close();
  }
}
