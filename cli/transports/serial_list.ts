/**
 * Finding serial ports and guessing which are random number generators, for `qrng list` and
 * for `qrng read` without `--device`.
 *
 * - Linux: every /sys/class/tty/<name> with a `device` link (virtual consoles and ptys have
 *   none), except 8250 slots with no UART behind them (`type` 0). USB facts
 *   (idVendor, idProduct, manufacturer, product, serial) come from the nearest ancestor of the
 *   device directory that has an `idVendor` file: the USB device above the interface
 *   (ttyACM: device -> 1-2:1.0, parent 1-2) or above the usb-serial port (ttyUSB: device ->
 *   1-1:1.0/ttyUSB0, grandparent 1-1). /dev/ttyQRNG* (Dragonfly) are added even without sysfs.
 * - macOS: /dev/cu.* (callout devices, which do not wait for carrier; never tty.*). No USB
 *   facts without IOKit, so guesses rest on the name (cu.usbserial-* is an FTDI bridge).
 * - Windows: the values of HKLM\HARDWARE\DEVICEMAP\SERIALCOMM (`reg query`), e.g.
 *   "\Device\VCP0  REG_SZ  COM3" where VCP is FTDI's driver. Untested: no Windows here.
 *
 * The roots are parameters so tests can build a sysfs tree of real layout in a temp dir.
 */
import { execFile } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The QRNGs a port can be recognised as. */
export type QrngKind = "qcicada" | "firefly" | "dragonfly" | "xr232usb";

/** One serial port and what is known about it. */
export interface SerialPortInfo {
  /** What to open: "/dev/ttyUSB0", "/dev/cu.usbserial-A1", "COM3". */
  path: string;
  /** The kernel's driver, when known ("ftdi_sio", "cdc_acm", "VCP"). */
  driver?: string;
  /** USB identity, when the port sits on USB and the OS says so. IDs are 4 lowercase hex digits. */
  usb?: { vendorId: string; productId: string; manufacturer?: string; product?: string; serial?: string };
  /** The QRNG this port probably is, when anything suggests one. */
  guess?: {
    kind: QrngKind;
    /** True when a name says so (product "QCicada", "XR232USB"); false on IDs or paths alone. */
    sure: boolean;
    /** Why, for the table: "FTDI 0403:6014 named Crypta Labs QCicada". */
    reason: string;
    /** A device URI for `qrng read --device`, e.g. "serial:/dev/ttyUSB0", "xr232:/dev/ttyUSB0". */
    uri: string;
  };
}

/** Where {@link listSerialPorts} looks. */
export interface ListOptions {
  /** Which OS's conventions apply. @default the running OS (node:os platform()) */
  os?: string;
  /** The sysfs mount (Linux). @default "/sys" */
  sysRoot?: string;
  /** The device directory (Linux, macOS). @default "/dev" */
  devRoot?: string;
}

/** FTDI's USB vendor ID, used by QCicada's bridge and by XR232USB (FT232RL). */
const FTDI_VENDOR = "0403";
/** FT232R/FT245R (XR232USB, some QCicadas) and FT232H (QCicada). */
const FTDI_QRNG_PRODUCTS = ["6001", "6014"];
/** serial-base devices (port, ctrl) between a tty's device link and the hardware. */
const SERIAL_BASE_LEVELS = 2;
/** How many directories up from a tty's device link the USB device can be. */
const USB_ANCESTOR_LEVELS = 4;

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(path, "utf8")).trim();
  } catch {
    return undefined;
  }
}

const realpath = (path: string) => fs.realpath(path).catch(() => undefined);

/** Lists the machine's serial ports, likely QRNGs first, then by name. */
export async function listSerialPorts(options: ListOptions = {}): Promise<SerialPortInfo[]> {
  const os = options.os ?? (await import("node:os")).platform();
  const ports = os === "linux"
    ? await listLinux(options.sysRoot ?? "/sys", options.devRoot ?? "/dev")
    : os === "darwin"
    ? await listDarwin(options.devRoot ?? "/dev")
    : os === "win32"
    ? await listWindows()
    : [];
  for (const port of ports) port.guess = guessQrng(port);
  const collator = new Intl.Collator("en", { numeric: true });
  return ports.sort((a, b) =>
    Number(!!b.guess?.sure) - Number(!!a.guess?.sure) ||
    Number(!!b.guess) - Number(!!a.guess) || collator.compare(a.path, b.path)
  );
}

async function listLinux(root: string, devRoot: string): Promise<SerialPortInfo[]> {
  const sysRoot = (await realpath(root)) ?? root; // device links resolve to real paths
  const classDir = join(sysRoot, "class", "tty");
  const names = await fs.readdir(classDir).catch(() => [] as string[]);
  const ports: SerialPortInfo[] = [];
  for (const name of names) {
    const link = await realpath(join(classDir, name, "device"));
    if (!link) continue;
    if ((await readText(join(classDir, name, "type"))) === "0") continue; // 8250 slot without a UART
    const device = await hardwareDevice(link);
    const port: SerialPortInfo = { path: join(devRoot, name) };
    const driver = await realpath(join(device, "driver"));
    if (driver) port.driver = basename(driver);
    const usb = await usbAncestor(device, sysRoot);
    if (usb) port.usb = usb;
    ports.push(port);
  }
  const known = new Set(ports.map((p) => basename(p.path)));
  for (const entry of await fs.readdir(devRoot).catch(() => [] as string[])) {
    if (entry.startsWith("ttyQRNG") && !known.has(entry)) ports.push({ path: join(devRoot, entry) });
  }
  return ports;
}

