/**
 * Typed failures of the resource server. Callers branch on {@linkcode AuthError.code}, never on
 * messages; {@linkcode ./challenge.ts} maps codes to HTTP answers in one place.
 *
 * @module
 */
import { CodedError } from "../errors.ts";

/** Why a request was refused. */
export type AuthErrorCode =
  /** No credentials at all: answered with a bare challenge (RFC 6750 §3.1). */
  | "missing_token"
  /** Credentials sent in a way we refuse (another scheme, a query parameter, two tokens). */
  | "invalid_request"
  /** The token failed verification. */
  | "invalid_token"
  /** A valid token without the scopes `/mcp` needs. */
  | "insufficient_scope"
  /** The issuer's keys could not be fetched: fail closed, never guess. */
  | "issuer_unavailable";

/** A refusal with a stable code and a short description safe to show to the caller. */
export class AuthError extends CodedError<AuthErrorCode> {
  /**
   * @param code The stable reason code.
   * @param description A short, fixed text: never the token, never a claim value.
   */
  constructor(code: AuthErrorCode, description: string, options?: ErrorOptions) {
    super(code, description, options);
  }
}
