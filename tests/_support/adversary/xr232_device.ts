/**
 * A misbehaving XR232 / XR232USB: the emulator's firmware model (cli/emulators/xr232_device.ts)
 * with scripted faults between it and the line. Faults count position in bytes sent to the host
 * (`at`), across reopens, so a fault happens once per device run:
 *
 *   extra:EVERY          one byte nobody asked for after the answer to every EVERY-th request
 *   fewer:EVERY          every EVERY-th request is taken and never answered
 *   burst:AT:LEN[:BYTE]  LEN unrequested bytes at AT (random, or all BYTE)
 *   stall:AT:MS          withhold answers for MS ms of wall time at AT (requests wait)
 *   withhold:AT          from AT on, never answer again (not even after a reopen)
 *   stuck:AT:BYTE        from AT on, every answer is BYTE (stuck:0:18 answers 0x12 to every U)
 *   periodic:AT:PERIOD   from AT on, the PERIOD bytes answered first repeat forever
 *   counter:AT           from AT on, answers count 0, 1, ..., 255, 0, ...
 *   ident-any-baud       the identification string instead of random bytes, at every rate
 *
 * Several faults join with commas. Random bytes of faults come from their own seeded generator,
 * so a run is reproducible from its seed and script.
 */
import { Xr232Device, type Xr232DeviceOptions, type Xr232Kind } from "../../../cli/emulators/xr232_device.ts";

/** One scripted fault. */
export type Xr232Fault =
  | { kind: "extra" | "fewer"; every: number }
  | { kind: "burst"; at: number; length: number; byte?: number }
  | { kind: "stall"; at: number; ms: number }
  | { kind: "withhold" | "counter"; at: number }
  | { kind: "stuck"; at: number; byte: number }
  | { kind: "periodic"; at: number; period: number }
  | { kind: "ident-any-baud" };

/** Parses a fault script (see the module comment); throws RangeError naming a bad entry. */
export function parseXr232Faults(script: string): Xr232Fault[] {
  if (script === "") return [];
  return script.split(",").map((entry) => {
    const [kind, ...fields] = entry.split(":");
    const n = fields.map(Number);
    if (!n.every((x) => Number.isInteger(x) && x >= 0)) throw new RangeError(`bad fault '${entry}'`);
    const arity: Record<string, number[]> = {
      extra: [1],
      fewer: [1],
      burst: [2, 3],
      stall: [2],
      withhold: [1],
      stuck: [2],
      periodic: [2],
      counter: [1],
      "ident-any-baud": [0],
    };
    if (!arity[kind]?.includes(n.length)) throw new RangeError(`bad fault '${entry}'`);
    switch (kind) {
      case "extra":
      case "fewer":
        if (n[0] < 1) throw new RangeError(`bad fault '${entry}': EVERY is at least 1`);
        return { kind, every: n[0] };
      case "burst":
        return { kind, at: n[0], length: n[1], byte: n[2] };
      case "stall":
        return { kind, at: n[0], ms: n[1] };
      case "withhold":
      case "counter":
        return { kind, at: n[0] };
      case "stuck":
        return { kind, at: n[0], byte: n[1] & 0xff };
      case "periodic":
        if (n[1] < 1) throw new RangeError(`bad fault '${entry}': PERIOD is at least 1`);
        return { kind, at: n[0], period: n[1] };
      default:
        return { kind: "ident-any-baud" };
    }
  });
}

/** An XR232 device that misbehaves as scripted; the pty adapter drives it like the emulator. */
export class FaultyXr232 extends Xr232Device {
  readonly #faults: Xr232Fault[];
  /** Bytes handed to the line so far (all opens). */
  #sent = 0;
  /** Requests answered by the model so far (all opens). */
  #answered = 0;
  #noise: number;
  #stallLeftS = 0;
  #stallsDone = new Set<Xr232Fault>();
  #periodic: number[] = [];

  constructor(kind: Xr232Kind, faults: Xr232Fault[], options: Xr232DeviceOptions = {}) {
    super(kind, options);
    this.#faults = faults;
    this.#noise = Number((options.seed ?? 1n) & 0xffffffffn) ^ 0x5eed;
  }

  /** CTS as the adapter sees it: off while a stall or a withholding fault holds answers back. */
  override get cts(): boolean {
    return super.cts && this.#stallLeftS <= 0 && !this.#withholding();
  }

  /** Counts a stall's wall time down (the adapter calls this while CTS is off). */
  override wait(seconds: number): void {
    if (this.#stallLeftS > 0) this.#stallLeftS -= seconds;
    super.wait(seconds);
  }

  override answer(max: number): Uint8Array {
    if (!this.cts) return new Uint8Array(0);
    // Stop short of the next stall or withholding point, so it starts exactly there.
    let limit = max;
    for (const f of this.#faults) {
      if ((f.kind === "stall" || f.kind === "withhold") && f.at > this.#sent) {
        limit = Math.min(limit, f.at - this.#sent);
      }
    }
    const out: number[] = [];
    for (const byte of super.answer(limit)) {
      this.#answered++;
      if (this.#faults.some((f) => f.kind === "fewer" && this.#answered % f.every === 0)) continue;
      this.#emit(out, this.#transform(byte));
    }
    for (const f of this.#faults) {
      if (f.kind === "stall" && this.#sent >= f.at && !this.#stallsDone.has(f)) {
        this.#stallsDone.add(f);
        this.#stallLeftS = f.ms / 1000;
      }
    }
    return Uint8Array.from(out);
  }

  #emit(out: number[], byte: number): void {
    for (const f of this.#faults) {
      if (f.kind === "burst" && this.#sent === f.at) {
        for (let i = 0; i < f.length; i++) out.push(f.byte ?? this.#noiseByte());
        this.#sent += f.length;
      }
    }
    out.push(byte);
    this.#sent++;
    for (const f of this.#faults) {
      if (f.kind === "extra" && this.#answered % f.every === 0) {
        out.push(this.#noiseByte());
        this.#sent++;
      }
    }
  }

  /** What the faults make of the model's next answer `byte`. */
  #transform(byte: number): number {
    const at = this.#sent;
    for (const f of this.#faults) {
      if (f.kind === "ident-any-baud") return this.identification[at % this.identification.length];
      if (f.kind === "stuck" && at >= f.at) return f.byte;
      if (f.kind === "counter" && at >= f.at) return (at - f.at) & 0xff;
      if (f.kind === "periodic" && at >= f.at) {
        if (this.#periodic.length < f.period) this.#periodic.push(byte);
        return this.#periodic[(at - f.at) % f.period];
      }
    }
    return byte;
  }

  #withholding(): boolean {
    return this.#faults.some((f) => f.kind === "withhold" && this.#sent >= f.at);
  }

  /** The faults' own noise: a xorshift32 sequence from the device seed. */
  #noiseByte(): number {
    let x = this.#noise || 1;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#noise = x >>> 0;
    return this.#noise & 0xff;
  }
}
