/**
 * Where verification keys come from: the development issuer's own key in memory, or an external
 * issuer's JWKS fetched over HTTPS, cached, and refetched on an unknown `kid` at most once per
 * cooldown.
 *
 * @module
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from "jose";
import { AuthError } from "./errors.ts";
import {
  fetchIssuerMetadata,
  type IssuerMetadata,
  IssuerMismatchError,
} from "./issuer_metadata.ts";

/** Keys of an issuer that lives in this process (the development issuer). */
export function localKeys(jwks: JSONWebKeySet): JWTVerifyGetKey {
  return createLocalJWKSet(jwks);
}

/** Options for {@linkcode remoteKeys}. */
export interface RemoteKeysOptions {
  /** The issuer identifier, as configured. */
  issuer: string;
  /** The JWKS URL; when absent it is discovered from the issuer's metadata. */
  jwksUrl?: string;
  /**
   * Minimum time between two fetches triggered by an unknown `kid`. Stops a flood of tokens with
   * made-up `kid`s from turning us into a request amplifier against the issuer.
   */
  cooldownMs?: number;
  /** How long the fetched key set is trusted before a refetch. */
  cacheMaxAgeMs?: number;
  /** Per-fetch time limit. */
  timeoutMs?: number;
  /** Pause before discovering again after a failed discovery. */
  discoveryRetryMs?: number;
}

/** Pause between discovery attempts (and key-set fetches) after one failed. */
const DISCOVERY_RETRY_MS = 5_000;

/** Most kids remembered as confirmed absent until the next fetch. */
const MOST_MISSING = 1_000;

/** Errors that describe the token, not the issuer: they stay `invalid_token`. */
const TOKEN_FAULTS = [
  errors.JWKSMultipleMatchingKeys,
  errors.JOSENotSupported,
  errors.JOSEAlgNotAllowed,
];

/** What the kit knows of an external issuer just now, for `/readyz` and the landing page. */
export type IssuerStatus =
  | { state: "ok"; metadata?: IssuerMetadata }
  | { state: "unreachable"; detail: string }
  | { state: "mismatch"; detail: string };

/** An external issuer's keys, and a check of whether they can be had. */
export type RemoteKeys = JWTVerifyGetKey & {
  /**
   * Discovers the issuer (at most once per retry pause after a failure) and fetches its keys when
   * they are not fresh (at most as often): what is known, never a guess.
   */
  check(): Promise<IssuerStatus>;
  /** The issuer's metadata, once discovered (never with a configured `jwksUrl`). */
  metadata(): IssuerMetadata | undefined;
};

/**
 * Keys of an external issuer. Discovery (when needed) happens on first use and is retried on the
 * next request if it fails, so a briefly unreachable issuer does not stop the server starting.
 *
 * A token whose `kid` is not in the key set makes the set be fetched again, at most once per
 * cooldown. Inside the cooldown such a token cannot be judged yet — the issuer may just have
 * rotated — so it is answered as the issuer being unavailable (503, with when to retry), never as
 * a verdict on the token; after a fresh fetch that still lacks the `kid`, it is refused.
 */
