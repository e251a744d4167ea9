/**
 * Authorization codes and refresh tokens: one-time codes bound to client, redirect URI, PKCE
 * challenge and resource; refresh tokens rotated on every use, with reuse revoking the whole
 * family, except for a retry within a short grace. Only hashes of codes and tokens are stored.
 *
 * @module
 */
import { CodedError } from "../errors.ts";
import { successorRefreshToken } from "./derived_secrets.ts";
import {
  type Expiring,
  expiry,
  hashSecret,
  randomSecret,
  readFresh,
  REFRESH_TOKEN_PREFIX,
} from "./kv_records.ts";
import { signinKeys } from "./kv_keys.ts";
import { indexForPerson } from "../kv/person_keys.ts";

/** What a person approved: who, for which client, which scopes, which resource. */
export interface Grant {
  clientId: string;
  sub: string;
  email?: string;
  scope: string;
  resource: string;
}

/** A refused token request (RFC 6749 §5.2 codes, plus RFC 8707 `invalid_target`). */
export class GrantError
  extends CodedError<"invalid_grant" | "invalid_request" | "invalid_target"> {}

type CodeRecord = Grant & {
  redirectUri: string;
  codeChallenge: string;
  /** Set once redeemed: the family it started, revoked if the code is replayed. */
  redeemedInto?: string;
};
type FamilyRecord = Grant & { revoked: boolean };
type RefreshRecord = { familyId: string; rotatedAt?: number };

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Authorization codes live this long. */
export const CODE_TTL_MS = 60_000;
/** A redeemed code is remembered this long so a replay can revoke what it produced. */
const REDEEMED_CODE_MEMORY_MS = 10 * 60_000;
/**
 * How long a refresh token just rotated away still answers, with the same successor, as long as
 * that successor has not been used: a host that timed out and retries stays signed in.
 */
export const REFRESH_GRACE_MS = 60_000;

/** Issues a one-time authorization code for an approved grant. */
export async function issueAuthorizationCode(
  kv: Deno.Kv,
  grant: Grant & { redirectUri: string; codeChallenge: string },
): Promise<string> {
  const code = randomSecret();
  const expiresAt = Date.now() + CODE_TTL_MS;
  const key = signinKeys.authorizationCode(await hashSecret(code));
  // Indexed under the person (see person_keys.ts), so forgetting them reaches it.
  const op = kv.atomic().set(key, { ...grant, expiresAt }, expiry(expiresAt));
  indexForPerson(op, grant.sub, key, expiry(expiresAt + REDEEMED_CODE_MEMORY_MS));
  const result = await op.commit();
  if (!result.ok) throw new Error("the authorization code could not be stored");
  return code;
}

/** A token request redeeming a code. */
export interface CodeRedemption {
  code: string;
  clientId: string;
  redirectUri?: string;
  codeVerifier?: string;
  resource?: string;
}

/** A grant with the refresh token that continues it. */
export interface IssuedGrant {
  grant: Grant;
  refreshToken: string;
  /** The refresh-token family: the grant id access tokens carry. */
  familyId: string;
}

/**
 * Redeems a code: checks client, redirect URI, PKCE verifier and resource, then consumes the code
 * and starts a refresh-token family in one atomic write. Replaying a redeemed code revokes the
 * family it started (RFC 6749 §4.1.2).
 */
