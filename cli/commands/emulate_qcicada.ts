/** `qrng emulate qcicada`: its flags and help; the emulator is cli/emulators/qcicada/serve.ts. */
import { parseFlags } from "../command.ts";
import { usageError } from "../errors.ts";
import type { Platform } from "../platform.ts";
import { CMDCTRL_PORT, parseHostPort, parsePort } from "../uri.ts";
import { TCPUDP_DATA_PORT } from "../transports/tcpudp.ts";
import { EMULATED_SERIAL_PREFIX } from "../protocol/cmdctrl.ts";
import { STARTUP_TEST_MS } from "../emulators/qcicada/constants.ts";
import { parseRate, parseSeed, parseWholeNumber } from "../emulators/qcicada/options.ts";

const HELP =
  `Usage: qrng emulate qcicada (--serial | --tcp [ADDR:PORT] | --udp [ADDR:PORT] | --tcpudp [ADDR:PORT]) [options]

Emulates a Crypta Labs QCicada speaking Cmd&Ctrl. Its data is a seeded, reproducible stream:
NOT random. Prints the device URI on the first stdout line and the emulator CA's public key
(for 'qrng cert --ca KEY') on the second; runs until Ctrl-C.

  --serial               create a pseudo-terminal and serve on it (Deno or Bun)
  --tcp [ADDR:PORT]      listen on TCP (default 127.0.0.1:54936; port 0 picks a free one)
  --udp [ADDR:PORT]      answer UDP datagrams (default 127.0.0.1:54936)
  --tcpudp [ADDR:PORT]   commands on TCP, data as datagrams from an ephemeral port to
                         the host's UDP data port
  --data-port PORT       the host's data port for --tcpudp [54936]; a host on another
                         port ('tcpudp://...?udp=0') is learned from the empty datagram it
                         sends to UDP ADDR:PORT on connect, unless PORT is the data port
  --rate R               data rate in bytes/s (100000 = QCicada over FTDI, 1M, or max) [100000]
  --seed N               seed of the data stream and of the keys [1]
  --startup-ms MS        startup test duration after reset [${STARTUP_TEST_MS}]
  --stuck-after BYTES    simulate a broken noise source: zeros and the RCT flag after BYTES
  --tamper-signatures    flip a bit in every signed-read signature (hosts must refuse)
  --drop-update-chunk N  lose the Nth firmware-update chunk once (hosts must retry)
  --reply-delay-ms MS    answer every command MS late, as a slow bridge or a loaded host does
  --serial-number S      report serial S (starting EMU, up to 24 characters) [EMUQC + seed]
  --hw-info S            report hardware info S (up to 24 characters) [CICADA-QRNG-1.1]
  --json                 print one JSON line {"device", "caPublicKey", "serial", "seed"} instead

Example:
  qrng emulate qcicada --tcp 127.0.0.1:0 --rate max --seed 7
`;

const FLAGS = {
  serial: { type: "boolean" },
  tcp: { type: "boolean" },
  udp: { type: "boolean" },
  tcpudp: { type: "boolean" },
  rate: { type: "string" },
  seed: { type: "string" },
  "startup-ms": { type: "string" },
  "stuck-after": { type: "string" },
  "tamper-signatures": { type: "boolean" },
  "drop-update-chunk": { type: "string" },
  "reply-delay-ms": { type: "string" },
  "serial-number": { type: "string" },
  "hw-info": { type: "string" },
  "data-port": { type: "string" },
  json: { type: "boolean" },
} as const;

/** Bytes of each info string field (spec §3: char[24]). */
const INFO_STRING_BYTES = 24;

/** Checks an info string flag: at most 24 one-byte characters (any, escapes too: tests use them). */
function infoString(text: string | undefined, flag: string): string | undefined {
  if (text === undefined) return undefined;
  // deno-lint-ignore no-control-regex -- the range is every Latin-1 character, one byte each
  if (text.length > INFO_STRING_BYTES || /[^\x00-\xff]/.test(text)) {
    throw usageError(`qrng emulate qcicada: ${flag} takes up to ${INFO_STRING_BYTES} one-byte characters`);
  }
  return text;
}

async function run(argv: string[], platform: Platform): Promise<number> {
  const { values, positionals } = parseFlags("emulate qcicada", argv, FLAGS, 1);
  const modes = (["serial", "tcp", "udp", "tcpudp"] as const).filter((m) => values[m]);
  if (modes.length !== 1) {
    throw usageError("qrng emulate qcicada: choose one of --serial, --tcp, --udp, --tcpudp");
  }
  const mode = modes[0];
  if (mode === "serial" && positionals.length) {
    throw usageError("qrng emulate qcicada: --serial takes no address");
  }
  if (values["data-port"] !== undefined && mode !== "tcpudp") {
    throw usageError("qrng emulate qcicada: --data-port goes with --tcpudp");
  }
  const dataPort = parsePort(values["data-port"] ?? String(TCPUDP_DATA_PORT), "--data-port");
  if (dataPort === 0) throw usageError("qrng emulate qcicada: --data-port is a port 1-65535");
  const address = positionals[0];
  const listen = parseHostPort(address ?? "127.0.0.1", CMDCTRL_PORT, `listen address '${address}'`);
  const whole = (flag: "startup-ms" | "stuck-after" | "drop-update-chunk" | "reply-delay-ms") =>
    values[flag] === undefined ? undefined : parseWholeNumber(values[flag], `--${flag}`);
  const serial = infoString(values["serial-number"], "--serial-number");
  if (serial !== undefined && !serial.startsWith(EMULATED_SERIAL_PREFIX)) {
    throw usageError(
      `qrng emulate qcicada: --serial-number must start with ${EMULATED_SERIAL_PREFIX} (hosts tell the emulator by it)`,
    );
  }
  const { serveQcicada } = await import("../emulators/qcicada/serve.ts");
  return await serveQcicada({
    machine: {
      seed: parseSeed(values.seed),
      rateBytesPerS: parseRate(values.rate),
      startupMs: whole("startup-ms"),
      stuckAfterBytes: whole("stuck-after"),
      tamperSignatures: values["tamper-signatures"],
      dropUpdateChunk: whole("drop-update-chunk"),
      info: { serial, hwInfo: infoString(values["hw-info"], "--hw-info") },
    },
    mode,
    listen,
    dataPort,
    replyDelayMs: whole("reply-delay-ms"),
    json: values.json,
  }, platform);
}

/** `qrng emulate qcicada`. */
export const emulateQcicada = {
  kind: "qcicada",
  summary: "Crypta Labs QCicada (Cmd&Ctrl): every command, streaming, signed reads, updates",
  help: HELP,
  run,
};
