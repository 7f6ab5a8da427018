/**
 * Domain errors. Callers branch on `kind`, never on message text; messages read as one line a
 * user can act on ("Cannot read status: device answered NACK").
 */

/** What went wrong, for callers that handle some failures and pass others on. */
export type QrngErrorKind =
  | "usage" // bad flags or arguments: exit status 2
  | "input" // a file or stream the user named cannot be read or is malformed
  | "output" // the destination cannot be written
  | "closed" // the reader of our output went away (EPIPE): stop quietly
  | "timeout" // a device did not answer in time
  | "nack" // a device refused a command
  | "protocol" // a device sent bytes that do not fit the protocol
  | "disconnected" // the transport closed under us
  | "health" // data failed a health test: fail closed
  | "device" // a device reported an error state
  | "unsupported" // this runtime or platform cannot do it
  | "interrupted"; // the user pressed Ctrl-C

/** An expected failure with a one-line message; the CLI prints it without a stack trace. */
export class QrngError extends Error {
  override name = "QrngError";
  constructor(readonly kind: QrngErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Shorthand for a usage error (exit status 2). */
export function usageError(message: string): QrngError {
  return new QrngError("usage", message);
}

/** The one-line text of any thrown value, for messages that wrap a lower-level failure. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    const text = error.message.split("\n")[0];
    // Node-style system errors read "ENOENT: no such file or directory, open '/x'" (or without
    // the path: "EFBIG: file too large, write"): the caller already names the operation and the
    // path, so keep only the reason.
    const system = code && text.match(new RegExp(`^${code}: (.*?)(, \\w+( '.*')?)?$`));
    if (system) return system[1];
    return code && !text.includes(code) ? `${text} (${code})` : text;
  }
  return String(error);
}
