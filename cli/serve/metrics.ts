/**
 * The daemon's counters and their Prometheus text exposition (GET /metrics). They reconcile:
 * every committed byte is served (written to a consumer), undelivered (taken for a consumer
 * that went away before it could be written), dropped (the pool was emptied when the gate
 * failed) or still in the pool.
 */
import { FILLER_STATES } from "./filler.ts";
import type { ServeContext } from "./context.ts";

/** The kinds of listener, as metrics label them. */
export type ListenerName = "unix" | "tcp" | "http";

const LISTENERS: readonly ListenerName[] = ["unix", "tcp", "http"];

const perListener = (): Record<ListenerName, number> => ({ unix: 0, tcp: 0, http: 0 });

/** Counters the listeners keep. */
export class ServeMetrics {
  /** Bytes written to consumers, by listener. */
  readonly bytesServed = perListener();
  /** Requests answered (with data or an error), by listener. */
  readonly requests = perListener();
  /** Consumers connected now, by listener. */
  readonly consumers = perListener();
  /** Requests that ended in an error, by error kind. */
  readonly requestErrors = new Map<string, number>();
  /** Bytes taken for consumers that went away before they were written. */
  bytesUndelivered = 0;

  constructor(readonly startedAtMs: number) {}

  /** Counts a request that ended with an error of `kind`. */
  countError(kind: string): void {
    this.requestErrors.set(kind, (this.requestErrors.get(kind) ?? 0) + 1);
  }

  /** The Prometheus text exposition of everything the daemon counts. */
  render(context: Pick<ServeContext, "pool" | "filler" | "now">): string {
    const { pool, filler } = context;
    const lines: string[] = [];
    const metric = (
      name: string,
      type: "counter" | "gauge",
      help: string,
      samples: Array<[string, number]>,
    ) => {
      lines.push(`# HELP qrng_serve_${name} ${help}`, `# TYPE qrng_serve_${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`qrng_serve_${name}${labels} ${value}`);
    };
    const byListener = (counts: Record<ListenerName, number>) =>
      LISTENERS.map((l): [string, number] => [`{listener="${l}"}`, counts[l]]);
    const stats = filler.health?.stats();
    metric(
      "bytes_served_total",
      "counter",
      "Validated bytes written to consumers.",
      byListener(this.bytesServed),
    );
    metric("requests_total", "counter", "Requests answered.", byListener(this.requests));
    metric(
      "consumers",
      "gauge",
      "Consumers connected (HTTP under Bun: requests in progress).",
      byListener(this.consumers),
    );
    metric(
      "request_errors_total",
      "counter",
      "Requests that ended in an error, by kind.",
      [...this.requestErrors].map(([kind, n]): [string, number] => [`{kind="${kind}"}`, n]),
    );
    metric("bytes_committed_total", "counter", "Validated bytes committed to the pool.", [[
      "",
      filler.bytesCommitted,
    ]]);
    metric("bytes_undelivered_total", "counter", "Bytes taken for consumers that went away first.", [[
      "",
      this.bytesUndelivered,
    ]]);
    metric("bytes_dropped_total", "counter", "Pool bytes thrown away when the gate failed.", [[
      "",
      filler.bytesDropped,
    ]]);
    metric("bytes_uncommitted_total", "counter", "Bytes of failed bursts, never committed.", [[
      "",
      filler.bytesUncommitted,
    ]]);
    metric("pool_bytes", "gauge", "Validated bytes in the pool.", [["", pool.level]]);
    metric("pool_capacity_bytes", "gauge", "The pool's size.", [["", pool.capacityBytes]]);
    metric("consumers_waiting", "gauge", "Consumers waiting on an empty pool.", [["", pool.waiting]]);
    metric(
      "device_state",
      "gauge",
      "1 for the device side's current state.",
      FILLER_STATES.map((s): [string, number] => [`{state="${s}"}`, filler.state === s ? 1 : 0]),
    );
    metric("device_failures_total", "counter", "Device faults (each followed by a reopen).", [[
      "",
      filler.deviceFailures,
    ]]);
    metric("bursts_total", "counter", "Bursts read and committed.", [["", filler.bursts]]);
    metric("health_windows_tested_total", "counter", "Health-test windows tested.", [[
      "",
      stats?.windowsTested ?? 0,
    ]]);
    metric("health_windows_failed_total", "counter", "Health-test windows failed (dropped).", [[
      "",
      stats?.windowsFailed ?? 0,
    ]]);
    metric("health_failed", "gauge", "1 once the gate failed closed.", [[
      "",
      filler.state === "failed" ? 1 : 0,
    ]]);
    metric("uptime_seconds", "gauge", "Seconds since the daemon started.", [[
      "",
      Math.round((context.now() - this.startedAtMs) / 1000),
    ]]);
    return lines.join("\n") + "\n";
  }
}
