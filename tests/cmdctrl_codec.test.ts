import { describe, expect, it } from "vitest";
import { jsonText } from "../cli/output/result_text.ts";
import {
  certificateBlob,
  checksum8,
  CmdCtrlCodec,
  configBytes,
  type DecoderEvent,
  formatVersion,
  infoBytes,
  parseConfig,
  parseInfo,
  parseStatistics,
  parseStatus,
  statisticsBytes,
} from "../wasm/cmdctrl.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Feeds `stream` in pieces of `piece` bytes and collects every event, copying views. */
function decodeAll(codec: CmdCtrlCodec, stream: Uint8Array, piece: number): DecoderEvent[] {
  const events: DecoderEvent[] = [];
  for (let at = 0; at < stream.length; at += piece) {
    const part = stream.subarray(at, at + piece);
    codec.input.set(part);
    codec.feed(part.length);
    for (let e = codec.next(); e.type !== "need-input"; e = codec.next()) {
      if (e.type === "data") events.push({ type: "data", bytes: e.bytes.slice() });
      else if (e.type === "response") events.push({ ...e, payload: e.payload.slice() });
      else if (e.type === "signature") events.push({ type: "signature", signature: e.signature.slice() });
      else if (e.type === "stopped") events.push({ type: "stopped", status: e.status.slice() });
      else events.push(e);
    }
  }
  return events;
}

const dataOf = (events: DecoderEvent[]) =>
  Buffer.concat(events.filter((e) => e.type === "data").map((e) => (e as { bytes: Uint8Array }).bytes));

describe("checksum8", () => {
  it("matches the spec's vectors", () => {
    expect(checksum8(bytes())).toBe(0xff);
    expect(checksum8(bytes(0x01))).toBe(0xfe);
  });
  it("is the ones' complement of the 8-bit sum for long inputs", () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7 + 3) & 0xff);
    const sum = data.reduce((a, b) => (a + b) & 0xff, 0);
    expect(checksum8(data)).toBe(~sum & 0xff);
  });
});

describe("command encoders", () => {
  const codec = new CmdCtrlCodec();
  it("produce the spec's byte examples", () => {
    expect(hex(codec.startOneShot(32))).toBe("04012000");
    expect(hex(codec.startContinuous())).toBe("04000000");
    expect(hex(codec.simple(0x05))).toBe("05");
    expect(hex(codec.signedRead(32))).toBe("512000");
    expect(hex(codec.reboot())).toBe("f8a125");
  });
  it("pad update chunks to 1024 bytes and end them with checksum8 of the data (1027-byte payload)", () => {
    const chunk = codec.updateChunk(bytes(1, 2, 3));
    expect(chunk.length).toBe(1 + 1027);
    expect(hex(chunk.subarray(0, 6))).toBe("410300010203");
    expect(chunk.subarray(6, 1027).every((b) => b === 0)).toBe(true);
    expect(chunk[1027]).toBe(~(1 + 2 + 3) & 0xff);
  });
  it("pad hash-test chunks to a 1026-byte payload without a checksum", () => {
    const chunk = codec.hashChunk(bytes(0xaa));
    expect(chunk.length).toBe(1 + 1026);
    expect(hex(chunk.subarray(0, 4))).toBe("220100aa");
  });
  it("encode SET_CONFIG in the packed little-endian layout", () => {
    const config = parseConfig(
      Uint8Array.from(Buffer.from("000000003f0f044040c0010008", "hex").subarray(0, 12)),
    );
    expect(hex(codec.setConfig(config).subarray(1))).toBe(hex(configBytes(config)));
    expect(codec.setConfig(config)[0]).toBe(0x08);
  });
  it("refuse payloads that do not fit", () => {
    expect(() => codec.startOneShot(0)).toThrow(RangeError);
    expect(() => codec.updateChunk(new Uint8Array(1025))).toThrow(RangeError);
    expect(() => codec.simple(0x04)).toThrow(RangeError);
  });
});

