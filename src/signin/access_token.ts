/**
 * Access tokens of the development issuer: RFC 9068 JWTs (`typ: at+jwt`).
 *
 * @module
 */
import { importJWK, jwtVerify, SignJWT } from "jose";
import { EARLIER_GRANT_ID_CLAIM, GRANT_ID_CLAIM } from "../auth/identity.ts";
import type { SigningKey } from "./signing_key.ts";

/** What goes into an access token. */
export interface AccessTokenClaims {
  /** `iss`. */
  issuer: string;
  /** `aud`: the resource the token is for. */
  audience: string;
  /** `sub`: the person. */
  sub: string;
  /** Optional `email`. */
  email?: string;
  /** Space-separated granted scopes. */
  scope: string;
  /** `client_id`: the OAuth client the token was issued to. */
  clientId: string;
  /**
   * The grant (refresh-token family) the token was issued under, as the private claim
   * {@linkcode GRANT_ID_CLAIM}: revoking the family then stops the token too.
   */
  grantId?: string;
  /** Lifetime in seconds; negative gives an already expired token (for tests). */
  ttlSeconds: number;
}

/** Signs an access token with the development key. */
export async function issueAccessToken(
  key: SigningKey,
  claims: AccessTokenClaims,
  now: number = Math.floor(Date.now() / 1000),
): Promise<string> {
  const payload: Record<string, unknown> = { scope: claims.scope, client_id: claims.clientId };
  if (claims.email) payload.email = claims.email;
  if (claims.grantId) payload[GRANT_ID_CLAIM] = claims.grantId;
  return await new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "at+jwt" })
    .setIssuer(claims.issuer)
    .setSubject(claims.sub)
    .setAudience(claims.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + claims.ttlSeconds)
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
}

/** What `/revoke` needs of one of our access tokens: the grant it names and the client it was issued to. */
export interface AccessTokenGrant {
  grantId: string;
  clientId: string;
}

/**
 * Reads the grant out of an access token this issuer signed, for revocation (RFC 7009 lets a
 * client revoke with either token). The signature, issuer and type are checked, so a forged token
 * cannot name someone else's grant; expiry is not, since revoking an expired token's grant is
 * still what its holder asked. `null` for anything that is not one of ours or names no grant.
 */
export async function accessTokenGrant(
  key: SigningKey,
  token: string,
  issuer: string,
): Promise<AccessTokenGrant | null> {
  try {
    const { payload } = await jwtVerify(token, await importJWK(key.publicJwk, key.alg), {
      issuer,
      typ: "at+jwt",
      algorithms: [key.alg],
      // Checked as of the epoch: expiry does not matter here (see above), the rest is verified.
      currentDate: new Date(0),
    });
    const grantId = payload[GRANT_ID_CLAIM] ?? payload[EARLIER_GRANT_ID_CLAIM];
    const clientId = payload.client_id;
    if (typeof grantId !== "string" || typeof clientId !== "string") return null;
    return { grantId, clientId };
  } catch {
    return null;
  }
}
