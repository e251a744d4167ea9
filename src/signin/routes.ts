/**
 * HTTP routes of the bundled development issuer, all on the server's own origin: metadata, JWKS,
 * registration, authorization (sign-in and consent pages), token and revocation.
 *
 * @module
 */
import { inSpan } from "../tracing.ts";
import { Hono } from "hono";
import { boundedBody } from "../http/body_reader.ts";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { clientAddress, isLoopbackPeer } from "../http/client_address.ts";
import { mountAuthorize, unavailablePage } from "./authorize.ts";
import { ClientError, registerClient } from "./clients.ts";
import type { SigninContext } from "./context.ts";
import { authorizationServerMetadata } from "./metadata.ts";
import { publicJwks } from "./signing_key.ts";
import { mountToken, oauthError, tooMany } from "./token.ts";

/** Routes of the development issuer, mounted at the root of the server's origin. */
export function signinRoutes(ctx: SigninContext): Hono {
  const app = new Hono();
  const metadata = authorizationServerMetadata(ctx);
  const jwks = publicJwks(ctx.signingKey);
  const jwksPath = new URL(ctx.jwksUrl).pathname;
  // A span per sign-in request, named by its route (`signin POST /token`); only these paths
  // (mounted at the root, a "*" would reach every request of the server).
  for (const route of ["/register", "/token", "/revoke", "/authorize", "/authorize/*"]) {
    app.use(
      route,
      (c, next) => inSpan(`signin ${c.req.method} ${route}`, { "http.route": route }, next),
    );
  }
  const machinePaths = [
    "/.well-known/oauth-authorization-server",
    jwksPath,
    "/register",
    "/token",
    "/revoke",
  ];
  // Browser-based hosts run discovery, registration and the token exchange from a page; none of
  // these endpoints reads cookies, so an open CORS policy exposes nothing.
  for (const path of machinePaths) {
    app.use(path, cors({ origin: "*", allowMethods: ["GET", "POST", "OPTIONS"], maxAge: 600 }));
  }
  const idleMs = ctx.bodyIdleTimeoutMs;
  const limit = boundedBody(
    { maxBytes: 64 * 1024, idleMs, totalMs: 4 * idleMs },
    (c) => c.text("Request too large", 413),
  );
  for (const path of ["/register", "/token", "/revoke", "/authorize/*"]) app.use(path, limit);

  app.get("/.well-known/oauth-authorization-server", (c) => {
    c.header("cache-control", "public, max-age=300");
    return c.json(metadata);
  });
  app.get(jwksPath, (c) => {
    c.header("cache-control", "public, max-age=300");
    return c.json(jwks);
  });
  app.post("/register", async (c) => {
    const caller = clientAddress(c.env);
    const decision = await ctx.limits.register.hit(caller);
    if (!decision.allowed) {
      return tooMany(`Too many registrations from this address`, decision.retryAfterSeconds);
    }
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return oauthError("invalid_client_metadata", "The body must be a JSON object");
    }
    // Loopback in development counts against the global cap only (see signinContextFor).
    const local = ctx.loopbackSkipsAddressCaps && isLoopbackPeer(c.env);
    try {
      const client = await registerClient(await ctx.kv.get(), body, {
        caller,
        limits: local ? { global: ctx.limits.newClients } : {
          perAddress: ctx.limits.newClientsPerAddress,
          perNetwork: ctx.limits.newClientsPerNetwork,
          global: ctx.limits.newClients,
        },
        secretsKey: ctx.signingKey.secretsKey,
      });
      return c.json(client, 201, { "cache-control": "no-store" });
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
      const response = oauthError(error.code, error.message, error.status);
      if (error.retryAfterSeconds) {
        response.headers.set("retry-after", String(error.retryAfterSeconds));
      }
      return response;
    }
  });
  mountAuthorize(app, ctx);
  mountToken(app, ctx);
  // Whatever fails below a route (KV down or past its deadline, or a bug) is answered as a
  // temporary outage in the route's own format: never a 500 with a stack trace.
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (c.req.path === "/authorize" || c.req.path.startsWith("/authorize/")) {
      c.header("retry-after", "5");
      return unavailablePage(c, ctx);
    }
    const response = oauthError(
      "temporarily_unavailable",
      "The sign-in service is unavailable just now; try again",
      503,
    );
    response.headers.set("retry-after", "5");
    return response;
  });
  return app;
}
