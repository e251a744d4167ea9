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
  return (token) => verifyAccessToken(token, policy);
}
