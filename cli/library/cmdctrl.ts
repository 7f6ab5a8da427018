/**
 * A Crypta Labs Cmd&Ctrl device (QCicada, Firefly, Dragonfly, their network units, sim:qcicada)
 * as the library offers it: the validated reads of every source, plus the whole of pyqcc's
 * device class. Commands end the read session first (see source.ts); the device itself stays
 * open from `open()` to `close()`.
 *
 * `oneShot`, `readContinuous` and `signedRead` hand on the device's bytes as pyqcc does (its
 * status judged, signatures verified) without the host's health tests; `read`, `readInto` and
 * `readable` are the health-gated way.
 */
import type { Config, Info, Statistics, Status } from "../../wasm/cmdctrl.ts";
import type { OpenedCmdCtrl } from "../devices/cmdctrl/connect.ts";
import { cmdCtrlSource, describeCmdCtrl } from "../devices/cmdctrl/source.ts";
import {
  type CertificateCheck,
  checkCertificate,
  hashTest,
  type HashTestResult,
  importCaKey,
  verifiedSignedRead,
} from "../devices/cmdctrl/checks.ts";
import { readOneShots, readStreamed } from "../devices/cmdctrl/raw_read.ts";
import { updateFirmware, type UpdateOptions, type UpdateResult } from "../devices/cmdctrl/update.ts";
import { openCmdCtrl } from "../sources/cmdctrl.ts";
import { GatedReader, type GatedReaderOptions } from "../sources/gated.ts";
import { type CallOptions, type LibraryContext, type OpenOptions, QrngSource } from "./source.ts";

/** Options of {@link CmdCtrlQrng.update}. */
export interface FirmwareUpdateOptions extends CallOptions, UpdateOptions {}

/** A Cmd&Ctrl device; see the module comment. */
export class CmdCtrlQrng extends QrngSource {
  /** Tells this device class from the others returned by `open()`. */
  readonly family = "cmdctrl";
  #opened: OpenedCmdCtrl | undefined;

  /** Opens and drains the device `uri` names (a device left streaming is stopped first). */
  static async open(uri: string, context: LibraryContext, options: OpenOptions): Promise<CmdCtrlQrng> {
    const qrng = new CmdCtrlQrng(uri, context, options);
    await qrng.exclusive("open", async () => {
      const opened = await openCmdCtrl(uri, {
        platform: context.platform,
        log: options.log,
        signal: qrng.signal,
      });
      qrng.#opened = opened;
      const { description, emulated } = describeCmdCtrl(opened, await opened.device.info());
      qrng.describe(description, emulated);
    }).catch(async (error) => {
      await qrng.#opened?.device.close();
      throw error;
    });
    return qrng;
  }

