/**
 * Builds the token verifier for the configured issuer.
 *
 * @module
 */
import type { JSONWebKeySet, JWTVerifyGetKey } from "jose";
import type { Config } from "../config.ts";
import { AuthError } from "./errors.ts";
import { inSpan, tracingEnabled } from "../tracing.ts";
import type { VerifiedAccess } from "./identity.ts";
import { localKeys, remoteKeys } from "./key_source.ts";
import { verifyAccessToken } from "./verify_access_token.ts";

/** Verifies one bearer token. */
export type AccessVerifier = (token: string) => Promise<VerifiedAccess>;

/** Answers whether a grant (by the id its access tokens carry) has been revoked. May reject. */
export type GrantRevocationCheck = (grantId: string) => Promise<boolean>;

/**
 * The verifier for `config`: against the development key set held in memory when the bundled
 * issuer is in use (`devJwks`), else against the external issuer's JWKS. With `isGrantRevoked`,
 * tokens naming a grant are also refused once that grant is revoked. `issuerKeys`: the external
 * issuer's keys when the caller holds them too (to check the issuer at start and in readiness).
 */
export function createAccessVerifier(
  config: Config,
  devJwks?: JSONWebKeySet,
  isGrantRevoked?: GrantRevocationCheck,
  issuerKeys?: JWTVerifyGetKey,
): AccessVerifier {
  let keys;
  if (config.auth.kind === "development") {
    if (!devJwks) throw new Error("the development issuer needs its key set");
    keys = localKeys(devJwks);
  } else {
    keys = issuerKeys ?? remoteKeys({ issuer: config.auth.issuer, jwksUrl: config.auth.jwksUrl });
  }
  const policy = {
    issuer: config.auth.issuer,
    audience: config.resourceUrl,
    keys,
    requiredScopes: config.requiredScopes,
  };
  const verify = cachedVerifier((token) => verifyAccessToken(token, policy));
  return isGrantRevoked ? revocationChecked(verify, isGrantRevoked) : verify;
}

/** How many verified tokens are remembered (the oldest is let go first). */
export const VERIFIED_TOKENS_KEPT = 10_000;
/** How long a verification is reused at most (bounds the effect of an issuer rotating keys out). */
const CACHE_MS = 5 * 60_000;

/**
 * Remembers successful verifications, keyed by the exact token string, until the token's `exp`
 * (and at most five minutes), so a host's stream of calls with one token pays for one signature
 * check (measured: ES256 verification ≈ 0.5 ms per call). Failures are never cached.
 */
export function cachedVerifier(
  verify: AccessVerifier,
  now: () => number = Date.now,
): AccessVerifier {
  const cache = new Map<string, { access: VerifiedAccess; until: number }>();
  return async (token) => {
    const hit = cache.get(token);
    if (hit && hit.until > now()) {
      // The hot path: with tracing off, not even a wrapper.
      if (!tracingEnabled()) return hit.access;
      return await inSpan(
        "verify access token",
        { "kit.cache.hit": true },
        () => Promise.resolve(hit.access),
      );
    }
    if (hit) cache.delete(token);
    const access = await inSpan(
      "verify access token",
      { "kit.cache.hit": false },
      () => verify(token),
    );
    const until = Math.min(access.expiresAt * 1000, now() + CACHE_MS);
    if (until > now()) {
      if (cache.size >= VERIFIED_TOKENS_KEPT) cache.delete(cache.keys().next().value!);
      cache.set(token, { access, until });
    }
    return access;
  };
}

/**
 * How long a grant's "not revoked" answer is reused. Bounds how long a stolen access token keeps
 * working after its grant is revoked (refresh-token reuse, `/revoke`), whatever `cachedVerifier`
 * holds: the check runs outside that cache.
 */
export const REVOCATION_CHECK_MS = 30_000;
const REVOCATION_ENTRIES = 10_000;

/**
 * Wraps `verify` so that a token naming a grant (`grantId`) is refused once the grant is revoked,
 * within {@linkcode REVOCATION_CHECK_MS}. Answers are shared by concurrent requests and reused for
 * that long; a failed check is not cached and refuses the request as `issuer_unavailable` (fail
 * closed: a store outage must not let revoked tokens through).
 */
export function revocationChecked(
  verify: AccessVerifier,
  isGrantRevoked: GrantRevocationCheck,
  now: () => number = Date.now,
  ttlMs: number = REVOCATION_CHECK_MS,
): AccessVerifier {
  const answers = new Map<string, { revoked: Promise<boolean>; until: number }>();
  const check = (grantId: string) => {
    const hit = answers.get(grantId);
    if (hit && hit.until > now()) return hit.revoked;
    if (answers.size >= REVOCATION_ENTRIES) answers.delete(answers.keys().next().value!);
    const revoked = isGrantRevoked(grantId);
    const entry = { revoked, until: now() + ttlMs };
    answers.set(grantId, entry);
    revoked.catch(() => {
      if (answers.get(grantId) === entry) answers.delete(grantId);
    });
    return revoked;
  };
  return async (token) => {
    const access = await verify(token);
    if (access.grantId === undefined) return access;
    let revoked: boolean;
    try {
      revoked = await check(access.grantId);
    } catch (error) {
      throw new AuthError(
        "issuer_unavailable",
        "The sign-in state cannot be checked just now; try again",
        { cause: error, reason: "revocation_unchecked" },
      );
    }
    if (revoked) {
      throw new AuthError("invalid_token", "The token's grant has been revoked", {
        reason: "grant_revoked",
      });
    }
    return access;
  };
}
