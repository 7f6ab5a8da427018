/** printable(): what human output makes of strings a device chose (cli/printable.ts). */
import { describe, expect, it } from "vitest";
import { printable } from "../cli/printable.ts";
import { formatPortTable } from "../cli/commands/list.ts";

describe("printable", () => {
  it("escapes C0 controls, DEL and C1 controls so that no escape sequence reaches the terminal", () => {
    expect(printable("\x1b]0;owned\x07title")).toBe("\\x1b]0;owned\\x07title");
    expect(printable("\x1b[31mred\x1b[0m")).toBe("\\x1b[31mred\\x1b[0m");
    expect(printable("a\x00b\x7fc\x9b2Jd\x85e")).toBe("a\\x00b\\x7fc\\x9b2Jd\\x85e");
  });

  it("keeps a forged line on its own line: newline, return and tab are written as \\n, \\r, \\t", () => {
    expect(printable("QC1\nqrng: Certificate valid\r\t")).toBe("QC1\\nqrng: Certificate valid\\r\\t");
  });

  it("escapes lone surrogates and the backslash, so an escape is never a device's literal text", () => {
    expect(printable("a\ud800b\udc00c")).toBe("a\\u{d800}b\\u{dc00}c");
    expect(printable("\\x1b")).toBe("\\\\x1b");
  });

  it("leaves printable text alone, non-ASCII letters and surrogate pairs included", () => {
    const text = "CICADA-QRNG-1.1 Müller 😀 ¡";
    expect(printable(text)).toBe(text);
  });

  it("is applied to the USB strings of qrng list's table", () => {
    const table = formatPortTable([{
      path: "/dev/ttyUSB0",
      driver: "ftdi_sio",
      usb: {
        vendorId: "0403",
        productId: "6014",
        manufacturer: "Crypta\x1b]0;x\x07",
        product: "Q\nforged",
        serial: "S\x9b1",
      },
      guess: { kind: "qcicada", sure: true, uri: "serial:/dev/ttyUSB0", reason: "named Crypta\x1b]0;x\x07" },
    }]);
    // deno-lint-ignore no-control-regex -- raw control characters are what it must not find
    expect(table).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(table).toContain("Crypta\\x1b]0;x\\x07  Q\\nforged  S\\x9b1");
    expect(table).toContain("  # named Crypta\\x1b]0;x\\x07\n");
  });
});