  /** GET_INFO: versions, serial and hardware info. */
  info(options?: CallOptions): Promise<Info> {
    return this.command("read info", () => this.#device.info(), options);
  }

  /** GET_STATUS. */
  status(options?: CallOptions): Promise<Status> {
    return this.command("read status", () => this.#device.status(), options);
  }

  /** GET_STATISTICS. */
  statistics(options?: CallOptions): Promise<Statistics> {
    return this.command("read statistics", () => this.#device.statistics(), options);
  }

  /** GET_CONFIG. */
  config(options?: CallOptions): Promise<Config> {
    return this.command("read config", () => this.#device.config(), options);
  }

  /** SET_CONFIG of the current config with `changes` applied (only the fields given change). */
  setConfig(changes: Partial<Config>, options?: CallOptions): Promise<Status> {
    return this.command("set config", async () => {
      return await this.#device.setConfig({ ...await this.#device.config(), ...changes });
    }, options);
  }

  /** RESET: restarts generation (startup test) and clears statistics. */
  reset(options?: CallOptions): Promise<Status> {
    return this.command("reset", () => this.#device.reset(), options);
  }

  /** REBOOT; resolves whether the device confirmed (it may drop off first). */
  reboot(options?: CallOptions): Promise<boolean> {
    return this.command("reboot", () => this.#device.reboot(), options);
  }

  /** ENABLE_INSTANCE: turns noise source instance `instance` (0..255) on or off. */
  enableInstance(instance: number, enable: boolean, options?: CallOptions): Promise<Status> {
    return this.command("enable instance", () => this.#device.enableInstance(instance, enable), options);
  }

  /** GET_DEV_AUTH_PUBKEY: the device's P-256 public key x‖y. */
  publicKey(options?: CallOptions): Promise<Uint8Array> {
    return this.command("read the public key", () => this.#device.publicKey(), options);
  }

  /** GET_DEV_CERTIFICATE: the CA's signature r‖s over the certificate blob. */
  certificate(options?: CallOptions): Promise<Uint8Array> {
    return this.command("read the certificate", () => this.#device.certificate(), options);
  }

  /**
   * Verifies the device's certificate against the manufacturer CA's public key: 128 hex digits
   * (x‖y) or a PEM key as text, or raw x‖y bytes. `valid` says whether it verifies.
   */
  async checkCertificate(caKey: string | Uint8Array, options?: CallOptions): Promise<CertificateCheck> {
    const ca = await importCaKey(caKey);
    return await this.command("check the certificate", () => checkCertificate(this.#device, ca), options);
  }

  /** One-shot reads of `n` bytes in all, each within the device's ready bytes (not health-gated). */
  oneShot(n: number, options?: CallOptions): Promise<Uint8Array> {
    return this.command(`read ${n} bytes in one-shots`, () => readOneShots(this.#device, n), options);
  }

  /** START_CONTINUOUS: the device streams until {@link stop}; read the stream with {@link readContinuous}. */
  startContinuous(options?: CallOptions): Promise<Status> {
    return this.command("start continuous mode", () => this.#device.startContinuous(), options);
  }

  /** The next `n` bytes of the stream {@link startContinuous} started (not health-gated). */
  readContinuous(n: number, options?: CallOptions): Promise<Uint8Array> {
    return this.command(`read ${n} streamed bytes`, () => readStreamed(this.#device, n), options);
  }

  /** STOP: ends continuous mode (the data in flight is discarded); resolves the status after it. */
  stop(options?: CallOptions): Promise<Status> {
    return this.command("stop", () => this.#device.stop(), options);
  }

  /** A signed read of `n` bytes, its signature verified against the device's key (not health-gated). */
  signedRead(n: number, options?: CallOptions): Promise<Uint8Array> {
    return this.command(`read ${n} signed bytes`, () => verifiedSignedRead(this.#device, n), options);
  }

  /** Installs a firmware image: `onProgress(sentBytes, totalBytes)` after every chunk. */
  update(image: Uint8Array, options: FirmwareUpdateOptions = {}): Promise<UpdateResult> {
    return this.command("update the firmware", () => updateFirmware(this.#device, image, options), options);
  }

  /** Compares the device's SHA-256 of `data` (HASH_TEST) with the host's. */
  hashTest(data: Uint8Array, options?: CallOptions): Promise<HashTestResult> {
    return this.command("run the hash test", () => hashTest(this.#device, data), options);
  }

  protected override async openSession(options: GatedReaderOptions): Promise<GatedReader> {
    // A stream left running by startContinuous would garble the session's first commands.
    if (this.#device.streaming) await this.#device.stop();
    return await GatedReader.openWith(
      (sourceOptions) => cmdCtrlSource(this.#opened!, sourceOptions, false),
      options,
    );
  }

  protected override async release(): Promise<void> {
    try {
      if (this.#device.streaming) await this.#device.stop();
    } catch {
      // Closing must release the transport even when the device misbehaves.
    } finally {
      await this.#device.close();
    }
  }

  /** The device; open() resolves only once it is connected. */
  get #device() {
    return this.#opened!.device;
  }
}
