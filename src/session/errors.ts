/**
 * Why a session token was not accepted.
 *
 * @module
 */
import { CodedError } from "../errors.ts";

/** Reason codes, each mapped to a specific sentence for the model. */
export type SessionErrorCode =
  | "missing"
  | "malformed"
  | "expired"
  | "revoked"
  | "forgotten"
  | "unknown"
  | "foreign"
  | "too_many"
  | "unavailable";

/** A refused or unverifiable session. */
export class SessionError extends CodedError<SessionErrorCode> {}
