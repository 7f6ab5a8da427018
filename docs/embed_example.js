// The WASM core from any runtime (docs/library.md); tests/core_bundle.test.ts runs this file.
import { Analyzer, HealthGate, isPersistentFailure } from "qrng/core";

/** ent's byte statistics and the FIPS 140-2 battery. @param {Uint8Array} bytes */
export function summarize(bytes) {
  const analyzer = new Analyzer();
  analyzer.push(bytes); // or fill analyzer.inputBuffer() and call analyzer.update(length)
  const { ent, fips } = analyzer.results();
  const { entropy, chiSquare } = ent.bytes;
  return { entropy, chiSquare, fipsBlocks: fips?.blocks, fipsFailed: fips?.failed };
}

/**
 * Yields only the bytes that passed the SP 800-90B health tests; throws once the source fails.
 * @param {Iterable<Uint8Array>} chunks
 */
export function* healthTested(chunks) {
  const gate = new HealthGate({ h: 7.5, alphaLog2: -30, symbols: "bytes" });
  for (const chunk of chunks) {
    const released = gate.push(chunk); // a view of WASM memory, valid until the next push
    const s = gate.stats();
    if (isPersistentFailure(s.windowsFailed, s.windowsTested, gate.windowFalseRate)) {
      throw new Error(`source failed: ${s.windowsFailed} of ${s.windowsTested} windows`);
    }
    yield released.slice();
  }
}