export function remoteKeys(options: RemoteKeysOptions): RemoteKeys {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const retryMs = options.discoveryRetryMs ?? DISCOVERY_RETRY_MS;
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  let metadata: IssuerMetadata | undefined;
  let failedAt = -Infinity;
  let failure: unknown;
  /** When the set was last (re)fetched, as far as this side can tell. */
  let fetchedAt = -Infinity;
  let checkedAt = -Infinity;
  /** When fetching the key set last failed, and why: no new fetch for `retryMs` after. */
  let keysFailedAt = -Infinity;
  let keysFailure: unknown;
  /** The kids the fetch at `missingSince` confirmed absent: a verdict, not "not known yet". */
  let missing = new Set<string>();
  let missingSince = -Infinity;
  const confirmedMissing = (kid: string | undefined) => {
    if (missingSince !== fetchedAt) missing = new Set();
    return kid !== undefined && missing.has(kid);
  };
  const resolve = () => {
    // After a failed discovery, wait before asking the issuer again: a stream of requests must not
    // become a stream of outbound fetches.
    if (!jwks && Date.now() - failedAt < retryMs) return Promise.reject(failure);
    jwks ??= (async () => {
      if (!options.jwksUrl) metadata = await fetchIssuerMetadata(options.issuer, timeoutMs);
      const url = options.jwksUrl ?? metadata!.jwksUri;
      return createRemoteJWKSet(new URL(url), {
        cooldownDuration: cooldownMs,
        cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
        timeoutDuration: timeoutMs,
      });
    })();
    jwks.catch((error) => {
      jwks = undefined;
      failure = error;
      failedAt = Date.now();
    });
    return jwks;
  };
  const getKey: JWTVerifyGetKey = async (header, token) => {
    let set;
    try {
      set = await resolve();
    } catch (error) {
      // Discovery is tried again after the retry pause: that is when to come back.
      throw unavailable(error, (retryMs - (Date.now() - failedAt)) / 1000);
    }
    // Fetching the keys failed a moment ago: answer from the keys held (if any), fetching
    // nothing, so a stream of tokens is not a stream of fetches at a failing issuer.
    const failing = Date.now() - keysFailedAt < retryMs;
    const retryIn = () => (retryMs - (Date.now() - keysFailedAt)) / 1000;
    const held = set.jwks();
    if (failing && !held) throw unavailable(keysFailure, retryIn());
    const cooling = failing || set.coolingDown;
    if (!cooling) fetchedAt = Date.now();
    try {
      return await (failing ? createLocalJWKSet(held!) : set)(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) {
        if (!cooling || confirmedMissing(header.kid)) {
          if (!cooling && header.kid !== undefined && missing.size < MOST_MISSING) {
            missing.add(header.kid);
            missingSince = fetchedAt;
          }
          throw new AuthError("invalid_token", "The token's signing key is not the issuer's", {
            reason: "unknown_kid",
          });
        }
        if (failing) throw unavailable(keysFailure, retryIn());
        throw new AuthError(
          "issuer_unavailable",
          "The token's signing key is not known here yet (the issuer may have just rotated its " +
            "keys); try again shortly",
          {
            reason: "unknown_kid",
            retryAfterSeconds: (cooldownMs - (Date.now() - fetchedAt)) / 1000,
          },
        );
      }
      if (TOKEN_FAULTS.some((fault) => error instanceof fault)) throw error;
      keysFailedAt = Date.now();
      keysFailure = error;
      throw unavailable(error, retryMs / 1000);
    }
  };
  const check = async (): Promise<IssuerStatus> => {
    try {
      const set = await resolve();
      if (!set.fresh && Date.now() - checkedAt >= retryMs) {
        checkedAt = Date.now();
        await set.reload().catch((error) => {
          keysFailedAt = Date.now();
          keysFailure = error;
          throw error;
        });
        fetchedAt = Date.now();
      }
      if (!set.fresh) throw new Error("the issuer's keys could not be fetched");
      return { state: "ok", ...(metadata ? { metadata } : {}) };
    } catch (error) {
      return error instanceof IssuerMismatchError
        ? { state: "mismatch", detail: error.message }
        : { state: "unreachable", detail: describe(error) };
    }
  };
  return Object.assign(getKey, { check, metadata: () => metadata });
}

/**
 * The refusal for keys that cannot be had, naming a mismatch for what it is; `retryAfterSeconds`
 * when the next attempt is known (the discovery retry pause).
 */
function unavailable(error: unknown, retryAfterSeconds?: number): AuthError {
  if (error instanceof IssuerMismatchError) {
    return new AuthError(
      "issuer_unavailable",
      `This connector is misconfigured: ${error.message}`,
      {
        cause: error,
        reason: "issuer_mismatch",
      },
    );
  }
  return new AuthError("issuer_unavailable", "The issuer's keys could not be fetched", {
    cause: error,
    reason: "issuer_unreachable",
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

/** An error in a few words that carry no secret (URLs and statuses only). */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
