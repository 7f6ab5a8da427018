/** `qrng list`: the machine's serial ports as a table (or JSON), likely QRNGs flagged first. */
import { type Command, parseFlags } from "../command.ts";
import type { Platform } from "../platform.ts";
import { printable } from "../printable.ts";
import { listSerialPorts, type QrngKind, type SerialPortInfo } from "../transports/serial_list.ts";

const HELP = `qrng list: find serial ports and the random number generators on them

Usage: qrng list [--json]

Lists serial ports with their USB identity and flags the likely QRNGs: QCicada (FTDI
0403:6014/6001 named Crypta Labs or QCicada), Firefly (ttyACM named Crypta Labs), Dragonfly
(/dev/ttyQRNG*), XR232USB (FTDI FT232R 0403:6001 named XR232USB). "maybe" marks a guess
from the USB IDs or path alone. Nothing is opened: listing never disturbs a device.

Options:
  --json   print the ports as a JSON array (path, driver, usb, guess with a device URI)

Environment:
  QRNG_SYSFS_ROOT, QRNG_DEV_ROOT   look in another sysfs / dev tree (Linux; for tests)

Examples:
  qrng list
  qrng list --json | jq -r '.[] | select(.guess.sure) | .guess.uri'
`;

const KIND_NAMES: Record<QrngKind, string> = {
  qcicada: "QCicada",
  firefly: "Firefly",
  dragonfly: "Dragonfly",
  xr232usb: "XR232USB",
};

/** The table `qrng list` prints: one row per port, columns sized to their contents. */
export function formatPortTable(ports: readonly SerialPortInfo[]): string {
  if (ports.length === 0) return "No serial ports found.\n";
  const header = ["PORT", "QRNG", "USB ID", "MANUFACTURER", "PRODUCT", "SERIAL", "DRIVER"];
  // USB strings come from the device: printable() before the widths are measured.
  const rows = ports.map((p) =>
    [
      p.path,
      p.guess ? `${KIND_NAMES[p.guess.kind]}${p.guess.sure ? "" : " (maybe)"}` : "-",
      p.usb ? `${p.usb.vendorId}:${p.usb.productId}` : "-",
      p.usb?.manufacturer ?? "-",
      p.usb?.product ?? "-",
      p.usb?.serial ?? "-",
      p.driver ?? "-",
    ].map(printable)
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const out = [line(header), ...rows.map(line), ""];
  const likely = ports.filter((p) => p.guess);
  if (likely.length === 0) {
    out.push(`No likely QRNG among ${ports.length} serial port${ports.length === 1 ? "" : "s"}.`);
  } else {
    out.push("To read from a likely QRNG:");
    const width = Math.max(...likely.map((p) => p.guess!.uri.length));
    for (const p of likely) {
      out.push(`  qrng read 1M --device ${p.guess!.uri.padEnd(width)}  # ${printable(p.guess!.reason)}`);
    }
  }
  return `${out.join("\n")}\n`;
}

/** `qrng list`. */
export const listCommand: Command = {
  name: "list",
  summary: "List serial ports and flag likely QRNGs (QCicada, Firefly, Dragonfly, XR232USB)",
  help: HELP,
  async run(argv: string[], platform: Platform): Promise<number> {
    const { values } = parseFlags("list", argv, { json: { type: "boolean" } });
    const ports = await listSerialPorts({
      sysRoot: platform.env("QRNG_SYSFS_ROOT"),
      devRoot: platform.env("QRNG_DEV_ROOT"),
    });
    const text = values.json ? `${JSON.stringify(ports, null, 2)}\n` : formatPortTable(ports);
    await platform.stdout.write(new TextEncoder().encode(text));
    return 0;
  },
};
