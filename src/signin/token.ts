/**
 * The token endpoint (`authorization_code` and `refresh_token` grants) and the revocation endpoint
 * (RFC 7009). Every client proves possession of the authorization with PKCE; confidential clients
 * also authenticate with their secret (see `client_auth.ts`).
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { clientAddress } from "../http/client_address.ts";
import { accessTokenGrant, issueAccessToken } from "./access_token.ts";
import { looksLikeRefreshToken } from "./kv_records.ts";
import { authenticateClient, presentedCredentials } from "./client_auth.ts";
import { ClientError, type FindClientOptions } from "./clients.ts";
import type { SigninContext } from "./context.ts";
import {
  type Grant,
  GrantError,
  type IssuedGrant,
  redeemAuthorizationCode,
  revokeGrantOfClient,
  revokeRefreshToken,
  rotateRefreshToken,
} from "./grants.ts";

/** Mounts `POST /token` and `POST /revoke`. */
export function mountToken(app: Hono, ctx: SigninContext): void {
  app.post("/token", (c) => token(c, ctx));
  app.post("/revoke", (c) => revoke(c, ctx));
}

async function token(c: Context, ctx: SigninContext): Promise<Response> {
  // Every request costs KV reads and may look up a client metadata URL: bounded per address,
  // generously, since hosts refresh for many people from shared addresses.
  const caller = clientAddress(c.env);
  const decision = await ctx.limits.token.hit(caller);
  if (!decision.allowed) {
    return tooMany("Too many token requests from this address", decision.retryAfterSeconds);
  }
  const form = await readForm(c);
  if (!form) return oauthError("invalid_request", "Send a form-encoded body");
  try {
    const { clientId } = await authenticateClient(
      await ctx.kv.get(),
      presentedCredentials(c.req.header("authorization"), form),
      ctx.signingKey.secretsKey,
      clientLookup(ctx, caller),
    );
    let issued: IssuedGrant;
    switch (form.get("grant_type")) {
      case "authorization_code": {
        const code = form.get("code");
        if (!code) return oauthError("invalid_request", "code is required");
        issued = await redeemAuthorizationCode(await ctx.kv.get(), {
          code,
          clientId,
          redirectUri: form.get("redirect_uri") ?? undefined,
          codeVerifier: form.get("code_verifier") ?? undefined,
          resource: form.get("resource") ?? undefined,
        }, ctx.refreshTokenTtlSeconds);
        break;
      }
      case "refresh_token": {
        const refreshToken = form.get("refresh_token");
        if (!refreshToken) return oauthError("invalid_request", "refresh_token is required");
        issued = await rotateRefreshToken(await ctx.kv.get(), {
          refreshToken,
          clientId,
          resource: form.get("resource") ?? undefined,
        }, ctx.signingKey.secretsKey);
        break;
      }
      default:
        return oauthError(
          "unsupported_grant_type",
          "grant_type must be authorization_code or refresh_token",
        );
    }
    return tokenResponse(
      await accessTokenFor(ctx, issued),
      issued.refreshToken,
      ctx,
      issued.grant,
    );
  } catch (error) {
    if (error instanceof GrantError) return oauthError(error.code, error.message);
    if (error instanceof ClientError) return clientErrorResponse(error);
    throw error;
  }
}

function clientLookup(ctx: SigninContext, caller: string): FindClientOptions {
  return {
    privateHostAllowlist: ctx.metadataDocumentHostAllowlist,
    ownHost: new URL(ctx.issuer).host,
    newLookups: { caller, limiter: ctx.limits.metadataLookups },
  };
}

function clientErrorResponse(error: ClientError): Response {
  const response = oauthError(error.code, error.message, error.status);
  if (error.retryAfterSeconds) response.headers.set("retry-after", String(error.retryAfterSeconds));
  return response;
}

async function revoke(c: Context, ctx: SigninContext): Promise<Response> {
  const caller = clientAddress(c.env);
  const decision = await ctx.limits.token.hit(caller);
  if (!decision.allowed) {
    return tooMany("Too many token requests from this address", decision.retryAfterSeconds);
  }
  const form = await readForm(c);
  const tokenValue = form?.get("token");
  if (!form || !tokenValue) return oauthError("invalid_request", "token is required");
  let clientId: string;
  try {
    // RFC 7009 §2.1: a confidential client authenticates here as at /token.
    ({ clientId } = await authenticateClient(
      await ctx.kv.get(),
      presentedCredentials(c.req.header("authorization"), form),
      ctx.signingKey.secretsKey,
      clientLookup(ctx, caller),
    ));
  } catch (error) {
    if (error instanceof ClientError) return clientErrorResponse(error);
    throw error;
  }
  // Either token revokes the grant it belongs to (its refresh-token family): the refresh tokens at
  // once, the access tokens at /mcp within 30 s (the resource server checks the grant id they
  // carry). Revoking only the one access token would leave it working for its whole lifetime.
  if (looksLikeRefreshToken(tokenValue)) {
    await revokeRefreshToken(await ctx.kv.get(), tokenValue, clientId);
  } else {
    const grant = await accessTokenGrant(ctx.signingKey, tokenValue, ctx.issuer);
    if (grant && grant.clientId === clientId) {
      await revokeGrantOfClient(await ctx.kv.get(), grant.grantId, clientId);
    }
  }
  return new Response(null, { status: 200, headers: NO_STORE });
}

function accessTokenFor(ctx: SigninContext, { grant, familyId }: IssuedGrant): Promise<string> {
  return issueAccessToken(ctx.signingKey, {
    grantId: familyId,
    issuer: ctx.issuer,
    audience: grant.resource,
    sub: grant.sub,
    email: grant.email,
    scope: grant.scope,
    clientId: grant.clientId,
    ttlSeconds: ctx.accessTokenTtlSeconds,
  });
}

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

function tokenResponse(
  accessToken: string,
  refreshToken: string,
  ctx: SigninContext,
  grant: Grant,
): Response {
  return Response.json({
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: ctx.accessTokenTtlSeconds,
    refresh_token: refreshToken,
    scope: grant.scope,
  }, { headers: NO_STORE });
}

/** A 429 in OAuth's JSON error format, with `retry-after`. The description is fixed text. */
export function tooMany(description: string, retryAfterSeconds: number): Response {
  const response = oauthError(
    "temporarily_unavailable",
    `${description}; retry in ${retryAfterSeconds} s`,
    429,
  );
  response.headers.set("retry-after", String(retryAfterSeconds));
  return response;
}

/** An RFC 6749 §5.2 error answer. */
export function oauthError(error: string, description: string, status = 400): Response {
  const headers: Record<string, string> = { ...NO_STORE };
  if (status === 401) headers["www-authenticate"] = 'Basic realm="token", charset="UTF-8"';
  return Response.json({ error, error_description: description }, { status, headers });
}

async function readForm(c: Context): Promise<URLSearchParams | null> {
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) return null;
  try {
    return new URLSearchParams(await c.req.text());
  } catch {
    return null;
  }
}
