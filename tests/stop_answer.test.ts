/**
 * When STOP counts as answered (cli/devices/cmdctrl/stop_answer.ts): never after silence alone,
 * only once the bytes end in ACK and status, and then after a quiet that grows with the pauses
 * the link has shown.
 */
import { describe, expect, it } from "vitest";
import {
  IDLE_STOP_QUIET_MS,
  MAX_ANSWER_READY_BYTES,
  STOP_QUIET_MS,
  StopAnswerWatch,
} from "../cli/devices/cmdctrl/stop_answer.ts";

const ANSWER_TIMEOUT_MS = 3000;
const ack = (flags = 0x01) => Uint8Array.of(0x11, flags, 0x40, 0x34, 0, 0);

describe("StopAnswerWatch", () => {
  it("waits the answer timeout until something ending in ACK and status has come", () => {
    const watch = new StopAnswerWatch(ANSWER_TIMEOUT_MS);
    expect(watch.waitMs()).toBe(ANSWER_TIMEOUT_MS);
    watch.received(Uint8Array.of(7, 7, 7, 7, 7, 7, 7), 0);
    expect(watch.tailSeen).toBe(false);
    expect(watch.waitMs()).toBe(ANSWER_TIMEOUT_MS);
  });

  it("needs only a short quiet after an idle device's answer alone", () => {
    const watch = new StopAnswerWatch(ANSWER_TIMEOUT_MS);
    watch.received(ack(), 500);
    expect(watch.tailSeen).toBe(true);
    expect(watch.waitMs()).toBe(IDLE_STOP_QUIET_MS);
  });

  it("sees an answer split across arrivals, after data", () => {
    const watch = new StopAnswerWatch(ANSWER_TIMEOUT_MS);
    watch.received(Uint8Array.of(1, 2, 3, 0x11, 0x01), 0);
    expect(watch.tailSeen).toBe(false);
    watch.received(Uint8Array.of(0, 0), 5);
    expect(watch.tailSeen).toBe(false); // 0x11 with 3 bytes after it
    watch.received(Uint8Array.of(0), 6);
    expect(watch.tailSeen).toBe(false); // 4 bytes after it
    watch.received(Uint8Array.of(0x11, 0x01, 0, 0, 0), 8);
    watch.received(Uint8Array.of(0), 9);
    expect(watch.tailSeen).toBe(true);
    expect(watch.receivedBytes).toBe(14);
    expect(watch.waitMs()).toBe(STOP_QUIET_MS);
  });

  it("takes data ending in 0x11 for an answer only when the status after it reports a ready_bytes a device can have", () => {
    const watch = new StopAnswerWatch(ANSWER_TIMEOUT_MS);
    watch.received(Uint8Array.of(5, 0x11, 0x41, 0x9c, 0x2e, 0x07, 0xd3), 0); // random data's ready_bytes: 3.5e9
    expect(watch.tailSeen).toBe(false);
    expect(watch.waitMs()).toBe(ANSWER_TIMEOUT_MS);
    const limit = new Uint8Array(6);
    limit[0] = 0x11;
    limit[1] = 0x01;
    new DataView(limit.buffer).setUint32(2, MAX_ANSWER_READY_BYTES + 1, true);
    watch.received(limit, 10);
    expect(watch.tailSeen).toBe(false);
    new DataView(limit.buffer).setUint32(2, MAX_ANSWER_READY_BYTES, true);
    watch.received(limit, 20);
    expect(watch.tailSeen).toBe(true);
    expect(MAX_ANSWER_READY_BYTES).toBeGreaterThan(65_535); // any one-shot a device allows
  });

  it("asks for twice the longest pause seen, when the link paused longer than the quiet rule", () => {
    const watch = new StopAnswerWatch(ANSWER_TIMEOUT_MS);
    watch.received(Uint8Array.of(9, 9, 9), 0);
    watch.received(Uint8Array.of(9, 9, 9), 180); // a jittery link paused 180 ms mid-stream
    watch.received(ack(), 200);
    expect(watch.waitMs()).toBe(360);
  });

  it("waits the answer timeout throughout when a marker follows the STOP: the marker's answer ends it", () => {
    const watch = new StopAnswerWatch(ANSWER_TIMEOUT_MS, true);
    watch.received(Uint8Array.of(9, 9, 9), 0);
    watch.received(ack(), 10);
    expect(watch.tailSeen).toBe(true);
    expect(watch.waitMs()).toBe(ANSWER_TIMEOUT_MS);
  });
});
