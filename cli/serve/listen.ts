/** What the daemon's listeners (stream and HTTP) have in common. */
import type * as net from "node:net";
import { describeError, QrngError } from "../errors.ts";

/** A listening endpoint of the daemon. */
export interface DaemonListener {
  /** The URI clients use: unix:/PATH, qrng+tcp://HOST:PORT, http://HOST:PORT. */
  readonly uri: string;
  /** Stops accepting connections. */
  stopAccepting(): Promise<void>;
  /** Resolves once no request is in progress. */
  idle(): Promise<void>;
  /**
   * Hangs up every connection (after {@link idle}, or when draining takes too long), giving
   * what was written a moment to reach the client.
   */
  closeConnections(): Promise<void>;
}

/** Starts `server` listening; rejects kind "device" naming `where` when it cannot (taken, no such address). */
export function listen(server: net.Server, start: () => void, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new QrngError("device", `Cannot listen on ${where}: ${describeError(error)}`));
    server.once("error", onError);
    server.once("listening", () => (server.off("error", onError), resolve()));
    start();
  });
}
