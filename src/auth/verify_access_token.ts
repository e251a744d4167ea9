/**
 * Access-token verification: the one check the AI calling us cannot be trusted with.
 *
 * @module
 */
import { errors, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from "jose";
import { AuthError, type AuthReason } from "./errors.ts";
import { EARLIER_GRANT_ID_CLAIM, GRANT_ID_CLAIM, type VerifiedAccess } from "./identity.ts";

/**
 * Signature algorithms we accept. Asymmetric only: `none` would accept unsigned tokens, and any
 * HS* algorithm would let a caller who knows our *public* key (everyone) forge tokens by using it
 * as an HMAC secret (algorithm confusion).
 */
export const ACCEPTED_ALGORITHMS = [
  "ES256",
  "ES384",
  "ES512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "EdDSA",
  "Ed25519",
] as const;

/** Allowed clock difference for `exp`, `nbf` and `iat`, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 60;

/**
 * Header `typ` values a token may carry. RFC 9068 access tokens say `at+jwt`; many issuers still
 * say `JWT` or nothing. Anything else (an ID token marked as such, a logout token, a DPoP proof)
 * is a different kind of JWT being replayed at us.
 */
const ACCEPTED_TYPES = new Set([undefined, "JWT", "at+jwt", "application/at+jwt"]);

/** What a token must satisfy for this resource server. */
export interface AccessTokenPolicy {
  /** Exact `iss`. */
  issuer: string;
  /** A value `aud` must contain: our RFC 8707 resource URL. */
  audience: string;
  /** Resolves the verification key for a token header (a JWKS, local or remote). */
  keys: JWTVerifyGetKey;
  /** Scopes the token must carry, all of them. */
  requiredScopes: readonly string[];
}

/**
 * Verifies a bearer access token and returns what it grants.
 *
 * @throws {AuthError} `invalid_token` for any verification failure, `insufficient_scope` for a
 *   valid token lacking a required scope, `issuer_unavailable` when the keys cannot be fetched.
 */
export async function verifyAccessToken(
  token: string,
  policy: AccessTokenPolicy,
): Promise<VerifiedAccess> {
  // An opaque token (or an encrypted one) is no signed JWT: said as such, so whoever runs the
  // server configures the issuer rather than hunting a signature problem.
  if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) {
    throw new AuthError(
      "invalid_token",
      "The token is not a JWT; configure the issuer to issue JWT access tokens for this resource",
      { reason: "not_a_jwt" },
    );
  }
  let payload: JWTPayload;
  try {
    const verified = await jwtVerify(token, policy.keys, {
      algorithms: [...ACCEPTED_ALGORITHMS],
      issuer: policy.issuer,
      audience: policy.audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["exp", "sub"],
    });
    if (!ACCEPTED_TYPES.has(verified.protectedHeader.typ)) {
      throw new AuthError("invalid_token", "The token is not an access token", {
        reason: "not_access_token",
      });
    }
    payload = verified.payload;
  } catch (error) {
    throw toAuthError(error);
  }

  const sub = payload.sub;
  if (typeof sub !== "string" || sub.trim() === "") {
    throw new AuthError("invalid_token", "The token names no subject", { reason: "no_subject" });
  }
  // The subject keys the person's rows: one that cannot be stored would make every call of that
  // person look like a database outage.
  if (!storableText(sub, MAX_SUBJECT_LENGTH)) {
    throw new AuthError("invalid_token", "The token's subject is not acceptable", {
      reason: "bad_subject",
    });
  }
  const scopes = scopesOf(payload);
  if (!policy.requiredScopes.every((s) => scopes.includes(s))) {
    throw new AuthError("insufficient_scope", "The token lacks a required scope");
  }
  // An email we could not store is treated as absent: it is informational, never an identity.
  const email = typeof payload.email === "string" && payload.email !== "" &&
      storableText(payload.email, MAX_EMAIL_LENGTH)
    ? payload.email
    : undefined;
  const clientId = typeof payload.client_id === "string"
    ? payload.client_id
    : typeof payload.azp === "string"
    ? payload.azp
    : undefined;
  const grantId = payload[GRANT_ID_CLAIM] ?? payload[EARLIER_GRANT_ID_CLAIM];
  return {
    identity: email ? { sub, email } : { sub },
    scopes,
    clientId,
    expiresAt: payload.exp as number,
    ...(typeof grantId === "string" ? { grantId } : {}),
  };
}

/** Longest subject accepted, characters (OpenID Connect asks issuers for at most 255 ASCII). */
const MAX_SUBJECT_LENGTH = 255;
/** Longest email kept, characters (RFC 5321's path limit). */
const MAX_EMAIL_LENGTH = 254;

/** Text PostgreSQL can store faithfully: no NUL, no unpaired surrogate, within `max` characters. */
function storableText(text: string, max: number): boolean {
  return text.length <= max && !text.includes("\u0000") && text.isWellFormed();
}

/** Scopes from `scope` (RFC 9068, space-separated) or `scp` (an array, as some issuers send). */
function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === "string") return payload.scope.split(" ").filter(Boolean);
  if (Array.isArray(payload.scp)) return payload.scp.filter((s) => typeof s === "string");
  return [];
}

/** Maps jose's failures to our codes, with fixed descriptions that echo nothing from the token. */
function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) {
    return new AuthError("invalid_token", "The token has expired", { reason: "expired" });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const [reason, description] = CLAIM_REASONS[error.claim] ??
      ["unverifiable", "A token claim is not acceptable"];
    return new AuthError("invalid_token", description, { reason });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError("invalid_token", "The token could not be verified", {
      reason: "bad_signature",
    });
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new AuthError("invalid_token", "The token could not be verified", {
      reason: "algorithm_not_allowed",
    });
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new AuthError(
      "invalid_token",
      "The token is not a JWT; configure the issuer to issue JWT access tokens for this resource",
      { reason: "not_a_jwt" },
    );
  }
  return new AuthError("invalid_token", "The token could not be verified");
}

const CLAIM_REASONS: Record<string, [AuthReason, string]> = {
  iss: ["wrong_issuer", "The token was issued by another issuer"],
  aud: ["wrong_audience", "The token was not issued for this resource"],
  nbf: ["not_yet_valid", "The token is not valid yet"],
  iat: ["bad_issue_time", "The token's issue time is not acceptable"],
  exp: ["no_expiry", "The token has no expiry"],
  sub: ["no_subject", "The token names no subject"],
};
