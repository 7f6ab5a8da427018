/**
 * Text a device (or the system, for it) chose, made safe to print to a terminal. Serial
 * numbers, hardware strings, identification strings and USB names come from the device: raw,
 * an escape sequence in them would set the terminal's title, colour the output or forge whole
 * lines. Human output passes every such string through {@link printable}; JSON output stays
 * exact (JSON.stringify escapes what JSON must).
 */

/**
 * Control characters (C0, DEL, C1), lone surrogates, and the backslash that introduces an
 * escape (so that an escaped form can never be mistaken for a device's literal text).
 */
const UNPRINTABLE =
  // deno-lint-ignore no-control-regex -- control characters are what it escapes
  /[\x00-\x1f\x7f-\x9f\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The escapes people know, as JSON and C write them. */
const SHORT_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeOne(char: string): string {
  if (char in SHORT_ESCAPES) return SHORT_ESCAPES[char];
  const code = char.charCodeAt(0);
  return code > 0xff ? `\\u{${code.toString(16)}}` : `\\x${code.toString(16).padStart(2, "0")}`;
}

/**
 * `text` with every control character escaped (`\n`, `\r`, `\t`, others `\xHH`: ESC is
 * `\x1b`), a lone surrogate as `\u{d800}` and a backslash as `\\`; everything else unchanged:
 * the result is one line that draws exactly its own characters.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeOne);
}
