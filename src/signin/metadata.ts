/**
 * RFC 8414 Authorization Server Metadata of the development issuer.
 *
 * @module
 */
import type { SigninContext } from "./context.ts";

/** Public clients (`none`, PKCE only) and confidential registered clients, either way. */
const CLIENT_AUTH_METHODS = ["none", "client_secret_post", "client_secret_basic"];

/** The metadata document; `issuer` is exactly the origin it is served from. */
export function authorizationServerMetadata(ctx: SigninContext): Record<string, unknown> {
  const at = (path: string) => `${ctx.issuer}${path}`;
  return {
    issuer: ctx.issuer,
    authorization_endpoint: at("/authorize"),
    token_endpoint: at("/token"),
    registration_endpoint: at("/register"),
    revocation_endpoint: at("/revoke"),
    jwks_uri: ctx.jwksUrl,
    scopes_supported: [...ctx.scopes],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  };
}
