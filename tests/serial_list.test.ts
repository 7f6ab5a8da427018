/**
 * Serial port listing over a sysfs tree laid out as Linux lays it out (symlinks from
 * /sys/class/tty into /sys/devices, USB attributes on the USB device above the interface),
 * built in a temp dir; and `qrng list` run for real under each runner against that tree.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPortTable } from "../cli/commands/list.ts";
import { listSerialPorts, parseSerialComm } from "../cli/transports/serial_list.ts";
import { binaryBuilt, runCli, RUNNERS } from "./_support/cli.ts";

let root: string;
const sys = () => join(root, "sys");
const dev = () => join(root, "dev");

function file(path: string, text: string) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${text}\n`);
}

/** A relative symlink, as sysfs makes them. */
function link(from: string, to: string) {
  mkdirSync(dirname(from), { recursive: true });
  mkdirSync(to, { recursive: true });
  symlinkSync(relative(dirname(from), to), from);
}

const USB_BUS = "devices/pci0000:00/0000:00:14.0/usb1";

/** A USB device with attributes, and a tty on its interface 0 the way `driver` names it. */
function usbTty(port: string, tty: string, driver: "ftdi_sio" | "cdc_acm", attrs: Record<string, string>) {
  const usbDevice = join(sys(), USB_BUS, port);
  for (const [key, value] of Object.entries(attrs)) file(join(usbDevice, key), value);
  const iface = join(usbDevice, `${port}:1.0`);
  file(join(iface, "bInterfaceNumber"), "00");
  // usb-serial (ftdi_sio) puts a port device between the interface and the tty; cdc_acm not.
  const device = driver === "ftdi_sio" ? join(iface, tty) : iface;
  const ttyDir = join(device, "tty", tty);
  file(join(ttyDir, "dev"), "188:0");
  link(join(ttyDir, "device"), device);
  link(
    join(device, "driver"),
    join(sys(), "bus", driver === "ftdi_sio" ? "usb-serial" : "usb", "drivers", driver),
  );
  link(join(device, "subsystem"), join(sys(), "bus", driver === "ftdi_sio" ? "usb-serial" : "usb"));
  link(join(sys(), "class", "tty", tty), ttyDir);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "qrng-sysfs-"));
  usbTty("1-1", "ttyUSB0", "ftdi_sio", {
    idVendor: "0403",
    idProduct: "6014",
    manufacturer: "Crypta Labs",
    product: "QCicada",
    serial: "QC0001",
  });
  usbTty("1-2", "ttyUSB1", "ftdi_sio", {
    idVendor: "0403",
    idProduct: "6001",
    manufacturer: "FTDI",
    product: "XR232USB",
  });
  usbTty("1-3", "ttyUSB2", "ftdi_sio", { idVendor: "0403", idProduct: "6001", product: "FT232R USB UART" });
  usbTty("1-4", "ttyACM0", "cdc_acm", { idVendor: "1fc9", idProduct: "0083", manufacturer: "Crypta Labs" });
  usbTty("1-5", "ttyACM1", "cdc_acm", { idVendor: "2341", idProduct: "0043", manufacturer: "Arduino" });
  // A 16550 on PNP behind Linux 6.5+ serial-base devices (as on the machine these tests were
  // written on), phantom 8250 slots (type 0), an ARM platform UART, a virtual console.
  const pnp = join(sys(), "devices", "pnp0", "00:00");
  link(join(pnp, "subsystem"), join(sys(), "bus", "pnp"));
  link(join(pnp, "driver"), join(sys(), "bus", "pnp", "drivers", "serial"));
  const ctrl = join(pnp, "00:00:0");
  const basePort = join(ctrl, "00:00:0.0");
  link(join(ctrl, "subsystem"), join(sys(), "bus", "serial-base"));
  link(join(basePort, "subsystem"), join(sys(), "bus", "serial-base"));
  link(join(basePort, "driver"), join(sys(), "bus", "serial-base", "drivers", "port"));
  const uart = (tty: string, device: string, type?: string) => {
    const ttyDir = join(device, "tty", tty);
    if (type) file(join(ttyDir, "type"), type);
    link(join(ttyDir, "device"), device);
    link(join(sys(), "class", "tty", tty), ttyDir);
  };
  uart("ttyS0", basePort, "4");
  uart("ttyS1", join(sys(), "devices", "platform", "serial8250", "serial8250:0", "serial8250:0.1"), "0");
  uart("ttyS2", join(sys(), "devices", "platform", "serial8250", "serial8250:0", "serial8250:0.2"), "0");
  const amba = join(sys(), "devices", "platform", "soc", "fe201000.serial");
  link(join(amba, "subsystem"), join(sys(), "bus", "amba"));
  link(join(amba, "driver"), join(sys(), "bus", "amba", "drivers", "uart-pl011"));
  uart("ttyAMA0", amba);
  const tty0 = join(sys(), "devices", "virtual", "tty", "tty0");
  file(join(tty0, "dev"), "4:0");
  link(join(sys(), "class", "tty", "tty0"), tty0);
  file(join(dev(), "ttyQRNG0"), "");
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("listSerialPorts() on Linux", () => {
  it("finds USB, ACM, PNP, ARM and Dragonfly ports and skips consoles and phantom 8250 slots", async () => {
    const ports = await listSerialPorts({ os: "linux", sysRoot: sys(), devRoot: dev() });
    expect(ports.map((p) => p.path).sort()).toEqual(
      ["ttyACM0", "ttyACM1", "ttyAMA0", "ttyQRNG0", "ttyS0", "ttyUSB0", "ttyUSB1", "ttyUSB2"].map((n) =>
        join(dev(), n)
      ),
    );
  });

  it("names the hardware's driver, above Linux 6.5's serial-base port devices", async () => {
    const ports = await listSerialPorts({ os: "linux", sysRoot: sys(), devRoot: dev() });
    const driver = (name: string) => ports.find((p) => p.path === join(dev(), name))!.driver;
    expect([driver("ttyS0"), driver("ttyAMA0"), driver("ttyQRNG0")]).toEqual([
      "serial",
      "uart-pl011",
      undefined,
    ]);
  });

  it("reads the USB identity from the device above the interface, for usb-serial and cdc_acm alike", async () => {
    const ports = await listSerialPorts({ os: "linux", sysRoot: sys(), devRoot: dev() });
    const byName = (name: string) => ports.find((p) => p.path === join(dev(), name))!;
    expect(byName("ttyUSB0")).toMatchObject({
      driver: "ftdi_sio",
      usb: {
        vendorId: "0403",
        productId: "6014",
        manufacturer: "Crypta Labs",
        product: "QCicada",
        serial: "QC0001",
      },
    });
    expect(byName("ttyACM0")).toMatchObject({
      driver: "cdc_acm",
      usb: { vendorId: "1fc9", manufacturer: "Crypta Labs" },
    });
    expect(byName("ttyS0").usb).toBeUndefined();
  });

  it("flags QRNGs by name for sure, by FTDI IDs as maybe, and ignores an Arduino; sure ones come first", async () => {
    const ports = await listSerialPorts({ os: "linux", sysRoot: sys(), devRoot: dev() });
    const guesses = ports.map((
      p,
    ) => [p.path.slice(dev().length + 1), p.guess?.kind, p.guess?.sure, p.guess?.uri]);
    const d = dev();
    expect(guesses).toEqual([
      ["ttyACM0", "firefly", true, `serial:${d}/ttyACM0`],
      ["ttyQRNG0", "dragonfly", true, `serial:${d}/ttyQRNG0`],
      ["ttyUSB0", "qcicada", true, `serial:${d}/ttyUSB0`],
      ["ttyUSB1", "xr232usb", true, `xr232:${d}/ttyUSB1`],
      ["ttyUSB2", "xr232usb", false, `xr232:${d}/ttyUSB2`],
      ["ttyACM1", undefined, undefined, undefined],
      ["ttyAMA0", undefined, undefined, undefined],
      ["ttyS0", undefined, undefined, undefined],
    ]);
  });

  it("finds nothing, without failing, where there is no sysfs", async () => {
    expect(
      await listSerialPorts({ os: "linux", sysRoot: join(root, "missing"), devRoot: join(root, "missing") }),
    )
      .toEqual([]);
  });
});

