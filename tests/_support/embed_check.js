// What tests/core_bundle.test.ts checks of an embedding example (docs/embed_example.js): its
// summary of a fixture, and what its health gate makes of a stuck (all-zero) source. Plain
// browser-safe JavaScript, so Node (no flags), Deno, Bun and a browser page all run it.

/**
 * @typedef {object} Example
 * @property {(bytes: Uint8Array) => object} summarize
 * @property {(chunks: Iterable<Uint8Array>) => Iterable<Uint8Array>} healthTested
 */

/** @param {Example} example @param {Uint8Array} fixture */
export function checkExample(example, fixture) {
  const summary = example.summarize(fixture);
  let released = 0, failure = null;
  try {
    const stuck = Array.from({ length: 64 }, () => new Uint8Array(1024));
    for (const bytes of example.healthTested(stuck)) released += bytes.length;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  return { summary, stuck: { released, failure } };
}
