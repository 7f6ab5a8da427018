/**
 * The one interface between device drivers and the wires they talk over. Serial ports (termios
 * through FFI), pseudo-terminals, TCP, UDP and TCP+UDP all implement it; drivers and emulators
 * depend only on this, so tests swap the transport, never the logic.
 */

/** A bidirectional byte channel to a device (or, for an emulator, to its host). */
export interface Transport {
  /** Human-readable endpoint for messages, e.g. "serial:/dev/ttyUSB0 at 1000000 baud". */
  readonly description: string;
  /**
   * Sends all of `data` before resolving. Rejects with a QrngError of kind "disconnected" when
   * the other side is gone.
   */
  write(data: Uint8Array): Promise<void>;
  /**
   * Waits up to `timeoutMs` for input and stores what has arrived into `buffer`: resolves the
   * count, at least 1, or 0 when the time passed with nothing received. Rejects with a
   * QrngError of kind "disconnected" when the other side closed. At most one read is pending
   * at a time.
   */
  read(buffer: Uint8Array, timeoutMs: number): Promise<number>;
  /** Discards everything received so far and not yet read (stale bytes before a command). */
  discardInput(): Promise<void>;
  /**
   * Releases the channel. A pending read ends: descriptor-backed transports (serial, pty, libc
   * TCP) resolve it 0, queue-backed ones (node:net TCP, UDP, in-process pipes) reject it with
   * kind "disconnected". Closing twice is harmless.
   */
  close(): Promise<void>;
}
