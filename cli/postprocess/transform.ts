/**
 * The shape of a post-processing step: a streaming byte transform that counts what it costs.
 * Steps keep their own partial state between pushes, so output does not depend on how the
 * input was split.
 */

/** A streaming byte-to-byte transform. */
export interface ByteTransform {
  /** Short name for reports, e.g. "von Neumann". */
  readonly name: string;
  /** Input bytes per output byte: exact for fixed-rate steps, the expectation for unbiased input otherwise. */
  readonly inputPerOutput: number;
  /** Bytes pushed so far. */
  readonly bytesIn: number;
  /** Bytes returned so far. */
  readonly bytesOut: number;
  /** Transforms the next input; returns the whole bytes that are ready (possibly none). */
  push(input: Uint8Array): Uint8Array;
  /** Ends the stream; returns nothing more (partial bytes and blocks are dropped, never padded). */
  flush(): Uint8Array;
}

/** Wraps a {@link ByteTransform} as a web-standard TransformStream. */
export function toTransformStream(transform: ByteTransform): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      const out = transform.push(chunk);
      if (out.length) controller.enqueue(out);
    },
    flush(controller) {
      const out = transform.flush();
      if (out.length) controller.enqueue(out);
    },
  });
}
