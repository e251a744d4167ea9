/**
 * The verified caller, the only thing about authentication that reaches the tools.
 *
 * @module
 */

/** Who is calling, proven by a verified access token. Never built from tool arguments. */
export interface Identity {
  /** The token's `sub`: the reader's stable id. */
  readonly sub: string;
  /** The token's `email`, when the issuer put one in. */
  readonly email?: string;
}

/** What a verified access token grants, as the HTTP layer sees it. */
export interface VerifiedAccess {
  /** The caller. */
  readonly identity: Identity;
  /** Granted scopes. */
  readonly scopes: readonly string[];
  /** The OAuth client the token was issued to, when the issuer says. */
  readonly clientId?: string;
  /** Expiry, seconds since the epoch. */
  readonly expiresAt: number;
}
