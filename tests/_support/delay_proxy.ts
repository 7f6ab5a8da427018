/**
 * A loopback TCP proxy that puts a slow network between a host and a device: every chunk, in
 * both directions, is delivered `latencyMs ± jitterMs` after it arrived, in order (a chunk
 * never overtakes the one before it, as on one TCP connection). Ends pass through once the
 * chunks before them are delivered.
 */
import { type AddressInfo, connect, createServer, type Socket } from "node:net";

/** A running proxy. */
export interface DelayProxy {
  /** The device URI to give the host: tcp://127.0.0.1:PORT. */
  uri: string;
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

/** Options of {@link startDelayProxy}. */
export interface DelayProxyOptions {
  /** Where the device listens. */
  targetPort: number;
  /** One-way delay of every chunk. */
  latencyMs: number;
  /** Each chunk's delay varies uniformly by up to this much either way. @default 0 */
  jitterMs?: number;
}

/** Delivers what `from` sends to `to`, each chunk delayed, in order. */
function delayedPipe(from: Socket, to: Socket, latencyMs: number, jitterMs: number): void {
  // One queue and one timer at a time: separate timers due at the same moment may fire out of order.
  const queue: Array<{ dueMs: number; deliver: () => void }> = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pump = () => {
    timer = undefined;
    while (queue.length > 0 && queue[0].dueMs <= performance.now()) queue.shift()!.deliver();
    if (queue.length > 0) timer = setTimeout(pump, queue[0].dueMs - performance.now());
  };
  const schedule = (deliver: () => void) => {
    const due = Math.max(
      queue.at(-1)?.dueMs ?? 0,
      performance.now() + latencyMs + (Math.random() * 2 - 1) * jitterMs,
    );
    queue.push({ dueMs: due, deliver });
    if (!timer) timer = setTimeout(pump, due - performance.now());
  };
  from.on("data", (chunk: Buffer) => schedule(() => !to.destroyed && to.write(chunk)));
  from.on("end", () => schedule(() => to.end()));
  from.on("close", () => schedule(() => to.destroy()));
  from.on("error", () => {});
}

/** Starts a proxy on an ephemeral loopback port in front of `targetPort`. */
export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const jitterMs = options.jitterMs ?? 0;
  const sockets = new Set<Socket>();
  const server = createServer((host) => {
    host.pause();
    const device = connect(options.targetPort, "127.0.0.1", () => host.resume());
    for (const socket of [host, device]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    delayedPipe(host, device, options.latencyMs, jitterMs);
    delayedPipe(device, host, options.latencyMs, jitterMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    uri: `tcp://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
