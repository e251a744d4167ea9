import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { clientMetadataFor, MemoryOAuthProvider, signInAndDecide } from "../helpers/oauth.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { serveMetadataDocument } from "../helpers/metadata_document.ts";

const CALLBACK = "http://127.0.0.1:53682/callback";

/** Serves a client metadata document naming the test callback. */
function serveClientDocument() {
  return serveMetadataDocument("/oauth/client.json", (url) => clientMetadataFor(CALLBACK, url));
}

/**
 * The whole host-side journey: a 401, discovery, registration (DCR or metadata document), sign-in
 * and consent through the real forms, the PKCE code exchange, tool calls, and a refresh.
 */
async function connectLikeAHost(
  server: TestServer,
  provider: MemoryOAuthProvider,
  identity: string,
) {
  const url = new URL(server.mcpUrl);
  const first = new Client({ name: "host", version: "1.0.0" });
  const firstTransport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  await assertRejects(() => first.connect(firstTransport), UnauthorizedError);
  await first.close();
  const authorizationUrl = provider.authorizationUrl;
  assert(authorizationUrl, "the client was sent to authorize");
  assertEquals(
    authorizationUrl.origin + authorizationUrl.pathname,
    `${server.config.publicUrl}/authorize`,
  );
  assertEquals(authorizationUrl.searchParams.get("code_challenge_method"), "S256");
  assertEquals(authorizationUrl.searchParams.get("resource"), server.mcpUrl);

  const back = await signInAndDecide(authorizationUrl, identity);
  assertEquals(back.origin + back.pathname, CALLBACK);
  assertEquals(back.searchParams.get("iss"), server.config.publicUrl);
  assertEquals(back.searchParams.get("state"), authorizationUrl.searchParams.get("state"));
  await firstTransport.finishAuth(back.searchParams);

  const tokens = provider.tokens();
  assert(tokens?.access_token && tokens.refresh_token, "tokens saved");
  const header = decodeProtectedHeader(tokens.access_token);
  const claims = decodeJwt(tokens.access_token);
  assertEquals(header.typ, "at+jwt");
  assertEquals(claims.iss, server.config.publicUrl);
  assertEquals(claims.aud, server.mcpUrl);
  assertEquals(claims.scope, "mcp");
  assert(typeof claims.jti === "string" && typeof claims.client_id === "string");

  const client = new Client({ name: "host", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
  try {
    const { tools } = await client.listTools();
    assert(tools.some((t) => t.name === "health"));
    const health = await client.callTool({ name: "health", arguments: {} });
    assertEquals((health.structuredContent as { signedInAs: string }).signedInAs, claims.sub);

    // Refresh: the host's access token is no longer good; the client refreshes and carries on.
    const savedBefore = provider.savedTokens.length;
    provider.spoilAccessToken();
    const again = await client.callTool({ name: "health", arguments: {} });
    assertEquals((again.structuredContent as { signedInAs: string }).signedInAs, claims.sub);
    assertEquals(provider.savedTokens.length, savedBefore + 1, "tokens were refreshed once");
    const refreshed = provider.tokens()!;
    assertNotEquals(refreshed.refresh_token, tokens.refresh_token, "refresh token rotated");
    assertEquals(decodeJwt(refreshed.access_token).sub, claims.sub);
  } finally {
    await client.close();
  }
  return { sub: claims.sub as string, clientId: claims.client_id as string };
}

Deno.test("a host connects end to end through the development sign-in", async (t) => {
  await using server = await startTestServer({ CIMD_ALLOW_PRIVATE_HOSTS: "localhost" });

  await t.step("with dynamic client registration", async () => {
    const provider = new MemoryOAuthProvider(CALLBACK);
    const { sub, clientId } = await connectLikeAHost(server, provider, "Alice Reader");
    assert(clientId.startsWith("kit-"), clientId);
    assertEquals(provider.clientInformation()?.client_id, clientId);
    // The same person signing in again is the same reader.
    const again = await connectLikeAHost(server, new MemoryOAuthProvider(CALLBACK), "alice reader");
    assertEquals(again.sub, sub);
    assertEquals(again.clientId, clientId, "re-registration returned the same client");
  });

  await t.step("with a client ID metadata document", async () => {
    await using document = await serveClientDocument();
    const provider = new MemoryOAuthProvider(CALLBACK, document.url);
    const { clientId } = await connectLikeAHost(server, provider, "bob@example.com");
    assertEquals(clientId, document.url);
    assert(document.fetches() >= 1, "the server fetched the document");
  });

  await t.step("a metadata document that fails is not fetched again at once", async () => {
    await using document = await serveClientDocument();
    const missing = document.url.replace("client.json", "missing.json");
    for (let i = 0; i < 3; i++) {
      const url = new URL("/authorize", server.config.publicUrl);
      url.searchParams.set("client_id", missing);
      url.searchParams.set("redirect_uri", CALLBACK);
      const response = await fetch(url, { redirect: "manual" });
      assertEquals(response.status, 400);
      await response.body?.cancel();
    }
    assertEquals(document.fetches(), 1);
  });
});
