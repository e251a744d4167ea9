/**
 * The verified caller, the only thing about authentication that reaches the tools.
 *
 * @module
 */
import type { Identity } from "../pack/identity.ts";

export type { Identity };

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
  /** The grant the token was issued under, when the issuer names one ({@linkcode GRANT_ID_CLAIM}). */
  readonly grantId?: string;
}

/**
 * Private claim in which the bundled development issuer names the grant (refresh-token family) an
 * access token belongs to, so the resource server can refuse tokens of a revoked grant.
 */
export const GRANT_ID_CLAIM = "kit_grant";

/** The claim's earlier name, still read (see `compat/earlier_names.ts`). */
export { EARLIER_GRANT_CLAIM as EARLIER_GRANT_ID_CLAIM } from "../compat/earlier_names.ts";
