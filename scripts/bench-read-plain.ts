/**
 * The plain reader of scripts/bench-read.ts, in its own process so that it runs in the runtime
 * under test: what a plain program gets from that runtime's own socket layer (node:net; `qrng
 * read` itself reads the socket through libc under Deno and Bun, see cli/transports/tcp_libc.ts):
 *
 *   <bun | deno run --allow-all> scripts/bench-read-plain.ts PORT SIZE
 *
 * Connects to a `qrng emulate qcicada` on 127.0.0.1:PORT, sends START continuous, counts SIZE
 * bytes of data (no decoding, no tests, no output) as they arrive, sends STOP and prints one
 * JSON line: {"bytesPerSecond": N}, timed from connecting to the last byte like `qrng read --json`.
 */
import { connect } from "node:net";
import process from "node:process";

/** START continuous: code 0x04, mode 0, length 0. */
const START_CONTINUOUS = new Uint8Array([0x04, 0, 0, 0]);
/** STOP. */
const STOP = new Uint8Array([0x05]);
/** NACK: the emulator is still in its start-up test; START again after this long. */
const NACK = 0x12;
const RETRY_MS = 50;
/** The ACK and status that precede the data. */
const ACK_BYTES = 6;
/** Time for STOP to leave before the socket closes. */
const LINGER_MS = 200;
/** Size of the recycled read buffers (as cli/transports/byte_queue.ts lends). */
const READ_BYTES = 65536;

const port = Number(process.argv[2]);
const size = Number(process.argv[3]);
let got = -ACK_BYTES;
let started = 0;
const pool: Uint8Array[] = [];
const socket = connect({
  host: "127.0.0.1",
  port,
  onread: {
    buffer: () => pool.pop() ?? new Uint8Array(READ_BYTES),
    callback: (n: number, buffer: Uint8Array) => {
      received(buffer, n);
      pool.push(buffer);
      return true;
    },
  },
}, () => {
  started = performance.now();
  socket.write(START_CONTINUOUS);
});

function received(buffer: Uint8Array, n: number): void {
  if (got === -ACK_BYTES && buffer[0] === NACK) return void setTimeout(() => socket.write(START_CONTINUOUS), RETRY_MS);
  if (got >= size) return;
  got += n;
  if (got < size) return;
  const bytesPerSecond = Math.round(size / ((performance.now() - started) / 1000));
  process.stdout.write(JSON.stringify({ bytesPerSecond }) + "\n");
  socket.write(STOP);
  setTimeout(() => {
    socket.destroy();
    process.exit(0);
  }, LINGER_MS);
}