describe("payload views", () => {
  it("read the spec's status vector", () => {
    const s = parseStatus(bytes(0x01, 0x40, 0x34, 0x00, 0x00));
    expect(s.started).toBe(true);
    expect(s.startupTestInProgress).toBe(false);
    expect(s.readyBytes).toBe(13376);
  });
  it("read the config vector seen on a device and write it back identically", () => {
    const raw = new Uint8Array(12);
    const v = new DataView(raw.buffer);
    v.setUint8(0, 0);
    v.setFloat32(1, 0.5, true);
    v.setUint8(5, 0x0f);
    v.setUint8(6, 4);
    v.setUint8(7, 64);
    v.setUint16(8, 448, true);
    v.setUint16(10, 2048, true);
    const c = parseConfig(raw);
    expect(c).toMatchObject({
      postprocess: 0,
      initialLevel: 0.5,
      nLsbits: 4,
      hashInputSize: 64,
      blockSize: 448,
    });
    expect(c).toMatchObject({
      startupTest: true,
      autoCalibration: true,
      repetitionCount: true,
      adaptiveProportion: true,
    });
    expect(c.bitCount).toBe(false);
    expect(hex(configBytes(c))).toBe(hex(raw));
  });
  it("read the info vector, versions as major.minor and a full 24-character string", () => {
    const info = {
      coreVersion: 0x1000c,
      swVersion: 0x5000e,
      serial: "QC0000000217",
      hwInfo: "CICADA-QRNG-1.1",
    };
    expect(parseInfo(infoBytes(info))).toEqual(info);
    expect(formatVersion(0x0005000e)).toBe("5.14");
    const full = infoBytes({ ...info, serial: "X".repeat(24) });
    expect(parseInfo(full).serial).toBe("X".repeat(24));
  });
  it("round-trip statistics with a 64-bit byte count", () => {
    const s = {
      generatedBytes: 2n ** 64n - 1n,
      repetitionCountFailures: 1,
      adaptiveProportionFailures: 2,
      bitcountFailures: 3,
      speed: 800000,
      sensifAverage: 2048,
      ledctrlLevel: 0.5,
    };
    expect(parseStatistics(statisticsBytes(s))).toEqual(s);
    // qrng stats prints it exactly, as a JSON number too (a double would read 18446744073709552000).
    expect(jsonText({ generatedBytes: s.generatedBytes, key: new Uint8Array([1, 255]) }))
      .toBe('{"generatedBytes":18446744073709551615,"key":"01ff"}');
  });
  it("build the certificate blob with the spec's prefix for 1.1 / 217", () => {
    const blob = certificateBlob({
      coreVersion: 0,
      swVersion: 0,
      serial: "QC0000000217",
      hwInfo: "CICADA-QRNG-1.1",
    }, new Uint8Array(64).fill(9));
    expect(blob.length).toBe(72);
    expect(hex(blob.subarray(0, 8))).toBe("00000101d9000000");
  });
  it("reject payloads of the wrong length", () => {
    expect(() => parseStatus(bytes(1, 2, 3))).toThrow(RangeError);
  });
});

