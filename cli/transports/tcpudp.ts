/**
 * TCP+UDP: commands and responses on a TCP connection to the device's port 54936, random data
 * as datagrams to a UDP port the host binds (54936 as on a device, or `?udp=PORT`; 0 picks a
 * free one). The host sends one empty datagram to the device's UDP port, so that a device
 * which learns its host's data port from it (`qrng emulate qcicada --tcpudp --data-port 0`)
 * knows where the data should go. Its receive side is bounded and drops duplicates (udp.ts).
 */
import { connectTcp } from "./tcp.ts";
import type { Transport } from "./transport.ts";
import { openUdp, type UdpEndpoint } from "./udp.ts";

/** The default local data port, as on a device. */
export const TCPUDP_DATA_PORT = 54936;

/** Commands and data channels of a TCP+UDP device. */
export interface TcpUdpChannels {
  commands: Transport;
  data: UdpEndpoint;
}

/** Connects commands by TCP and binds the data port. */
export async function connectTcpUdp(
  host: string,
  port: number,
  dataPort = TCPUDP_DATA_PORT,
): Promise<TcpUdpChannels> {
  const commands = await connectTcp(host, port);
  try {
    const data = await openUdp({
      bindPort: dataPort,
      peer: { host, port },
      description: `tcpudp://${host}:${port} data`,
      dropDuplicates: true,
    });
    await data.write(new Uint8Array(0)); // registration: "send data here"
    return { commands: { ...commands, description: `tcpudp://${host}:${port}` } as Transport, data };
  } catch (error) {
    await commands.close();
    throw error;
  }
}
