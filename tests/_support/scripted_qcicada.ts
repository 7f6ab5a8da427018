/**
 * The QCicada emulator with one chosen misbehaviour, served over loopback TCP from the test's
 * own process (the CLI under test connects to it as to a network device). Focused on device
 * statuses and STOP: a status flag raised in the final STOP's answer, during the startup test
 * or in a plain GET_STATUS; started = 0; STOP never acknowledged or ignored; 0 ready bytes.
 */
import { QcicadaMachine, type QcicadaOptions, type Reply } from "../../cli/emulators/qcicada/machine.ts";
import { runSession } from "../../cli/emulators/qcicada/session.ts";
import { listenTcp } from "../../cli/transports/tcp_server.ts";
import { CMD, RESP } from "../../wasm/cmdctrl.ts";

/** Status flag bits (spec §3). */
export const FLAG = {
  started: 0x01,
  startupTestInProgress: 0x02,
  voltageLow: 0x04,
  repetitionCount: 0x40,
} as const;

/** What the device does wrong. */
export type Misbehaviour =
  /** Sets these flag bits in the answer to a STOP that ends a stream. */
  | { stopFlags: number }
  /** Sets these flag bits in every GET_STATUS answer while the startup test runs. */
  | { startupFlags: number }
  /** Sets these flag bits in every GET_STATUS answer after the first one-shot. */
  | { laterStatusFlags: number }
  /** Clears `started` in every status it reports. */
  | { notStarted: true }
  /** Stops streaming on STOP but never answers it. */
  | { silentStop: true }
  /** Ignores STOP: streams on forever. */
  | { ignoreStop: true }
  /** Reports 0 ready bytes forever (and so refuses every one-shot). */
  | { zeroReady: true };

/** Sets `bits` in (or, with `clear`, removes them from) an ACK+status reply. */
function withFlags(reply: Reply, bits: number, clear = false): Reply {
  const bytes = reply.bytes.slice();
  bytes[1] = clear ? bytes[1] & ~bits : bytes[1] | bits;
  return { ...reply, bytes };
}

class MisbehavingMachine extends QcicadaMachine {
  #oneShots = 0;
  /** The first byte of every receive: the command codes a host sent, in order. */
  readonly commands: number[] = [];
  constructor(readonly misbehaviour: Misbehaviour, options: QcicadaOptions) {
    super(options);
  }

  override receive(bytes: Uint8Array): Reply[] {
    const m = this.misbehaviour;
    const code = bytes[0];
    this.commands.push(code);
    const wasStreaming = this.streaming;
    if (wasStreaming && code === CMD.STOP && "ignoreStop" in m) return [];
    const inStartup = this.status().startupTestInProgress;
    const replies = super.receive(bytes);
    const isAck = (r: Reply) => !r.data && r.bytes[0] === RESP.ACK && r.bytes.length === 6;
    if (code === CMD.START && bytes[1] === 1) this.#oneShots++;
    return replies.flatMap((reply): Reply[] => {
      if (!isAck(reply)) return [reply];
      if ("notStarted" in m) return [withFlags(reply, FLAG.started, true)];
      if ("zeroReady" in m) {
        return [{ ...reply, bytes: Uint8Array.of(reply.bytes[0], reply.bytes[1], 0, 0, 0, 0) }];
      }
      if (code === CMD.STOP && wasStreaming) {
        if ("silentStop" in m) return [];
        if ("stopFlags" in m) return [withFlags(reply, m.stopFlags)];
      }
      if (code === CMD.GET_STATUS && inStartup && "startupFlags" in m) {
        return [withFlags(reply, m.startupFlags)];
      }
      if (code === CMD.GET_STATUS && this.#oneShots > 0 && "laterStatusFlags" in m) {
        return [withFlags(reply, m.laterStatusFlags)];
      }
      return [reply];
    });
  }

  override readyBytes(): number {
    return "zeroReady" in this.misbehaviour ? 0 : super.readyBytes();
  }
}

/** A misbehaving device on loopback TCP. */
export interface ScriptedDevice {
  uri: string;
  /** Resolves once a host has sent `code` `times` times. */
  received(code: number, times?: number): Promise<void>;
  close(): Promise<void>;
}

/** Serves a QCicada that misbehaves as `misbehaviour` says (seed 7, rate max unless given). */
export async function startScriptedQcicada(
  misbehaviour: Misbehaviour,
  options: Partial<QcicadaOptions> = {},
): Promise<ScriptedDevice> {
  const machine = new MisbehavingMachine(misbehaviour, {
    seed: 7,
    rateBytesPerS: Infinity,
    startupMs: 0,
    now: () => performance.now(),
    ...options,
  });
  const listener = await listenTcp("127.0.0.1", 0);
  let stopped = false;
  const stopWaiting: Array<(v: undefined) => void> = [];
  const serving = (async () => {
    while (!stopped) {
      const connection = await Promise.race([
        listener.accept(),
        new Promise<undefined>((r) => stopWaiting.push(r)),
      ]);
      if (!connection) break;
      await runSession(machine, connection, {
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        stopped: () => stopped,
      });
      await connection.close();
    }
  })();
  return {
    uri: `tcp://127.0.0.1:${listener.port}`,
    async received(code, times = 1) {
      while (machine.commands.filter((c) => c === code).length < times) {
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      stopped = true;
      for (const wake of stopWaiting) wake(undefined);
      await listener.close();
      await serving;
    },
  };
}
