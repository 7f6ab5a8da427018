/**
 * How often a fleet process collects its garbage under Bun (see cli/runtime/memory.ts).
 * Publishing and taking allocate a few short-lived buffers per 4 KiB block (the block, its
 * headers, the client's encoded frame); left to Bun's collector a publisher reached 276 MB
 * after 128 MiB while a full collection left 28 MB of heap. A full collection every MiB keeps
 * the peak near what the plain client library peaks at (publisher ~95 MB after 128 MiB; every
 * 2 MiB reached 103 MB, every 8 MiB 141 MB; every 256 KiB bought 3 MB for 40% of a taker's
 * speed).
 */
import { MemoryReclaimer } from "../runtime/memory.ts";

/** Bytes moved between two full collections. */
export const RECLAIM_EVERY_BYTES = 1024 * 1024;

/** A reclaimer collecting every {@link RECLAIM_EVERY_BYTES} a fleet process moves. */
export function fleetReclaimer(): MemoryReclaimer {
  return new MemoryReclaimer(RECLAIM_EVERY_BYTES);
}
