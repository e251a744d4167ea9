/**
 * What the development issuer's routes share.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { KvHandle } from "../kv/kv_handle.ts";
import type { SigninLimits } from "./limits.ts";
import type { SigningKey } from "./signing_key.ts";

/** Dependencies and settings of the development issuer. */
export interface SigninContext {
  /** Sign-in state: clients, pending requests, codes, refresh tokens. */
  kv: KvHandle;
  /** The issuer identifier: this server's public origin. */
  issuer: string;
  /** Where the JWKS is published. */
  jwksUrl: string;
  /** The one resource tokens are issued for (`RESOURCE_URL`). */
  resourceUrl: string;
  /** Scopes this issuer grants. */
  scopes: readonly string[];
  /** The key access tokens are signed with. */
  signingKey: SigningKey;
  /** Access-token lifetime, seconds. */
  accessTokenTtlSeconds: number;
  /** Refresh-token family lifetime, seconds. */
  refreshTokenTtlSeconds: number;
  /** Hosts whose metadata documents may sit on private addresses (development only). */
  metadataDocumentHostAllowlist: readonly string[];
  /** The product's words on the pages: its name, what a person is called, what `mcp` grants. */
  brand: { productName: string; serverName: string; userNoun: string; scopeDescription: string };
  /** Whether pages must carry the public-deployment warning. */
  warnOnPages: boolean;
  /** Bounds per caller address and for everyone (see {@linkcode SigninLimits}). */
  limits: SigninLimits;
  /**
   * Whether new clients from a loopback socket peer skip the per-address and per-network caps
   * (development only): see {@linkcode signinContextFor}.
   */
  loopbackSkipsAddressCaps: boolean;
  /** A form or registration body that sends nothing this long is answered 408 (ms). */
  bodyIdleTimeoutMs: number;
}

/**
 * The development issuer's context for `config` (whose `auth` must be the development issuer):
 * its settings come from the configuration, the rest from what start-up opened.
 */
export function signinContextFor(
  config: Config,
  opened: Pick<SigninContext, "kv" | "signingKey" | "brand" | "limits">,
): SigninContext {
  if (config.auth.kind !== "development") {
    throw new TypeError("the development sign-in runs only with the development issuer");
  }
  const { auth } = config;
  return {
    ...opened,
    issuer: auth.issuer,
    jwksUrl: auth.jwksUrl,
    resourceUrl: config.resourceUrl,
    scopes: config.requiredScopes,
    accessTokenTtlSeconds: auth.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: auth.refreshTokenTtlSeconds,
    metadataDocumentHostAllowlist: auth.metadataDocumentHostAllowlist,
    warnOnPages: auth.warnOnPages,
    bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
    // A builder connecting host after host from their own machine is one person, not a crowd on
    // one address. Never in production: behind a reverse proxy on the same machine every caller is
    // loopback, and the per-address caps are what stop a few callers spending the global one. In
    // development behind a tunnel on the same machine (cloudflared, ngrok) remote callers are
    // loopback too; that is accepted there, as the global cap (DCR_MAX_PER_HOUR) still holds.
    loopbackSkipsAddressCaps: !config.production,
  };
}
