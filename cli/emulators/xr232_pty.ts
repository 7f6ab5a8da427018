/**
 * Puts an emulated XR232 / XR232USB behind a pseudo-terminal: a host opens the slave as if it
 * were the device's serial port. Every open the master notices resets the device (as RTS does
 * on the real stick); the host's baud rate is read from the slave's termios; answers are paced
 * at the line rate (10 bit times per byte), and withheld while the model's CTS is off (a pty
 * has no modem lines, so the host sees a stall, as it would behind an inactive CTS).
 */
import type { PtyMaster } from "../transports/pty.ts";
import type { Xr232Device } from "./xr232_device.ts";

/** How long one read of the host's requests waits; also the pacing loop's granularity. */
const POLL_MS = 1;
/** While no host has the port open, look this often. */
const IDLE_POLL_MS = 5;
/** Line time the pacer may send in one burst after a slow loop turn (bounds catch-up). */
const MAX_BURST_S = 0.02;

/** What the adapter needs from outside. */
export interface Xr232PtyOptions {
  /** Monotonic milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Polled each turn; the loop ends when it returns true. */
  stopped(): boolean;
  /** One line per notable event (open at a baud rate, close, CTS changes). */
  log?(line: string): void;
  /** Every byte written to the host, in order (for recording what was served). */
  onSend?(bytes: Uint8Array): void | Promise<void>;
}

/** Serves `device` on `master` until `options.stopped()`. */
export async function serveXr232OnPty(
  master: PtyMaster,
  device: Xr232Device,
  options: Xr232PtyOptions,
): Promise<void> {
  const log = options.log ?? (() => {});
  const input = new Uint8Array(4096);
  let open = false;
  let opens = master.opens;
  let baud = 0;
  let last = options.now();
  let credit = 0;
  let cts = false;
  while (!options.stopped()) {
    const isOpen = master.slaveOpen();
    const openCount = master.opens;
    if (isOpen && (!open || openCount !== opens)) {
      baud = master.settings().baud;
      device.close();
      device.open(baud);
      open = true;
      opens = openCount;
      credit = 0;
      cts = false;
      last = options.now();
      log(`host opened the port at ${baud} baud: reset, cold start`);
    } else if (!isOpen && open) {
      device.close();
      open = false;
      log("host closed the port");
    }
    if (!open) {
      await options.sleep(IDLE_POLL_MS);
      continue;
    }
    const n = await master.read(input, POLL_MS);
    const settings = master.settings();
    if (settings.baud !== baud) {
      baud = settings.baud;
      device.setBaud(baud);
      log(`host set ${baud} baud`);
    }
    if (n > 0) {
      const before = device.mode;
      device.receive(input.subarray(0, n));
      if (before === "undecided" && device.mode === "identification") {
        log(`identification mode (${baud} baud < 2400)`);
      }
    }
    const now = options.now();
    const elapsedS = Math.max(0, (now - last) / 1000);
    last = now;
    if (!device.cts) {
      device.wait(elapsedS);
      credit = 0;
    } else {
      credit = Math.min(credit + (elapsedS * baud) / 10, Math.max(1, (MAX_BURST_S * baud) / 10));
      const whole = Math.floor(credit);
      if (whole > 0 && device.pending > 0) {
        const bytes = device.answer(whole);
        credit -= bytes.length;
        if (bytes.length) {
          await master.write(bytes);
          await options.onSend?.(bytes);
        }
      }
    }
    if (device.cts !== cts) {
      cts = device.cts;
      log(cts ? "CTS on" : "CTS off (withholding data)");
    }
  }
}
