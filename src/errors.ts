/**
 * The one base of every typed failure in the kit: a stable `code` callers branch on (never the
 * message), and a message that is safe to show — it never carries a token, a secret or request text.
 * Each layer maps its codes to an answer in one place (HTTP challenges, OAuth errors, tool results).
 *
 * @module
 */

/** A failure with a stable code. The error's `name` is its class's name. */
export class CodedError<Code extends string = string> extends Error {
  /** The stable reason. */
  readonly code: Code;
  /** Creates the error. */
  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Why the server (or one of the kit's scripts) cannot start: the configuration, the chosen pack,
 * the pack's contract. Its message says what is wrong and how to fix it, for the person starting
 * it; {@linkcode describeStartupError} is the one place it is formatted.
 */
export class StartupError<Code extends string = string> extends CodedError<Code> {}

/** The lines a start-up failure prints: what is wrong and how to fix it. */
export function describeStartupError(error: StartupError): string {
  return `Cannot start (${error.code}):\n${error.message}`;
}
