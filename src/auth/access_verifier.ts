/**
 * Builds the token verifier for the configured issuer.
 *
 * @module
 */
import type { JSONWebKeySet } from "jose";
import type { Config } from "../config.ts";
import type { VerifiedAccess } from "./identity.ts";
import { localKeys, remoteKeys } from "./key_source.ts";
import { verifyAccessToken } from "./verify_access_token.ts";

/** Verifies one bearer token. */
export type AccessVerifier = (token: string) => Promise<VerifiedAccess>;

/**
 * The verifier for `config`: against the development key set held in memory when the bundled
 * issuer is in use (`devJwks`), else against the external issuer's JWKS.
 */
export function createAccessVerifier(config: Config, devJwks?: JSONWebKeySet): AccessVerifier {
  let keys;
  if (config.auth.kind === "development") {
    if (!devJwks) throw new Error("the development issuer needs its key set");
    keys = localKeys(devJwks);
  } else {
    keys = remoteKeys({ issuer: config.auth.issuer, jwksUrl: config.auth.jwksUrl });
  }
  const policy = {
    issuer: config.auth.issuer,
    audience: config.resourceUrl,
    keys,
    requiredScopes: config.requiredScopes,
  };
  return cachedVerifier((token) => verifyAccessToken(token, policy));
}

/** How many verified tokens are remembered. */
const CACHE_ENTRIES = 10_000;
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
    if (hit && hit.until > now()) return hit.access;
    if (hit) cache.delete(token);
    const access = await verify(token);
    const until = Math.min(access.expiresAt * 1000, now() + CACHE_MS);
    if (until > now()) {
      if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
      cache.set(token, { access, until });
    }
    return access;
  };
}
