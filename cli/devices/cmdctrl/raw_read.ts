/**
 * Reads of a Cmd&Ctrl device's bytes as pyqcc makes them: one-shots within ready_bytes (each
 * preceded by a status whose faults end the read), or a run of a stream already started. No
 * host health tests: `qrng pyqcc` and the library's device methods hand these on as they come;
 * the health-gated way to read is cli/sources/gated.ts.
 */
import { QrngError } from "../../errors.ts";
import { statusFaults } from "../../../wasm/cmdctrl.ts";
import type { CmdCtrlDevice } from "./driver.ts";

/** The largest one-shot the protocol can ask for (u16 length). */
const MAX_ONE_SHOT_BYTES = 0xffff;

/** Reads `count` bytes in one-shots; rejects with kind "device" when a status reports a fault. */
export async function readOneShots(device: CmdCtrlDevice, count: number): Promise<Uint8Array> {
  const out = new Uint8Array(count);
  for (let have = 0; have < count;) {
    const status = await device.status();
    const faults = statusFaults(status);
    if (faults.length) throw new QrngError("device", `device reports ${faults.join(", ")}`);
    const take = Math.min(count - have, status.readyBytes, MAX_ONE_SHOT_BYTES);
    if (take === 0) continue;
    out.set((await device.oneShot(take)).data, have);
    have += take;
  }
  return out;
}

/**
 * Reads `count` bytes of the stream the device is sending (after startContinuous), copying at
 * most `blockBytes` at a time (pyqcc's --read-block-size bounds each copy, as its block reads do).
 */
export async function readStreamed(
  device: CmdCtrlDevice,
  count: number,
  blockBytes = Infinity,
): Promise<Uint8Array> {
  const out = new Uint8Array(count);
  for (let have = 0; have < count;) {
    // Streamed runs arrive in whatever sizes the transport gives.
    const data = await device.nextData();
    for (let at = 0; at < data.length && have < count;) {
      const take = Math.min(data.length - at, count - have, blockBytes);
      out.set(data.subarray(at, at + take), have);
      have += take;
      at += take;
    }
  }
  return out;
}
