/**
 * The server in external-issuer mode against Better Auth 1.x with its MCP plugin (see
 * tests/helpers/better_auth.ts for its configuration), driven by the official MCP client: the
 * whole host journey, a refresh, and a real token for another resource /mcp must refuse.
 */
import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { MemoryOAuthProvider } from "../helpers/oauth.ts";
import { authorizeDirectly, BetterAuthWalker, startBetterAuth } from "../helpers/better_auth.ts";
import { freePort } from "../helpers/process.ts";
import { initializeWith, signedInAs, useTheTools } from "../helpers/real_issuer.ts";
import { startTestServer } from "../helpers/server.ts";

const CALLBACK = "http://127.0.0.1:53682/callback";

/** A second resource the issuer also serves: its tokens are not for us. */
const OTHER_RESOURCE = "https://other.example/mcp";

Deno.test("a host signs in at a Better Auth issuer and uses /mcp with its tokens", async (t) => {
  // Better Auth binds its tokens to the MCP resource when it is built, and the server checks the
  // issuer when it starts: the server's port, hence its /mcp URL, is chosen first.
  const port = freePort();
  const resource = `http://localhost:${port}/mcp`;
  await using issuer = await startBetterAuth({ resource, otherResources: [OTHER_RESOURCE] });
  await using server = await startTestServer({ PORT: String(port), AUTH_ISSUER: issuer.issuer });
  assertEquals(server.mcpUrl, resource);
  assert(issuer.issuer.endsWith("/api/auth"), `the issuer carries the base path: ${issuer.issuer}`);
  const url = new URL(server.mcpUrl);
  const provider = new MemoryOAuthProvider(CALLBACK);

  await t.step(
    "401, metadata, discovery, registration, PKCE with resource, token, tools",
    async () => {
      const first = new Client({ name: "host", version: "1.0.0" });
      const firstTransport = new StreamableHTTPClientTransport(url, { authProvider: provider });
      await assertRejects(() => first.connect(firstTransport), UnauthorizedError);
      await first.close();
      const authorizationUrl = provider.authorizationUrl;
      assert(authorizationUrl, "the client was sent to authorize");
      assertEquals(authorizationUrl.href.split("?")[0], `${issuer.issuer}/oauth2/authorize`);
      assertEquals(authorizationUrl.searchParams.get("code_challenge_method"), "S256");
      assertEquals(authorizationUrl.searchParams.get("resource"), server.mcpUrl);
      const requested = authorizationUrl.searchParams.get("scope")?.split(" ") ?? [];
      assert(requested.includes("mcp"), `scope requested: ${requested}`);
      assert(requested.includes("offline_access"), `scope requested: ${requested}`);
      const registered = provider.clientInformation();
      assert(registered?.client_id, "the client registered dynamically");

      const back = await new BetterAuthWalker(issuer).follow(authorizationUrl, CALLBACK);
      assertEquals(issuer.prompts, ["login", "consent"]);
      assertEquals(back.searchParams.get("iss"), issuer.issuer);
      assertEquals(back.searchParams.get("state"), authorizationUrl.searchParams.get("state"));
      assert(back.searchParams.get("code"), `no code: ${back.search} ${issuer.errors}`);
      await firstTransport.finishAuth(back.searchParams);

      const tokens = provider.tokens();
      assert(tokens?.access_token && tokens.refresh_token, "access and refresh token saved");
      const header = decodeProtectedHeader(tokens.access_token);
      const claims = decodeJwt(tokens.access_token);
      assertEquals(header.typ, "at+jwt");
      assertEquals(claims.iss, issuer.issuer);
      assertEquals(claims.aud, server.mcpUrl);
      assertEquals(claims.sub, issuer.userId);
      assertEquals(claims.email, issuer.email);
      assertEquals(claims.client_id, registered.client_id);
      assert(String(claims.scope).split(" ").includes("mcp"), `token scope ${claims.scope}`);

      await useTheTools(url, provider, issuer.userId);
    },
  );

  await t.step("the client refreshes at the issuer when /mcp refuses its token", async () => {
    const before = provider.tokens()!;
    const saved = provider.savedTokens.length;
    const client = new Client({ name: "host", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    try {
      provider.spoilAccessToken();
      assertEquals(await signedInAs(client), issuer.userId);
    } finally {
      await client.close();
    }
    assertEquals(provider.savedTokens.length, saved + 1, "tokens were refreshed once");
    const after = provider.tokens()!;
    assertNotEquals(after.refresh_token, before.refresh_token, "the refresh token rotates");
    const claims = decodeJwt(after.access_token);
    assertEquals(claims.aud, server.mcpUrl);
    assertEquals(claims.sub, issuer.userId);
    assertNotEquals(claims.jti, decodeJwt(before.access_token).jti);
    assertEquals((await initializeWith(server, after.access_token)).status, 200);
  });

  await t.step("a token of the same issuer for another resource is refused", async () => {
    const other = await authorizeDirectly(issuer, {
      resource: OTHER_RESOURCE,
      scope: "mcp offline_access",
      callback: CALLBACK,
    });
    const claims = decodeJwt(other.tokens.access_token);
    assertEquals(claims.iss, issuer.issuer);
    assertEquals(claims.aud, OTHER_RESOURCE);
    assertEquals(claims.sub, issuer.userId);
    const answer = await initializeWith(server, other.tokens.access_token);
    assertEquals(answer.status, 401);
    assert(answer.challenge.includes('error="invalid_token"'), answer.challenge);
    assertEquals(answer.description, "The token was not issued for this resource");
  });

  assertEquals(issuer.errors, []);
});
