/**
 * Why a session token was not accepted.
 *
 * @module
 */

/** Reason codes, each mapped to a specific sentence for the model. */
export type SessionErrorCode =
  | "missing"
  | "malformed"
  | "expired"
  | "revoked"
  | "unknown"
  | "foreign"
  | "too_many"
  | "unavailable";

/** A refused or unverifiable session. */
export class SessionError extends Error {
  /** The stable reason. */
  readonly code: SessionErrorCode;
  /** Creates the error; `message` is safe to show (never contains the token). */
  constructor(code: SessionErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SessionError";
    this.code = code;
  }
}