it("on macOS lists callout devices (cu.*), not tty.* or the Bluetooth port, and calls an FTDI bridge a maybe", async () => {
  const macDev = join(root, "macdev");
  for (
    const name of ["cu.usbserial-A10K", "tty.usbserial-A10K", "cu.Bluetooth-Incoming-Port", "cu.usbmodem1101"]
  ) {
    file(join(macDev, name), "");
  }
  const ports = await listSerialPorts({ os: "darwin", devRoot: macDev });
  expect(ports.map((p) => [p.path.slice(macDev.length + 1), p.guess?.kind, p.guess?.sure])).toEqual([
    ["cu.usbserial-A10K", "qcicada", false],
    ["cu.usbmodem1101", undefined, undefined],
  ]);
});

it("parseSerialComm() reads `reg query` output of HKLM\\HARDWARE\\DEVICEMAP\\SERIALCOMM", () => {
  const text = "\r\nHKEY_LOCAL_MACHINE\\HARDWARE\\DEVICEMAP\\SERIALCOMM\r\n" +
    "    \\Device\\Serial0    REG_SZ    COM1\r\n    \\Device\\VCP0    REG_SZ    COM7\r\n\r\n";
  expect(parseSerialComm(text)).toEqual([{ path: "COM1", driver: "Serial" }, {
    path: "COM7",
    driver: "VCP",
  }]);
});

it("the table says so when there are no ports", () => {
  expect(formatPortTable([])).toBe("No serial ports found.\n");
});

for (const runner of RUNNERS) {
  describe.skipIf(runner.name === "binary" && !binaryBuilt)(`qrng list under ${runner.name}`, () => {
    const env = () => ({ QRNG_SYSFS_ROOT: sys(), QRNG_DEV_ROOT: dev() });

    it("prints a table with the QCicada's identity and a read command per likely QRNG", async () => {
      const result = await runCli(runner, ["list"], { env: env() });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const lines = result.stdout.toString().split("\n");
      expect(lines[0]).toMatch(/^PORT +QRNG +USB ID +MANUFACTURER +PRODUCT +SERIAL +DRIVER$/);
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(`^${dev()}/ttyUSB0 +QCicada +0403:6014 +Crypta Labs +QCicada +QC0001 +ftdi_sio$`),
        ),
      );
      expect(lines).toContainEqual(expect.stringMatching(/ttyUSB2 +XR232USB \(maybe\) +0403:6001/));
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^  qrng read 1M --device xr232:${dev()}/ttyUSB1 +# FTDI 0403:6001 named FTDI XR232USB$`,
          ),
        ),
      );
    });

    it("--json prints the same ports as JSON", async () => {
      const result = await runCli(runner, ["list", "--json"], { env: env() });
      expect(result.status).toBe(0);
      const ports = JSON.parse(result.stdout.toString());
      expect(ports).toEqual(await listSerialPorts({ os: "linux", sysRoot: sys(), devRoot: dev() }));
    });

    it("rejects a stray argument as a usage error", async () => {
      const result = await runCli(runner, ["list", "extra"]);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe("qrng list: unexpected argument 'extra'\n");
    });
  });
}
