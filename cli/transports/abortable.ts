/**
 * A Transport whose waits end on an AbortSignal (Ctrl-C), over any Transport, whose own reads
 * cannot be cancelled. A read pending when the signal fires rejects at once with kind
 * "interrupted"; the underlying read keeps running, and the next read takes its bytes first,
 * so nothing received is lost or reordered and the one-read-at-a-time rule still holds. Reads
 * started after the abort work normally: the device can still be stopped.
 */
import { QrngError } from "../errors.ts";
import type { Transport } from "./transport.ts";

/** The rejection of a wait the user interrupted: "Cannot <what>: interrupted". */
export function interruptedError(what: string): QrngError {
  return new QrngError("interrupted", `Cannot ${what}: interrupted`);
}

/** Resolves `promise`, or rejects with an "interrupted" QrngError as soon as `signal` aborts. */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(interruptedError(what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(interruptedError(what));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** `transport` with reads that end on `signal` (see the module comment). */
export function abortableTransport(transport: Transport, signal: AbortSignal): Transport {
  /** A read abandoned by an abort, and the buffer it fills. */
  let orphan: { read: Promise<number>; buffer: Uint8Array } | undefined;
  /** Bytes of a finished orphan read not yet handed out. */
  let leftover: Uint8Array | undefined;
  const take = (buffer: Uint8Array): number => {
    const count = Math.min(buffer.length, leftover!.length);
    buffer.set(leftover!.subarray(0, count));
    leftover = count < leftover!.length ? leftover!.subarray(count) : undefined;
    return count;
  };
  return {
    get description() {
      return transport.description;
    },
    write: (data) => transport.write(data),
    async read(buffer, timeoutMs) {
      if (orphan) {
        const { read, buffer: filled } = orphan;
        orphan = undefined;
        const count = await read;
        if (count > 0) leftover = filled.slice(0, count);
      }
      if (leftover) return take(buffer);
      if (signal.aborted) return await transport.read(buffer, timeoutMs);
      const read = transport.read(buffer, timeoutMs);
      try {
        return await unlessAborted(read, signal, `read from ${transport.description}`);
      } catch (error) {
        if ((error as QrngError).kind === "interrupted") orphan = { read: read.catch(() => 0), buffer };
        throw error;
      }
    },
    async discardInput() {
      leftover = undefined;
      if (orphan) {
        await orphan.read;
        orphan = undefined;
      }
      await transport.discardInput();
    },
    close: () => transport.close(),
  };
}
