/**
 * The post-processing every device's output can go through: block XOR (`xorFold`) then von
 * Neumann debiasing (folding first shrinks the bias, von Neumann then removes what remains). A
 * chain reports what each step cost. The flags that choose it are cli/commands/source_flags.ts.
 */
import type { ByteTransform } from "./transform.ts";
import { vonNeumann } from "./von_neumann.ts";
import { xorFold } from "./xor_fold.ts";

/** Parsed post-processing choices. */
export interface PostprocessOptions {
  /** Block XOR factor, 1 for none. @default 1 */
  xorFold?: number;
  /** Debiasing method. @default none */
  debias?: "von-neumann";
}

/** A sequence of transforms applied in order, with cost accounting. */
export class PostprocessChain {
  readonly steps: readonly ByteTransform[];

  constructor(options: PostprocessOptions = {}) {
    const steps: ByteTransform[] = [];
    if (options.xorFold !== undefined && options.xorFold > 1) steps.push(xorFold(options.xorFold));
    if (options.debias === "von-neumann") steps.push(vonNeumann());
    this.steps = steps;
  }

  /** Whether the chain changes anything. */
  get active(): boolean {
    return this.steps.length > 0;
  }

  /** Bytes in before the first step. */
  get bytesIn(): number {
    return this.steps[0]?.bytesIn ?? 0;
  }

  /** Bytes out of the last step. */
  get bytesOut(): number {
    return this.steps.at(-1)?.bytesOut ?? 0;
  }

  /** Runs `input` through every step. */
  push(input: Uint8Array): Uint8Array {
    let data = input;
    for (const step of this.steps) data = step.push(data);
    return data;
  }

  /** Ends the stream. */
  flush(): Uint8Array {
    for (const step of this.steps) step.flush();
    return new Uint8Array(0);
  }

  /** One line per step: "von Neumann: 1,000,000 -> 250,114 bytes (kept 25.01 %)". */
  report(): string[] {
    return this.steps.map((s) => {
      const kept = s.bytesIn ? (100 * s.bytesOut) / s.bytesIn : 0;
      return `${s.name}: ${s.bytesIn.toLocaleString("en-US")} -> ${
        s.bytesOut.toLocaleString("en-US")
      } bytes ` +
        `(kept ${kept.toFixed(2)} %, cost ${(100 - kept).toFixed(2)} %)`;
    });
  }

  /**
   * Input bytes needed for about `outputBytes` of output, for a reader that must ask a device
   * for enough: exact for xor-fold, the unbiased expectation (x4) for von Neumann.
   */
  inputFor(outputBytes: number): number {
    let n = outputBytes;
    for (const step of this.steps) n *= step.inputPerOutput;
    return n;
  }
}