export async function redeemAuthorizationCode(
  kv: Deno.Kv,
  request: CodeRedemption,
  refreshTtlSeconds: number,
): Promise<IssuedGrant> {
  const key = signinKeys.authorizationCode(await hashSecret(request.code));
  const entry = await readFresh<CodeRecord>(kv, key);
  if (!entry) throw new GrantError("invalid_grant", "The authorization code is unknown or expired");
  const record = entry.value;
  if (record.redeemedInto) {
    await revokeFamily(kv, record.redeemedInto);
    throw new GrantError("invalid_grant", "The authorization code was already used");
  }
  if (record.clientId !== request.clientId) {
    throw new GrantError("invalid_grant", "The authorization code was issued to another client");
  }
  if (request.redirectUri !== record.redirectUri) {
    throw new GrantError("invalid_grant", "redirect_uri does not match the authorization request");
  }
  if (!request.codeVerifier) throw new GrantError("invalid_request", "code_verifier is required");
  if (!PKCE_VERIFIER.test(request.codeVerifier)) {
    throw new GrantError("invalid_grant", "code_verifier is not a valid PKCE verifier");
  }
  if (await pkceChallenge(request.codeVerifier) !== record.codeChallenge) {
    throw new GrantError("invalid_grant", "code_verifier does not match the code_challenge");
  }
  if (request.resource !== undefined && request.resource !== record.resource) {
    throw new GrantError("invalid_target", "resource does not match the authorization request");
  }

  const grant: Grant = {
    clientId: record.clientId,
    sub: record.sub,
    email: record.email,
    scope: record.scope,
    resource: record.resource,
  };
  const familyId = crypto.randomUUID();
  const familyExpiresAt = Date.now() + refreshTtlSeconds * 1000;
  const refreshToken = `${REFRESH_TOKEN_PREFIX}${randomSecret()}`;
  const refreshKey = signinKeys.refreshToken(await hashSecret(refreshToken));
  const familyKey = signinKeys.tokenFamily(familyId);
  const redeemedUntil = Date.now() + REDEEMED_CODE_MEMORY_MS;
  const op = kv.atomic();
  indexForPerson(op, grant.sub, familyKey, expiry(familyExpiresAt));
  indexForPerson(op, grant.sub, refreshKey, expiry(familyExpiresAt));
  const result = await op
    .check(entry)
    .set(
      key,
      { ...record, redeemedInto: familyId, expiresAt: redeemedUntil },
      expiry(redeemedUntil),
    )
    .set(
      familyKey,
      { ...grant, revoked: false, expiresAt: familyExpiresAt },
      expiry(familyExpiresAt),
    )
    .set(refreshKey, { familyId, expiresAt: familyExpiresAt }, expiry(familyExpiresAt))
    .commit();
  if (!result.ok) throw new GrantError("invalid_grant", "The authorization code was already used");
  return { grant, refreshToken, familyId };
}

/**
 * Exchanges a refresh token for its successor in the same family.
 *
 * The successor is derived from the old token's hash with the server key, so it is never stored
 * and a retry can be answered with the same one. A token already rotated is accepted again only
 * within {@linkcode REFRESH_GRACE_MS} and while its successor is unused (a retry after a lost
 * answer); any other reuse is evidence it leaked, and the whole family is revoked, so neither the
 * thief nor the client can go on (RFC 9700 §4.14.2).
 */
