/** What every listener of the daemon shares: the pool, the device side, caps and counters. */
import type { PoolFiller } from "./filler.ts";
import type { ServeMetrics } from "./metrics.ts";
import type { Pool } from "./pool.ts";

/** The daemon's caps and access rule. */
export interface ServeLimits {
  /** The largest read one request may ask for. */
  readonly maxRequestBytes: number;
  /** Each client's average rate cap (Infinity: none). */
  readonly clientRateBytesPerS: number;
  /** How long a consumer waits on an empty pool before it gets an error. */
  readonly waitMs: number;
  /** Connections each listener accepts at once. */
  readonly maxClients: number;
  /** The bearer token TCP and HTTP clients must present, when one is set. */
  readonly token: string | undefined;
}

/** The daemon's shared state, as listeners see it. */
export interface ServeContext {
  readonly pool: Pool;
  readonly filler: PoolFiller;
  readonly metrics: ServeMetrics;
  readonly limits: ServeLimits;
  /** Monotonic milliseconds. */
  now(): number;
}
