/**
 * Session tokens: short-lived HS256 JWTs we sign and verify ourselves (the secret never leaves the
 * server). The token proves which session it names; whether that session is still open is the KV
 * record's business.
 *
 * @module
 */
import { errors, jwtVerify, SignJWT } from "jose";
import { SessionError } from "./errors.ts";

// Sessions last minutes: tokens issued under earlier names of these two are refused after an
// upgrade, and the model is told to call begin_session again.
const AUDIENCE = "kit:session";
const TYPE = "kit-session+jwt";

/** What a session token says. */
export interface SessionClaims {
  /** The person the session belongs to. */
  sub: string;
  /** Session id, the KV record's key. */
  sid: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** The secret as an HMAC key, imported once (importing it per token costs more than the HMAC). */
export function sessionKey(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    secret as BufferSource,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/** Signs a session token. */
export async function signSessionToken(
  secret: Uint8Array | CryptoKey,
  claims: { sub: string; sid: string; ttlSeconds: number },
): Promise<{ token: string; expiresAt: number }> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + claims.ttlSeconds;
  const token = await new SignJWT({ sid: claims.sid })
    .setProtectedHeader({ alg: "HS256", typ: TYPE })
    .setSubject(claims.sub)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(secret);
  return { token, expiresAt: exp };
}

/**
 * Verifies signature, type, audience and expiry (no clock skew: we are both signer and verifier).
 *
 * @throws {SessionError} `expired` or `malformed`.
 */
export async function verifySessionToken(
  secret: Uint8Array | CryptoKey,
  token: string,
): Promise<SessionClaims> {
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: ["HS256"],
      audience: AUDIENCE,
      typ: TYPE,
      requiredClaims: ["sub", "exp"],
    });
    if (typeof payload.sid !== "string" || typeof payload.sub !== "string") {
      throw new SessionError("malformed", "The session token is not one of ours");
    }
    return { sub: payload.sub, sid: payload.sid, exp: payload.exp! };
  } catch (error) {
    if (error instanceof SessionError) throw error;
    if (error instanceof errors.JWTExpired) {
      throw new SessionError("expired", "The session has expired");
    }
    throw new SessionError("malformed", "The session token is not valid");
  }
}

/** Verified tokens remembered at most (the oldest go first). */
const CACHE_ENTRIES = 10_000;

/**
 * {@linkcode verifySessionToken} that remembers successful verifications, keyed by the exact token
 * string, until the token expires: a chat's stream of calls with one session token pays for one
 * HMAC check (measured: ≈ 7 % of a `domain_get_item` call's CPU). Expiry is still checked on every
 * call, failures are never remembered, and whether the session is still open remains the KV
 * record's business.
 */
export function cachedSessionVerifier(
  secret: Uint8Array | CryptoKey | Promise<CryptoKey>,
  now: () => number = Date.now,
): (token: string) => Promise<SessionClaims> {
  const cache = new Map<string, SessionClaims>();
  return async (token) => {
    const hit = cache.get(token);
    if (hit) {
      if (hit.exp > Math.floor(now() / 1000)) return hit;
      cache.delete(token);
      throw new SessionError("expired", "The session has expired");
    }
    const claims = await verifySessionToken(await secret, token);
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(token, claims);
    return claims;
  };
}
