/**
 * The commands and flows the Cmd&Ctrl fuzzer drives, one scenario each: the commands the driver
 * must send (built from the spec, not the encoder), the device's valid answers, how to call the
 * driver and which values the oracle's judged answers mean. Plus the seeded generator cases use.
 */
import type { CmdCtrlDevice } from "../../cli/devices/cmdctrl/driver.ts";
import { MAX_ANSWER_READY_BYTES } from "../../cli/devices/cmdctrl/stop_answer.ts";
import { QrngError } from "../../cli/errors.ts";
import type { Config } from "../../wasm/cmdctrl.ts";
import {
  ACK,
  type Answer,
  checksum8,
  configValue,
  infoValue,
  RESPONSE_PAYLOAD_BYTES,
  type Shape,
  statisticsValue,
  statusValue,
  updateValue,
} from "./cmdctrl_oracle.ts";

/** A small fast seeded generator (mulberry32) for cases. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A uniform 32-bit integer. */
  u32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** A uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }
  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }
  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32();
    return out;
  }
}

/** One command and the device's answer to it. */
export interface Exchange {
  /** The bytes the driver must send (built from the spec, not the encoder). */
  command: Uint8Array;
  shape: Shape;
  /** The valid answer (a case may mutate it). */
  reply: Uint8Array;
}

/** A built scenario: the exchanges, which of them a case may mutate, and how to drive it. */
export interface Built {
  exchanges: Exchange[];
  /** Indices of exchanges whose reply a case may mutate. */
  mutable: number[];
  /** Calls the driver; resolves its result as plain values. */
  drive(device: CmdCtrlDevice): Promise<unknown>;
  /** The result the oracle expects from the judged answers. */
  expect(answers: Answer[]): unknown;
  /** Whether the device is idle afterwards (a follow-up command can be checked). */
  idleAfter: boolean;
}

