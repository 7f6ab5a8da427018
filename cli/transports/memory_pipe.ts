/**
 * An in-process pair of connected Transports: what one end writes, the other reads. Used by
 * `sim:<kind>` devices, whose emulator runs in the same process as the host driver.
 */
import { QrngError } from "../errors.ts";
import { ByteQueue } from "./byte_queue.ts";
import type { Transport } from "./transport.ts";

/** Bytes one end may buffer before its writer waits. */
const PIPE_HIGH_WATER_BYTES = 1 << 20;

/** Creates two connected ends; `description` names the host end ("sim:qcicada"). */
export function memoryPipe(description: string): [host: Transport, device: Transport] {
  const toDevice = new ByteQueue({ highWaterBytes: PIPE_HIGH_WATER_BYTES });
  const toHost = new ByteQueue({ highWaterBytes: PIPE_HIGH_WATER_BYTES });
  let closed = false;
  const end = (name: string, inbox: ByteQueue, outbox: ByteQueue): Transport => ({
    description: name,
    async write(data) {
      if (closed) throw new QrngError("disconnected", `${name}: the other end closed`);
      outbox.push(new Uint8Array(data));
      await outbox.belowHighWater();
    },
    read: (buffer, timeoutMs) => inbox.read(buffer, timeoutMs),
    discardInput() {
      inbox.discard();
      return Promise.resolve();
    },
    close() {
      closed = true;
      const gone = new QrngError("disconnected", `${description}: closed`);
      toDevice.end(gone);
      toHost.end(gone);
      return Promise.resolve();
    },
  });
  return [end(description, toHost, toDevice), end(`${description} (device side)`, toDevice, toHost)];
}
