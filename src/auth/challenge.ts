/**
 * The HTTP answers to refused requests: RFC 6750 `WWW-Authenticate` challenges carrying the RFC
 * 9728 `resource_metadata` pointer, so a host that gets a 401 can find where to sign in.
 *
 * @module
 */
import type { AuthError } from "./errors.ts";

/** What every challenge advertises. */
export interface ChallengeOptions {
  /** URL of our Protected Resource Metadata document. */
  resourceMetadataUrl: string;
  /**
   * Scopes a host should request (`scope` of the challenge): those a token needs here, and
   * `offline_access` where the issuer offers it, so it issues a refresh token.
   */
  scopes: () => readonly string[];
}

/** Maps a refusal to its HTTP response. The single place auth codes become statuses. */
export function challengeResponse(error: AuthError, options: ChallengeOptions): Response {
  const params: Record<string, string> = {};
  let status = 401;
  switch (error.code) {
    case "missing_token":
      // RFC 6750 §3.1: no error code when the request carried no credentials.
      break;
    case "invalid_request":
    case "invalid_token":
      params.error = error.code;
      params.error_description = error.message;
      break;
    case "insufficient_scope":
      status = 403;
      params.error = error.code;
      params.error_description = error.message;
      break;
    case "issuer_unavailable":
      return Response.json(
        { error: "temporarily_unavailable", error_description: error.message },
        {
          status: 503,
          headers: {
            "retry-after": String(Math.max(1, Math.ceil(error.retryAfterSeconds))),
            "cache-control": "no-store",
          },
        },
      );
  }
  const scopes = options.scopes();
  if (scopes.length > 0) params.scope = scopes.join(" ");
  params.resource_metadata = options.resourceMetadataUrl;
  const challenge = "Bearer " +
    Object.entries(params).map(([k, v]) => `${k}="${v.replace(/["\\]/g, "\\$&")}"`).join(", ");
  return Response.json(
    {
      error: params.error ?? "unauthorized",
      error_description: params.error_description ??
        "Authorization required: send an OAuth access token as 'Authorization: Bearer <token>'.",
    },
    { status, headers: { "www-authenticate": challenge, "cache-control": "no-store" } },
  );
}