export async function rotateRefreshToken(
  kv: Deno.Kv,
  request: { refreshToken: string; clientId: string; resource?: string },
  secretsKey: CryptoKey,
  now: () => number = Date.now,
): Promise<IssuedGrant> {
  const tokenHash = await hashSecret(request.refreshToken);
  const key = signinKeys.refreshToken(tokenHash);
  const next = await successorRefreshToken(secretsKey, tokenHash);
  const nextKey = signinKeys.refreshToken(await hashSecret(next));
  // Two uses of one token racing: the loser reads again and meets the grace rule like a retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const entry = await readFresh<RefreshRecord>(kv, key, now());
    if (!entry) throw new GrantError("invalid_grant", "The refresh token is unknown or expired");
    const { familyId, rotatedAt } = entry.value;
    const family = await readFresh<FamilyRecord>(kv, signinKeys.tokenFamily(familyId), now());
    if (!family || family.value.revoked) {
      throw new GrantError("invalid_grant", "The refresh token has been revoked");
    }
    // Before any reuse verdict: another client's attempt must not revoke this client's grant.
    if (family.value.clientId !== request.clientId) {
      throw new GrantError("invalid_grant", "The refresh token was issued to another client");
    }
    if (rotatedAt !== undefined) {
      const successor = await readFresh<RefreshRecord>(kv, nextKey, now());
      const retry = now() - rotatedAt < REFRESH_GRACE_MS &&
        successor?.value.familyId === familyId &&
        successor.value.rotatedAt === undefined;
      if (!retry) return await reuseDetected(kv, familyId);
    }
    if (request.resource !== undefined && request.resource !== family.value.resource) {
      throw new GrantError("invalid_target", "resource does not match the grant");
    }
    const { revoked: _revoked, expiresAt, ...grant } = family.value;
    if (rotatedAt !== undefined) return { grant, refreshToken: next, familyId };
    const op = kv.atomic()
      .check(entry, family)
      .set(key, { ...entry.value, rotatedAt: now() }, expiry(expiresAt))
      .set(nextKey, { familyId, expiresAt }, expiry(expiresAt));
    const result = await indexForPerson(op, grant.sub, nextKey, expiry(expiresAt)).commit();
    if (result.ok) return { grant, refreshToken: next, familyId };
  }
  throw new GrantError("invalid_grant", "The refresh token is busy; try again");
}

async function reuseDetected(kv: Deno.Kv, familyId: string): Promise<never> {
  await revokeFamily(kv, familyId);
  throw new GrantError("invalid_grant", "The refresh token was already used; the grant is revoked");
}

/** Revokes the family a refresh token belongs to (RFC 7009). Unknown tokens are ignored. */
export async function revokeRefreshToken(
  kv: Deno.Kv,
  refreshToken: string,
  clientId: string,
): Promise<void> {
  const entry = await readFresh<RefreshRecord>(
    kv,
    signinKeys.refreshToken(await hashSecret(refreshToken)),
  );
  if (!entry) return;
  const family = await readFresh<FamilyRecord>(kv, signinKeys.tokenFamily(entry.value.familyId));
  if (family?.value.clientId !== clientId) return;
  await revokeFamily(kv, entry.value.familyId);
}

/**
 * Revokes the grant (refresh-token family) `familyId` when it was issued to `clientId`: what
 * `/revoke` does with an access token. Another client's grant is left alone (RFC 7009 §2.1).
 */
export async function revokeGrantOfClient(
  kv: Deno.Kv,
  familyId: string,
  clientId: string,
): Promise<void> {
  if (familyId.length > 64) return;
  const family = await readFresh<FamilyRecord>(kv, signinKeys.tokenFamily(familyId));
  if (family?.value.clientId !== clientId) return;
  await revokeFamily(kv, familyId);
}

/**
 * Whether the grant (refresh-token family) an access token was issued under is over: revoked,
 * expired or unknown. The resource server asks this so that revoking a family also stops the
 * access tokens already handed out from it, not only its refresh tokens.
 */
export async function isGrantRevoked(kv: Deno.Kv, grantId: string): Promise<boolean> {
  // Our grant ids are UUIDs; anything longer is not one of ours and must not reach a KV key.
  if (grantId.length > 64) return true;
  const family = await readFresh<FamilyRecord>(kv, signinKeys.tokenFamily(grantId));
  return !family || family.value.revoked;
}

async function revokeFamily(kv: Deno.Kv, familyId: string): Promise<void> {
  const key = signinKeys.tokenFamily(familyId);
  for (let attempt = 0; attempt < 10; attempt++) {
    const family = await kv.get<Expiring<FamilyRecord>>(key, { consistency: "strong" });
    if (!family.value || family.value.revoked) return;
    const result = await kv.atomic()
      .check(family)
      .set(key, { ...family.value, revoked: true }, expiry(family.value.expiresAt))
      .commit();
    if (result.ok) return;
  }
}

/** The S256 PKCE challenge of a verifier (RFC 7636 §4.2). */
export async function pkceChallenge(verifier: string): Promise<string> {
  return await hashSecret(verifier);
}
