/**
 * `qrng emulate qcicada`: serves the emulated QCicada on a pseudo-terminal, TCP, UDP or
 * TCP+UDP until Ctrl-C, and `sim:qcicada` in-process. The first stdout line is the device URI a
 * host should use (tests parse it), the second the emulator CA's public key for `qrng cert`.
 */
import type { EmulatorKind } from "../../devices/device.ts";
import { openCmdCtrlSource } from "../../devices/cmdctrl/source.ts";
import { STARTUP_TEST_MS } from "./constants.ts";

const HELP = `Usage: qrng emulate qcicada (--serial | --tcp [ADDR:PORT] | --udp [ADDR:PORT] | --tcpudp [ADDR:PORT]) [options]

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

/** The QCicada emulator kind. */
export const qcicadaEmulator: EmulatorKind = {
  kind: "qcicada",
  summary: "Crypta Labs QCicada (Cmd&Ctrl): every command, streaming, signed reads, updates",
  help: HELP,
  serve: async (argv, platform) => (await import("./serve.ts")).serveQcicada(argv, platform),
  openSim: (uri, options) => openCmdCtrlSource(uri, options),
};
