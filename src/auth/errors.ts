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

/**
 * Why, in finer words than the code, for the request log of whoever runs the server (never shown
 * as a verdict to the caller, never a token or claim value).
 */
export type AuthReason =
  | "missing_token"
  | "token_in_url"
  | "empty_token"
  | "not_a_jwt"
  | "not_access_token"
  | "algorithm_not_allowed"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "bad_issue_time"
  | "no_expiry"
  | "no_subject"
  | "bad_subject"
  | "wrong_issuer"
  | "wrong_audience"
  | "unknown_kid"
  | "grant_revoked"
  | "revocation_unchecked"
  | "insufficient_scope"
  | "issuer_unreachable"
  | "issuer_mismatch"
  | "unverifiable";

/** What an {@linkcode AuthError} may carry besides its code and description. */
export interface AuthErrorOptions extends ErrorOptions {
  /** The finer reason, for the log. */
  reason?: AuthReason;
  /** For a 503: when to try again, seconds (default 30). */
  retryAfterSeconds?: number;
}

/** A refusal with a stable code and a short description safe to show to the caller. */
export class AuthError extends CodedError<AuthErrorCode> {
  /** The finer reason, for the request log. */
  readonly reason: AuthReason;
  /** For `issuer_unavailable`: when to try again, seconds. */
  readonly retryAfterSeconds: number;

  /**
   * @param code The stable reason code.
   * @param description A short, fixed text: never the token, never a claim value.
   */
  constructor(code: AuthErrorCode, description: string, options: AuthErrorOptions = {}) {
    super(code, description, options);
    this.reason = options.reason ?? DEFAULT_REASONS[code];
    this.retryAfterSeconds = options.retryAfterSeconds ?? 30;
  }
}

const DEFAULT_REASONS: Record<AuthErrorCode, AuthReason> = {
  missing_token: "missing_token",
  invalid_request: "token_in_url",
  invalid_token: "unverifiable",
  insufficient_scope: "insufficient_scope",
  issuer_unavailable: "issuer_unreachable",
};
