/**
 * `qrng read` (and every device command) without `--device`: use the one QRNG `qrng list`
 * finds; with none or several, say so and list them. Never falls back to an emulator. The
 * messages name no command: several commands share them.
 */
import { QrngError } from "../errors.ts";
import { listSerialPorts, type SerialPortInfo } from "../transports/serial_list.ts";

/** Resolves the device URI of the single QRNG attached, or throws listing what was found. */
export async function resolveDevice(
  list: () => Promise<SerialPortInfo[]> = listSerialPorts,
): Promise<string> {
  const ports = await list();
  const qrngs = ports.filter((p) => p.guess);
  if (qrngs.length === 1) return qrngs[0].guess!.uri;
  if (qrngs.length === 0) {
    const others = ports.length
      ? ` (serial ports seen, none recognised: ${ports.map((p) => p.path).join(", ")})`
      : "";
    throw new QrngError(
      "usage",
      `no QRNG found${others}; name one with --device (serial:/dev/ttyUSB0, tcp://host, sim:qcicada for an emulator)`,
    );
  }
  throw new QrngError(
    "usage",
    `${qrngs.length} QRNGs found, choose one with --device: ` +
      qrngs.map((p) => `${p.guess!.uri} (${p.guess!.reason})`).join("; "),
  );
}