/**
 * Since Linux 6.5 a serial port's `device` link points at serial-base "port"/"ctrl" devices;
 * the hardware (pnp, pci, platform) with the meaningful driver is above them.
 */
async function hardwareDevice(device: string): Promise<string> {
  let dir = device;
  for (let level = 0; level < SERIAL_BASE_LEVELS; level++) {
    const subsystem = await realpath(join(dir, "subsystem"));
    if (!subsystem || basename(subsystem) !== "serial-base") break;
    dir = dirname(dir);
  }
  return dir;
}

async function usbAncestor(device: string, sysRoot: string): Promise<SerialPortInfo["usb"]> {
  let dir = device;
  for (let level = 0; level <= USB_ANCESTOR_LEVELS && dir.startsWith(sysRoot) && dir !== sysRoot; level++) {
    const vendorId = await readText(join(dir, "idVendor"));
    if (vendorId) {
      const usb: NonNullable<SerialPortInfo["usb"]> = {
        vendorId: vendorId.toLowerCase(),
        productId: ((await readText(join(dir, "idProduct"))) ?? "").toLowerCase(),
      };
      for (const key of ["manufacturer", "product", "serial"] as const) {
        const value = await readText(join(dir, key));
        if (value) usb[key] = value;
      }
      return usb;
    }
    dir = dirname(dir);
  }
  return undefined;
}

async function listDarwin(devRoot: string): Promise<SerialPortInfo[]> {
  const entries = await fs.readdir(devRoot).catch(() => [] as string[]);
  return entries
    .filter((entry) => entry.startsWith("cu.") && !entry.includes("Bluetooth-Incoming-Port"))
    .map((entry) => ({ path: join(devRoot, entry) }));
}

/** Parses `reg query HKLM\HARDWARE\DEVICEMAP\SERIALCOMM` output into ports. */
export function parseSerialComm(text: string): SerialPortInfo[] {
  const ports: SerialPortInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*\\Device\\(\S+?)\d*\s+REG_SZ\s+(\S+)\s*$/.exec(line);
    if (match) ports.push({ path: match[2], driver: match[1] });
  }
  return ports;
}

function listWindows(): Promise<SerialPortInfo[]> {
  return new Promise((resolve) => {
    if (!existsSync("C:\\Windows")) return resolve([]);
    execFile(
      "reg",
      ["query", "HKLM\\HARDWARE\\DEVICEMAP\\SERIALCOMM"],
      (error, stdout) => resolve(error ? [] : parseSerialComm(stdout)),
    );
  });
}

const naming = (port: SerialPortInfo, pattern: RegExp) =>
  pattern.test(`${port.usb?.manufacturer ?? ""} ${port.usb?.product ?? ""}`);

/** Guesses which QRNG a port is, from its USB identity, names and path. */
function guessQrng(port: SerialPortInfo): SerialPortInfo["guess"] {
  const name = basename(port.path);
  const usb = port.usb;
  const id = usb ? `${usb.vendorId}:${usb.productId}` : "";
  const named = usb ? ` named ${[usb.manufacturer, usb.product].filter(Boolean).join(" ")}` : "";
  const serial = `serial:${port.path}`;
  if (name.startsWith("ttyQRNG")) {
    return { kind: "dragonfly", sure: true, reason: "Dragonfly driver's /dev/ttyQRNG name", uri: serial };
  }
  if (usb?.vendorId === FTDI_VENDOR && FTDI_QRNG_PRODUCTS.includes(usb.productId)) {
    if (naming(port, /xr232/i)) {
      return { kind: "xr232usb", sure: true, reason: `FTDI ${id}${named}`, uri: `xr232:${port.path}` };
    }
    if (naming(port, /crypta|qcicada/i)) {
      return { kind: "qcicada", sure: true, reason: `FTDI ${id}${named}`, uri: serial };
    }
    return {
      kind: usb.productId === "6014" ? "qcicada" : "xr232usb",
      sure: false,
      reason: `FTDI ${id}${named || " without names"}: could be ${
        usb.productId === "6014" ? "a QCicada" : "an XR232USB or a QCicada"
      }`,
      uri: usb.productId === "6014" ? serial : `xr232:${port.path}`,
    };
  }
  if (naming(port, /xr232/i)) {
    return { kind: "xr232usb", sure: true, reason: `USB ${id}${named}`, uri: `xr232:${port.path}` };
  }
  if (naming(port, /qcicada/i)) {
    return { kind: "qcicada", sure: true, reason: `USB ${id}${named}`, uri: serial };
  }
  if (naming(port, /crypta|firefly/i)) {
    return {
      kind: "firefly",
      sure: name.startsWith("ttyACM") || naming(port, /firefly/i),
      reason: `USB ${id}${named}`,
      uri: serial,
    };
  }
  if (name.startsWith("cu.usbserial-") || port.driver === "VCP") {
    const where = port.driver === "VCP" ? "Windows" : "macOS";
    return {
      kind: "qcicada",
      sure: false,
      reason: `an FTDI bridge on ${where}: could be a QCicada or an XR232USB`,
      uri: serial,
    };
  }
  return undefined;
}
