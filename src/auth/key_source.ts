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

/** Pause between discovery attempts after one failed. */
const DISCOVERY_RETRY_MS = 5_000;

/** Errors that describe the token, not the issuer: they stay `invalid_token`. */
const TOKEN_FAULTS = [
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
  errors.JOSENotSupported,
  errors.JOSEAlgNotAllowed,
];

/**
 * Keys of an external issuer. Discovery (when needed) happens on first use and is retried on the
 * next request if it fails, so a briefly unreachable issuer does not stop the server starting.
 */
export function remoteKeys(options: RemoteKeysOptions): JWTVerifyGetKey {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  let failedAt = -Infinity;
  const resolve = () => {
    // After a failed discovery, wait before asking the issuer again: a stream of requests must not
    // become a stream of outbound fetches.
    if (!jwks && Date.now() - failedAt < (options.discoveryRetryMs ?? DISCOVERY_RETRY_MS)) {
      return Promise.reject(new Error("issuer discovery failed recently"));
    }
    jwks ??= (async () => {
      const url = options.jwksUrl ?? await discoverJwksUrl(options.issuer, timeoutMs);
      return createRemoteJWKSet(new URL(url), {
        cooldownDuration: options.cooldownMs ?? 30_000,
        cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
        timeoutDuration: timeoutMs,
      });
    })();
    jwks.catch(() => {
      jwks = undefined;
      failedAt = Date.now();
    });
    return jwks;
  };
  return async (header, token) => {
    try {
      const getKey = await resolve();
      return await getKey(header, token);
    } catch (error) {
      if (TOKEN_FAULTS.some((fault) => error instanceof fault)) throw error;
      throw new AuthError("issuer_unavailable", "The issuer's keys could not be fetched", {
        cause: error,
      });
    }
  };
}

/**
 * Finds `jwks_uri` in the issuer's RFC 8414 metadata, falling back to OpenID Connect discovery.
 * The document's `issuer` must equal ours exactly (RFC 8414 §3.3), which stops a metadata
 * document for one issuer being used to verify tokens claiming another.
 */
export async function discoverJwksUrl(issuer: string, timeoutMs = 5_000): Promise<string> {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, "");
  const candidates = [
    new URL(`/.well-known/oauth-authorization-server${path}`, url.origin),
    new URL(`${path}/.well-known/openid-configuration`, url.origin),
  ];
  for (const candidate of candidates) {
    const response = await fetch(candidate, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
    if (!response.ok) {
      await response.body?.cancel();
      continue;
    }
    const metadata = await response.json() as { issuer?: unknown; jwks_uri?: unknown };
    if (metadata.issuer !== issuer) {
      throw new Error(`metadata at ${candidate} names another issuer`);
    }
    if (typeof metadata.jwks_uri !== "string" || !/^https?:\/\//.test(metadata.jwks_uri)) {
      throw new Error(`metadata at ${candidate} has no usable jwks_uri`);
    }
    // Keys fetched in the clear could be swapped by anyone on the path: an https issuer's keys
    // must come over https too.
    if (url.protocol === "https:" && !metadata.jwks_uri.startsWith("https://")) {
      throw new Error(`metadata at ${candidate} has a jwks_uri that is not https`);
    }
    return metadata.jwks_uri;
  }
  throw new Error(`no authorization server metadata found for ${issuer}`);
}
