/**
 * The resource-server gate in front of `/mcp`: takes the bearer token from the one place we accept
 * it, verifies it, and hands on only the verified {@linkcode VerifiedAccess}.
 *
 * @module
 */
import { createMiddleware } from "hono/factory";
import { type ChallengeOptions, challengeResponse } from "./challenge.ts";
import { AuthError, type AuthReason } from "./errors.ts";
import type { VerifiedAccess } from "./identity.ts";

/** Hono context variables set by {@linkcode requireBearer}. */
export type BearerVariables = { access: VerifiedAccess; authReason?: AuthReason };

/**
 * Returns the bearer token of a request.
 *
 * Only the `Authorization` header is accepted (RFC 6750 §2.1). A token in the query string ends up
 * in logs, browser history and `Referer` headers, so a request carrying one is refused outright,
 * even if it also has a good header.
 *
 * @throws {AuthError} `missing_token`, `invalid_request` or `invalid_token`.
 */
export function extractBearerToken(request: Request): string {
  // Parsed only when there is a query at all (most requests have none).
  const url = request.url;
  if (url.includes("?") && new URL(url).searchParams.has("access_token")) {
    throw new AuthError(
      "invalid_request",
      "Send the access token in the Authorization header, never in the URL",
    );
  }
  const header = request.headers.get("authorization");
  if (header === null) throw new AuthError("missing_token", "No access token");
  const match = /^Bearer(?: +(.*))?$/i.exec(header.trim());
  // Another scheme (Basic, DPoP, …) means no bearer credentials were offered.
  if (!match) throw new AuthError("missing_token", "No bearer access token");
  const token = match[1]?.trim() ?? "";
  if (token === "") {
    throw new AuthError("invalid_token", "The bearer token is empty", { reason: "empty_token" });
  }
  return token;
}

/** Options for {@linkcode requireBearer}. */
export interface RequireBearerOptions extends ChallengeOptions {
  /** Verifies a token; throws {@linkcode AuthError} on refusal. */
  verify: (token: string) => Promise<VerifiedAccess>;
}

/** Middleware that refuses requests without a valid access token and stores the verified access. */
export function requireBearer(options: RequireBearerOptions) {
  return createMiddleware<{ Variables: BearerVariables }>(async (c, next) => {
    let access: VerifiedAccess;
    try {
      access = await options.verify(extractBearerToken(c.req.raw));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      // For the request log line: why, in a reason code (never the token).
      c.set("authReason", error.reason);
      return challengeResponse(error, options);
    }
    c.set("access", access);
    await next();
  });
}