describe("response decoder", () => {
  it("decodes a one-shot answer however the bytes are split", () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const stream = Buffer.concat([bytes(0x11, 0x01, 0x40, 0x34, 0, 0), data]);
    for (const piece of [1, 2, 5, 7, 64, 1000]) {
      const codec = new CmdCtrlCodec();
      codec.startOneShot(300);
      const events = decodeAll(codec, stream, piece);
      expect(events[0]).toMatchObject({ type: "response", code: 0x11 });
      expect(hex(dataOf(events))).toBe(hex(data));
    }
  });
  it("reports NACK", () => {
    const codec = new CmdCtrlCodec();
    codec.startOneShot(30000);
    expect(decodeAll(codec, bytes(0x12), 1)).toEqual([{ type: "nack" }]);
  });
  it("reports an unexpected byte as a protocol error instead of guessing", () => {
    const codec = new CmdCtrlCodec();
    codec.simple(0x01);
    expect(decodeAll(codec, bytes(0x17), 1)[0]).toMatchObject({ type: "protocol-error", byte: 0x17 });
    codec.reset();
    expect(decodeAll(codec, bytes(0x42), 1)[0]).toMatchObject({ type: "protocol-error", byte: 0x42 });
  });
  it("splits a signed read into data and the 64-byte signature", () => {
    const data = Uint8Array.from({ length: 40 }, (_, i) => 200 - i);
    const signature = Uint8Array.from({ length: 64 }, (_, i) => i);
    for (const piece of [1, 3, 50, 200]) {
      const codec = new CmdCtrlCodec();
      codec.signedRead(40);
      const events = decodeAll(codec, Buffer.concat([bytes(0x52), data, signature]), piece);
      expect(events[0]).toMatchObject({ type: "response", code: 0x52 });
      expect(hex(dataOf(events))).toBe(hex(data));
      expect(events.at(-1)).toEqual({ type: "signature", signature });
    }
  });
  it("keeps data in flight after STOP and recognises the ACK + status tail only when quiet", () => {
    const before = Uint8Array.from({ length: 100 }, (_, i) => i);
    // Data in flight that itself contains 0x11 bytes, then the real tail.
    const inFlight = bytes(0x11, 1, 0, 0, 0, 0, 0x11, 0x11, 7);
    const tail = bytes(0x11, 0x01, 0x40, 0x34, 0x00, 0x00);
    for (const piece of [1, 4, 6, 7, 1000]) {
      const codec = new CmdCtrlCodec();
      codec.startContinuous();
      const head = decodeAll(codec, Buffer.concat([bytes(0x11, 1, 0, 0, 0, 0), before]), piece);
      codec.simple(0x05);
      const rest = decodeAll(codec, Buffer.concat([inFlight, tail]), piece);
      expect(hex(Buffer.concat([dataOf(head), dataOf(rest)]))).toBe(hex(Buffer.concat([before, inFlight])));
      const end = codec.stopQuiet();
      expect(end.type).toBe("stopped");
      expect(parseStatus((end as { status: Uint8Array }).status).readyBytes).toBe(13376);
    }
  });
  describe("with INFO's answer expected behind STOP's (a marker)", () => {
    const info = Uint8Array.from({ length: 57 }, (_, i) => (i === 0 ? 0x1b : (i * 37) & 0xff));
    const status = bytes(0x11, 0x01, 0x40, 0x34, 0x00, 0x00);
    const before = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const stopping = (codec: CmdCtrlCodec) => {
      codec.startContinuous();
      decodeAll(codec, bytes(0x11, 1, 0, 0, 0, 0), 6);
      codec.simple(0x05);
      codec.expectMarker(info);
    };
    const quietEvents = (codec: CmdCtrlCodec) => {
      const events: DecoderEvent[] = [];
      for (let e = codec.stopQuiet();; e = codec.stopQuiet()) {
        events.push(e.type === "data" ? { type: "data", bytes: e.bytes.slice() } : e);
        if (e.type !== "data") return events;
      }
    };

    it("ends the stream as soon as ACK, status and the marker have come, keeping all data before", () => {
      // Data in flight that contains the marker and an ACK-like byte itself.
      const inFlight = Buffer.concat([before, info, bytes(0x11, 1, 0, 0), info.subarray(0, 30)]);
      for (const piece of [1, 5, 6, 7, 57, 63, 64, 1000]) {
        const codec = new CmdCtrlCodec();
        stopping(codec);
        const events = decodeAll(codec, Buffer.concat([inFlight, status, info]), piece);
        expect(hex(dataOf(events))).toBe(hex(inFlight));
        expect(events.at(-1)).toEqual({ type: "stopped", status: status.subarray(1) });
        expect(codec.streaming).toBe(false);
      }
    });

    it("hands the held bytes out as data when the marker never came, then ends on quiet", () => {
      for (const piece of [1, 7, 1000]) {
        const codec = new CmdCtrlCodec();
        stopping(codec);
        const events = decodeAll(codec, Buffer.concat([before, status]), piece);
        expect(events.some((e) => e.type === "stopped")).toBe(false);
        const end = quietEvents(codec);
        expect(hex(Buffer.concat([dataOf(events), dataOf(end)]))).toBe(hex(before));
        expect(end.at(-1)).toEqual({ type: "stopped", status: status.subarray(1) });
      }
    });

    it("finds the end at every alignment, past ACK-like bytes, with stale input behind it", () => {
      for (let length = 290; length < 306; length++) {
        // ACK-like bytes here and there (0x11 at 2, 258 and these), long runs without any.
        const inFlight = Uint8Array.from(
          { length },
          (_, i) => ([5, 6, 100, 163].includes(i) ? 0x11 : (i * 7 + 3) & 0xff),
        );
        const codec = new CmdCtrlCodec();
        stopping(codec);
        // Stale input behind the end: the search runs past it unless it stops there.
        const events = decodeAll(codec, Buffer.concat([inFlight, status, info, new Uint8Array(20)]), 1000);
        const end = events.findIndex((e) => e.type === "stopped");
        expect(hex(dataOf(events.slice(0, end)))).toBe(hex(inFlight));
        expect(events[end]).toEqual({ type: "stopped", status: status.subarray(1) });
      }
    });

    it("never ends at a marker without ACK before it", () => {
      for (const piece of [1, 7, 1000]) {
        const codec = new CmdCtrlCodec();
        stopping(codec);
        const events = decodeAll(codec, Buffer.concat([before, bytes(9, 1, 0, 0, 0, 0), info]), piece);
        expect(events.some((e) => e.type === "stopped")).toBe(false);
        expect(quietEvents(codec).at(-1)?.type).toBe("protocol-error");
      }
    });

    it("ends at the first marker in a read, leaving what follows it as stale input", () => {
      for (const piece of [1, 7, 1000]) {
        const codec = new CmdCtrlCodec();
        stopping(codec);
        const events = decodeAll(codec, Buffer.concat([before, status, info, status, info]), piece);
        const end = events.findIndex((e) => e.type === "stopped");
        expect(end).toBeGreaterThan(0);
        expect(hex(dataOf(events.slice(0, end)))).toBe(hex(before));
        expect(events[end]).toEqual({ type: "stopped", status: status.subarray(1) });
      }
    });
  });

  it("reports a STOP tail that is not ACK + status as a protocol error", () => {
    const codec = new CmdCtrlCodec();
    codec.startContinuous();
    decodeAll(codec, bytes(0x11, 1, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9), 3);
    codec.simple(0x05);
    decodeAll(codec, bytes(1, 2), 1);
    expect(codec.stopQuiet().type).toBe("protocol-error");
  });
});
