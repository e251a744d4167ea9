/**
 * Raw-HTTP steps of the development sign-in for tests: register, authorize, exchange, refresh.
 *
 * @module
 */
import { pkceChallenge } from "../../src/signin/grants.ts";
import { randomSecret } from "../../src/signin/kv_records.ts";
import { clientMetadataFor, signInAndDecide } from "./oauth.ts";
import type { TestServer } from "./server.ts";

/** The loopback callback test clients register. */
export const CALLBACK = "http://127.0.0.1:53682/callback";

/** POSTs `body` to `/register`. */
export function register(server: TestServer, body: unknown = clientMetadataFor(CALLBACK)) {
  return fetch(`${server.config.publicUrl}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Registers a client named `name` and returns its id. */
export async function registeredClient(server: TestServer, name = "Test client"): Promise<string> {
  const response = await register(server, { ...clientMetadataFor(CALLBACK), client_name: name });
  if (response.status !== 201) throw new Error(`register: ${response.status}`);
  return (await response.json()).client_id;
}

/** A fresh PKCE verifier and its S256 challenge. */
export async function pkce() {
  const verifier = randomSecret(48);
  return { verifier, challenge: await pkceChallenge(verifier) };
}

/** An `/authorize` URL with sensible defaults; `undefined` drops a parameter. */
export function authorizeUrl(server: TestServer, params: Record<string, string | undefined>): URL {
  const url = new URL("/authorize", server.config.publicUrl);
  const all: Record<string, string | undefined> = {
    response_type: "code",
    redirect_uri: CALLBACK,
    code_challenge_method: "S256",
    state: "st-123",
    scope: "mcp",
    resource: server.mcpUrl,
    ...params,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** POSTs a form to `/token`. */
export function tokenRequest(server: TestServer, params: Record<string, string>) {
  return fetch(`${server.config.publicUrl}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
}

/** Signs in as `identity`, allows, and exchanges the code: the token response. */
export async function tokensFor(server: TestServer, clientId: string, identity = "alice") {
  const { verifier, challenge } = await pkce();
  const back = await signInAndDecide(
    authorizeUrl(server, { client_id: clientId, code_challenge: challenge }),
    identity,
  );
  const response = await tokenRequest(server, {
    grant_type: "authorization_code",
    client_id: clientId,
    redirect_uri: CALLBACK,
    code: back.searchParams.get("code")!,
    code_verifier: verifier,
  });
  if (response.status !== 200) throw new Error(`token: ${response.status}`);
  return await response.json() as { access_token: string; refresh_token: string };
}