export const u8 = (...values: number[]) => Uint8Array.from(values);
export const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};
const u16 = (n: number) => u8(n & 0xff, n >> 8);
const u32 = (n: number) => u8(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const frame = (code: number, dataBytes = 0, signatureBytes = 0): Shape => ({
  kind: "frame",
  code,
  dataBytes,
  signatureBytes,
});
/** A valid reply for `shape`: code, random payload, random data and signature. */
function validReply(rng: Rng, shape: Shape): Uint8Array {
  switch (shape.kind) {
    case "frame":
      return cat(
        u8(shape.code),
        rng.bytes(RESPONSE_PAYLOAD_BYTES.get(shape.code)! + shape.dataBytes + shape.signatureBytes),
      );
    case "stream":
      return cat(u8(ACK), rng.bytes(5 + rng.below(24)));
    case "stop-tail": // flags, then a ready_bytes a device can report
      return cat(rng.bytes(rng.below(24)), u8(ACK), rng.bytes(1), u32(rng.below(MAX_ANSWER_READY_BYTES + 1)));
    case "stop-marked":
      return cat(validReply(rng, { kind: "stop-tail" }), shape.marker);
    case "reboot":
      return u8(0xf8);
  }
}
const exchange = (rng: Rng, command: Uint8Array, shape: Shape): Exchange => ({
  command,
  shape,
  reply: validReply(rng, shape),
});

/** Commands whose answer is one frame whose payload the driver hands back parsed. */
const SIMPLE: ReadonlyArray<
  [
    name: string,
    code: number,
    response: number,
    call: (d: CmdCtrlDevice) => Promise<unknown>,
    value: (p: Uint8Array) => unknown,
  ]
> = [
  ["status", 0x01, 0x11, (d) => d.status(), statusValue],
  ["get config", 0x07, 0x17, (d) => d.config(), configValue],
  ["statistics", 0x09, 0x19, (d) => d.statistics(), statisticsValue],
  ["reset", 0x0a, 0x11, (d) => d.reset(), statusValue],
  ["info", 0x0b, 0x1b, (d) => d.info(), infoValue],
  ["public key", 0xf7, 0xf9, (d) => d.publicKey(), (p) => p],
  ["certificate", 0xf9, 0xfb, (d) => d.certificate(), (p) => p],
  ["stop (idle)", 0x05, 0x11, (d) => d.stop(), statusValue],
];

/** A random config, as the driver takes it and as its 12 bytes on the wire. */
function randomConfig(rng: Rng): { config: Config; bytes: Uint8Array } {
  const bytes = new Uint8Array(12);
  const v = new DataView(bytes.buffer);
  v.setUint8(0, rng.below(3));
  v.setFloat32(1, rng.below(10_000) / 100, true);
  v.setUint8(5, rng.below(64));
  v.setUint8(6, rng.between(1, 8));
  v.setUint8(7, rng.below(256));
  v.setUint16(8, rng.below(65536), true);
  v.setUint16(10, rng.below(65536), true);
  return { config: configValue(bytes) as unknown as Config, bytes };
}

/** A chunk command (update or hash test): code, length, data zero-padded to 1024, [checksum8]. */
function chunkCommand(code: number, data: Uint8Array, withChecksum: boolean): Uint8Array {
  const padded = new Uint8Array(1024);
  padded.set(data);
  return cat(u8(code), u16(data.length), padded, withChecksum ? u8(checksum8(data)) : u8());
}

/** Every scenario of the fuzzer by name: one per command and flow of the driver. */
export const SCENARIOS: ReadonlyArray<[name: string, build: (rng: Rng) => Built]> = [
  ...SIMPLE.map(([name, code, response, call, value]): [string, (rng: Rng) => Built] => [name, (rng) => ({
    exchanges: [exchange(rng, u8(code), frame(response))],
    mutable: [0],
    drive: call,
    expect: ([a]) => value(a.payload),
    idleAfter: true,
  })]),
  ["set config", (rng) => {
    const { config, bytes } = randomConfig(rng);
    return {
      exchanges: [exchange(rng, cat(u8(0x08), bytes), frame(0x11))],
      mutable: [0],
      drive: (d) => d.setConfig(config),
      expect: ([a]) => statusValue(a.payload),
      idleAfter: true,
    };
  }],
  ["enable instance", (rng) => {
    const instance = rng.below(256);
    const enable = rng.below(2) === 1;
    return {
      exchanges: [exchange(rng, u8(0x30, instance, enable ? 1 : 0), frame(0x11))],
      mutable: [0],
      drive: (d) => d.enableInstance(instance, enable),
      expect: ([a]) => statusValue(a.payload),
      idleAfter: true,
    };
  }],
  ["update init", (rng) => {
    const total = rng.u32();
    return {
      exchanges: [exchange(rng, cat(u8(0x40), u32(total)), frame(0x43))],
      mutable: [0],
      drive: (d) => d.updateInit(total),
      expect: ([a]) => updateValue(a.payload),
      idleAfter: true,
    };
  }],
  ["update chunk", (rng) => {
    const data = rng.bytes(rng.between(0, 1024));
    return {
      exchanges: [exchange(rng, chunkCommand(0x41, data, true), frame(0x43))],
      mutable: [0],
      drive: (d) => d.updateChunk(data),
      expect: ([a]) => updateValue(a.payload),
      idleAfter: true,
    };
  }],
  ["hash test", (rng) => {
    const data = rng.bytes(rng.below(8) === 0 ? rng.between(1025, 2100) : rng.between(1, 200));
    const chunks = [];
    for (let at = 0; at < data.length; at += 1024) chunks.push(data.subarray(at, at + 1024));
    const exchanges = [
      exchange(rng, u8(0x20), frame(0x21)),
      ...chunks.map((c) => exchange(rng, chunkCommand(0x22, c, false), frame(0x21))),
      exchange(rng, u8(0x23), frame(0x24)),
    ];
    return {
      exchanges,
      mutable: exchanges.map((_, i) => i),
      drive: (d) => d.hashTest(data),
      expect: (answers) => answers.at(-1)!.payload,
      idleAfter: true,
    };
  }],
  ["one-shot", (rng) => {
    const n = rng.between(1, 40);
    return {
      exchanges: [exchange(rng, u8(0x04, 1, ...u16(n)), frame(0x11, n))],
      mutable: [0],
      drive: async (d) => {
        const { data, status } = await d.oneShot(n);
        return { data, status };
      },
      expect: ([a]) => ({ data: a.data, status: statusValue(a.payload) }),
      idleAfter: true,
    };
  }],
  ["signed read", (rng) => {
    const n = rng.between(1, 40);
    return {
      exchanges: [exchange(rng, u8(0x51, ...u16(n)), frame(0x52, n, 64))],
      mutable: [0],
      drive: async (d) => {
        const { data, signature } = await d.signedRead(n);
        return { data, signature };
      },
      expect: ([a]) => ({ data: a.data, signature: a.signature }),
      idleAfter: true,
    };
  }],
  ["reboot", (rng) => ({
    exchanges: [exchange(rng, u8(0xf8, 0xa1, 0x25), { kind: "reboot" })],
    mutable: [0],
    drive: (d) => d.reboot(),
    expect: ([a]) => a.confirmed,
    idleAfter: true,
  })],
  ["continuous", (rng) => ({
    exchanges: [exchange(rng, u8(0x04, 0, 0, 0), { kind: "stream" })],
    mutable: [0],
    drive: async (d) => {
      const status = await d.startContinuous();
      return { status, data: await streamUntilSilent(d, rng) };
    },
    expect: ([a]) => ({ status: statusValue(a.payload), data: a.data }),
    idleAfter: false,
  })],
  ["stop after streaming", (rng) => {
    const start = exchange(rng, u8(0x04, 0, 0, 0), { kind: "stream" });
    const streamed = start.reply.length - 6;
    return {
      exchanges: [start, exchange(rng, u8(0x05), { kind: "stop-tail" })],
      mutable: [1],
      drive: async (d) => {
        await d.startContinuous();
        const data = await streamExactly(d, rng, streamed);
        const kept: Uint8Array[] = [];
        const status = await d.stop((bytes) => void kept.push(bytes.slice()));
        return { data, kept: cat(...kept), status };
      },
      expect: ([s, t]) => ({ data: s.data, kept: t.data, status: statusValue(t.payload) }),
      idleAfter: true,
    };
  }],
  ["stop after streaming, INFO behind STOP", (rng) => {
    // Once INFO is known the driver sends GET_INFO behind STOP: its answer marks the end.
    const info = exchange(rng, u8(0x0b), frame(0x1b));
    const start = exchange(rng, u8(0x04, 0, 0, 0), { kind: "stream" });
    const streamed = start.reply.length - 6;
    return {
      exchanges: [info, start, exchange(rng, u8(0x05, 0x0b), { kind: "stop-marked", marker: info.reply })],
      mutable: [2],
      drive: async (d) => {
        await d.info();
        await d.startContinuous();
        const data = await streamExactly(d, rng, streamed);
        const kept: Uint8Array[] = [];
        const status = await d.stop((bytes) => void kept.push(bytes.slice()));
        return { data, kept: cat(...kept), status };
      },
      expect: ([, s, t]) => ({ data: s.data, kept: t.data, status: statusValue(t.payload) }),
      idleAfter: true,
    };
  }],
];

/**
 * Streamed bytes until the driver reports the line silent or closed, read through both of its
 * ways: nextData() (runs as they come) and nextDataInto() (into random-sized buffers).
 */
async function streamUntilSilent(device: CmdCtrlDevice, rng: Rng): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  try {
    while (true) {
      if (rng.below(2) === 0) {
        parts.push((await device.nextData()).slice());
        continue;
      }
      const into = new Uint8Array(rng.between(1, 16));
      parts.push(into.slice(0, await device.nextDataInto(into)));
    }
  } catch (error) {
    if (error instanceof QrngError && (error.kind === "timeout" || error.kind === "disconnected")) {
      return cat(...parts);
    }
    throw error;
  }
}

async function streamExactly(device: CmdCtrlDevice, rng: Rng, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  for (let have = 0; have < n;) {
    have += await device.nextDataInto(out.subarray(have, have + rng.between(1, 16)));
  }
  return out;
}
