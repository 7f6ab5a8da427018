import { describe, expect, it } from "vitest";
import { Formatter } from "../cli/output/text_format.ts";
import { resolveDevice } from "../cli/commands/read_device.ts";
import { parseSize } from "../cli/units.ts";
import { baudFromUri, parseDeviceUri } from "../cli/uri.ts";

describe("parseSize follows head -c", () => {
  // What GNU head -c (coreutils 9.1) counts for each: `head -c SIZE /dev/zero | wc -c`.
  const HEAD_C: Record<string, number> = {
    "64": 64,
    "5b": 2560,
    "4K": 4096,
    "3k": 3072,
    "1kB": 1000,
    "10KB": 10_000,
    "1KiB": 1024,
    "1kiB": 1024,
    "1m": 1048576,
    "1M": 1048576,
    "2MB": 2_000_000,
    "1mB": 1_000_000,
    "1MiB": 1048576,
    "1G": 1073741824,
    "1GB": 1e9,
    "1GiB": 1073741824,
    "1T": 2 ** 40,
    "1TB": 1e12,
    "1P": 2 ** 50,
    "2PB": 2e15,
  };
  it("counts every suffix as head -c does: b is 512, K/M/G.. and KiB/MiB.. 1024s, kB/MB.. 1000s", () => {
    for (const [text, bytes] of Object.entries(HEAD_C)) {
      expect([text, parseSize(text)]).toEqual([text, bytes]);
    }
  });
  it("rejects what head -c rejects", () => {
    for (
      const bad of [
        "",
        "1.5M",
        "-1",
        "12X",
        "iB",
        "5iB",
        "K",
        "5B",
        "1kb",
        "2mb",
        "1g",
        "1t",
        "1KIB",
        "1mib",
        "1bB",
        "1c",
      ]
    ) {
      expect(() => parseSize(bad), bad).toThrow(/invalid size/);
    }
  });
  it("refuses sizes beyond 2^53 bytes instead of rounding them", () => {
    expect(() => parseSize("8E")).toThrow(/too large/);
    expect(() => parseSize("1Q")).toThrow(/too large/);
  });
});

describe("parseDeviceUri", () => {
  it("reads every documented form", () => {
    expect(parseDeviceUri("serial:/dev/ttyUSB0")).toMatchObject({ scheme: "serial", target: "/dev/ttyUSB0" });
    expect(parseDeviceUri("/dev/ttyACM0")).toMatchObject({ scheme: "serial", target: "/dev/ttyACM0" });
    expect(parseDeviceUri("COM3")).toMatchObject({ scheme: "serial", target: "COM3" });
    expect(parseDeviceUri("tcp://10.0.0.5")).toMatchObject({
      scheme: "tcp",
      target: "10.0.0.5",
      port: 54936,
    });
    expect(parseDeviceUri("udp://host:1234")).toMatchObject({ scheme: "udp", target: "host", port: 1234 });
    expect(parseDeviceUri("tcpudp://[::1]:9?udp=0")).toMatchObject({
      scheme: "tcpudp",
      target: "::1",
      port: 9,
      params: { udp: "0" },
    });
    expect(parseDeviceUri("sim:qcicada?seed=4")).toMatchObject({
      scheme: "sim",
      target: "qcicada",
      params: { seed: "4" },
    });
  });
  it("rejects a malformed URI with the accepted forms", () => {
    expect(() => parseDeviceUri("tcp://host:99999")).toThrow(/invalid port/);
    expect(() => parseDeviceUri("nonsense")).toThrow(/serial:\/dev\/ttyUSB0/);
  });
  it("baudFromUri() takes ?baud= or the fallback and names the device when it is not a rate", () => {
    expect(baudFromUri(parseDeviceUri("serial:/dev/ttyACM0"), 1_000_000)).toBe(1_000_000);
    expect(baudFromUri(parseDeviceUri("serial:/dev/ttyACM0?baud=115200"), 1_000_000)).toBe(115_200);
    for (const bad of ["0", "-5", "1.5", "abc", "", "9000000"]) {
      expect(() => baudFromUri(parseDeviceUri(`serial:/dev/ttyACM0?baud=${bad}`), 1_000_000))
        .toThrow(`invalid baud '${bad}' in device 'serial:/dev/ttyACM0?baud=${bad}'`);
    }
  });
});

describe("Formatter", () => {
  const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 97 + 13) & 0xff);
  const run = (format: "hex" | "base64", piece: number) => {
    const f = new Formatter(format);
    const parts: Buffer[] = [];
    for (let at = 0; at < data.length; at += piece) {
      parts.push(Buffer.from(f.push(data.subarray(at, at + piece))));
    }
    parts.push(Buffer.from(f.end()));
    return Buffer.concat(parts).toString();
  };
  it("writes base64 as the base64 tool does, 76 characters a line, whatever the chunking", () => {
    const expected = Buffer.from(data).toString("base64").replace(/.{76}/g, "$&\n") + "\n";
    for (const piece of [1, 7, 57, 1000]) expect(run("base64", piece)).toBe(expected);
  });
  it("writes hex, 64 digits a line", () => {
    const expected = Buffer.from(data).toString("hex").replace(/.{64}/g, "$&\n") + "\n";
    for (const piece of [1, 33, 1000]) expect(run("hex", piece)).toBe(expected);
  });
});

describe("device auto-detection for qrng read", () => {
  const port = (path: string, uri?: string) => ({
    path,
    guess: uri ? { kind: "qcicada" as const, sure: true, reason: "test", uri } : undefined,
  });
  it("uses the one QRNG found", async () => {
    expect(
      await resolveDevice(() =>
        Promise.resolve([port("/dev/ttyS0"), port("/dev/ttyUSB0", "serial:/dev/ttyUSB0")])
      ),
    ).toBe("serial:/dev/ttyUSB0");
  });
  it("refuses when there is none, without falling back to an emulator", async () => {
    await expect(resolveDevice(() => Promise.resolve([port("/dev/ttyS0")]))).rejects.toThrow(
      /no QRNG found.*\/dev\/ttyS0/,
    );
  });
  it("refuses when there are several, listing them", async () => {
    await expect(
      resolveDevice(() =>
        Promise.resolve([
          port("/dev/ttyUSB0", "serial:/dev/ttyUSB0"),
          port("/dev/ttyUSB1", "serial:/dev/ttyUSB1"),
        ])
      ),
    )
      .rejects.toThrow(/2 QRNGs found.*ttyUSB0.*ttyUSB1/);
  });
});
