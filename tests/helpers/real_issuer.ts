/**
 * What the tests against real authorization servers (oidc-provider, Better Auth) share: a token
 * endpoint call, a PKCE pair, `initialize` with a bare token, and the host's own check that it
 * can use the tools as the person the issuer signed in.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { base64url } from "jose";
import type { MemoryOAuthProvider } from "./oauth.ts";
import { INITIALIZE, type TestServer } from "./server.ts";

/** A token endpoint's answer. */
export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  scope?: string;
  expires_in: number;
}

/** POSTs a token request; throws with the answer unless it is 200. */
export async function tokenRequest(
  tokenEndpoint: string,
  params: Record<string, string>,
): Promise<TokenSet> {
  const response = await fetch(tokenEndpoint, {
    method: "POST",
    body: new URLSearchParams(params),
  });
  if (response.status !== 200) {
    throw new Error(`token endpoint answered ${response.status}: ${await response.text()}`);
  }
  return await response.json();
}

/** A PKCE verifier and its S256 challenge. */
export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url.encode(new Uint8Array(digest)) };
}

/** Sends `initialize` with `token`; returns the status and, for a refusal, what it said. */
export async function initializeWith(server: TestServer, token: string) {
  const response = await server.post(INITIALIZE, { authorization: `Bearer ${token}` });
  const challenge = response.headers.get("www-authenticate") ?? "";
  if (response.status === 200) {
    await response.body?.cancel();
    return { status: response.status, challenge, description: undefined };
  }
  const body = await response.json();
  return { status: response.status, challenge, description: body?.error_description };
}

/** The signed-in subject `health` reports for a connected client. */
export async function signedInAs(client: Client): Promise<string> {
  const health = await client.callTool({ name: "health", arguments: {} });
  assert(!health.isError, JSON.stringify(health.content));
  return (health.structuredContent as { signedInAs: string }).signedInAs;
}

/**
 * Connects a host with `provider`'s tokens and uses the tools as a host does: begins a session,
 * searches with it, and finds itself signed in as `sub`.
 */
export async function useTheTools(
  url: URL,
  provider: MemoryOAuthProvider,
  sub: string,
): Promise<void> {
  const client = new Client({ name: "host", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
  try {
    const begin = await client.callTool({ name: "begin_session", arguments: {} });
    assert(!begin.isError, JSON.stringify(begin.content));
    const session = (begin.structuredContent as { session: { token: string } }).session.token;
    const search = await client.callTool({
      name: "domain_search",
      arguments: { session, query: "sourdough" },
    });
    assert(!search.isError, JSON.stringify(search.content));
    assertEquals(await signedInAs(client), sub);
  } finally {
    await client.close();
  }
}
