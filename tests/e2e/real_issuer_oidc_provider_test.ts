/**
 * The server in external-issuer mode against a real authorization server (oidc-provider 9, see
 * tests/helpers/oidc_provider.ts for its configuration), driven by the official MCP client: the
 * whole host journey, refreshes, and real tokens /mcp must refuse.
 */
import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import {
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  importJWK,
  type JWTPayload,
  SignJWT,
} from "jose";
import { MemoryOAuthProvider } from "../helpers/oauth.ts";
import {
  authorizeDirectly,
  RedirectWalker,
  startOidcProvider,
  tokenRequest,
} from "../helpers/oidc_provider.ts";
import { INITIALIZE, startTestServer, type TestServer } from "../helpers/server.ts";

const CALLBACK = "http://127.0.0.1:53682/callback";

/** A second resource the issuer also serves: its tokens are not for us. */
const OTHER_RESOURCE = "https://other.example/mcp";

/** Sends `initialize` with `token`; returns the status and, for a refusal, what it said. */
async function initializeWith(server: TestServer, token: string) {
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
async function signedInAs(client: Client): Promise<string> {
  const health = await client.callTool({ name: "health", arguments: {} });
  assert(!health.isError, JSON.stringify(health.content));
  return (health.structuredContent as { signedInAs: string }).signedInAs;
}

Deno.test("a host signs in at a real oidc-provider issuer and uses /mcp with its tokens", async (t) => {
  await using issuer = await startOidcProvider();
  await using server = await startTestServer({ AUTH_ISSUER: issuer.issuer });
  issuer.serveResources([server.mcpUrl, OTHER_RESOURCE]);
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
      assertEquals(authorizationUrl.origin, issuer.issuer, "at the external issuer");
      assertEquals(authorizationUrl.searchParams.get("code_challenge_method"), "S256");
      assertEquals(authorizationUrl.searchParams.get("resource"), server.mcpUrl);
      // The client asks for `offline_access` on its own when the issuer lists it and the client
      // registered the refresh_token grant, whether or not our challenge names it.
      const requested = authorizationUrl.searchParams.get("scope")?.split(" ") ?? [];
      assert(requested.includes("mcp"), `scope requested: ${requested}`);
      const registered = provider.clientInformation();
      assert(registered?.client_id, "the client registered dynamically");

      const back = await new RedirectWalker().follow(authorizationUrl, CALLBACK);
      assertEquals(issuer.prompts, ["login", "consent"]);
      assertEquals(back.searchParams.get("iss"), issuer.issuer);
      assertEquals(back.searchParams.get("state"), authorizationUrl.searchParams.get("state"));
      assert(back.searchParams.get("code"), `no code: ${back.search} ${issuer.errors}`);
      await firstTransport.finishAuth(back.searchParams);

      const tokens = provider.tokens();
      assert(tokens?.access_token && tokens.refresh_token, "access and refresh token saved");
      const header = decodeProtectedHeader(tokens.access_token);
      const claims = decodeJwt(tokens.access_token);
      assertEquals(header.alg, "ES256");
      assertEquals(header.typ, "at+jwt");
      assertEquals(header.kid, issuer.kid);
      assertEquals(claims.iss, issuer.issuer);
      assertEquals(claims.aud, server.mcpUrl);
      assertEquals(claims.sub, issuer.accountId);
      assertEquals(claims.client_id, registered.client_id);
      assert(String(claims.scope).split(" ").includes("mcp"), `token scope ${claims.scope}`);

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
        assertEquals(await signedInAs(client), issuer.accountId);
      } finally {
        await client.close();
      }
    },
  );

  await t.step("the client refreshes at the issuer when /mcp refuses its token", async () => {
    const before = provider.tokens()!;
    const saved = provider.savedTokens.length;
    const client = new Client({ name: "host", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    try {
      provider.spoilAccessToken();
      assertEquals(await signedInAs(client), issuer.accountId);
    } finally {
      await client.close();
    }
    assertEquals(provider.savedTokens.length, saved + 1, "tokens were refreshed once");
    const after = provider.tokens()!;
    assertNotEquals(after.refresh_token, before.refresh_token, "a public client's token rotates");
    const claims = decodeJwt(after.access_token);
    assertEquals(claims.aud, server.mcpUrl);
    assertEquals(claims.sub, issuer.accountId);
    assertNotEquals(claims.jti, decodeJwt(before.access_token).jti);
  });

  await t.step("a refresh_token grant naming no resource gets a token /mcp accepts", async () => {
    const current = provider.tokens()!;
    // `useGrantedResource`: the refresh token's resource is used when the request names none.
    const refreshed = await tokenRequest(
      (await issuerMetadata(issuer.issuer)).token_endpoint,
      {
        grant_type: "refresh_token",
        refresh_token: current.refresh_token!,
        client_id: provider.clientInformation()!.client_id,
      },
    );
    assertEquals(decodeJwt(refreshed.access_token).aud, server.mcpUrl);
    assertEquals((await initializeWith(server, refreshed.access_token)).status, 200);
  });

  await t.step("a refresh token comes without offline_access (issueRefreshToken)", async () => {
    const { tokens, clientId, tokenEndpoint } = await authorizeDirectly(issuer.issuer, {
      resource: server.mcpUrl,
      scope: "mcp",
      callback: CALLBACK,
    });
    assertEquals(tokens.scope, "mcp");
    assert(tokens.refresh_token, "a refresh token without offline_access");
    assertEquals((await initializeWith(server, tokens.access_token)).status, 200);
    const refreshed = await tokenRequest(tokenEndpoint, {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: clientId,
      resource: server.mcpUrl,
    });
    assertEquals((await initializeWith(server, refreshed.access_token)).status, 200);
  });

  await t.step("real tokens /mcp refuses: another resource, another key, expired", async () => {
    const other = await authorizeDirectly(issuer.issuer, {
      resource: OTHER_RESOURCE,
      scope: "mcp",
      callback: CALLBACK,
    });
    const otherClaims = decodeJwt(other.tokens.access_token);
    assertEquals(otherClaims.iss, issuer.issuer);
    assertEquals(otherClaims.aud, OTHER_RESOURCE);
    const wrongAudience = await initializeWith(server, other.tokens.access_token);
    assertEquals(wrongAudience.status, 401);
    assert(wrongAudience.challenge.includes('error="invalid_token"'), wrongAudience.challenge);
    assertEquals(wrongAudience.description, "The token was not issued for this resource");

    // The claims and header of a token the issuer gave us, signed by a key it never published.
    const real = provider.tokens()!.access_token;
    const header = decodeProtectedHeader(real);
    const { privateKey: strangerKey } = await generateKeyPair("ES256");
    const foreign = await new SignJWT(decodeJwt(real))
      .setProtectedHeader({ alg: "ES256", typ: header.typ, kid: header.kid })
      .sign(strangerKey);
    const foreignAnswer = await initializeWith(server, foreign);
    assertEquals(foreignAnswer.status, 401);
    assertEquals(foreignAnswer.description, "The token could not be verified");

    // Expired: our verifier allows 60 s of clock skew, more than this test may wait, so the same
    // claims with `iat`/`exp` ten minutes back are signed with the issuer's own published key.
    const issuerKey = await importJWK(issuer.signingJwk, "ES256");
    const claims = decodeJwt(real) as JWTPayload & { iat: number; exp: number };
    const tenMinutes = 600;
    const expired = await new SignJWT({
      ...claims,
      iat: claims.iat - tenMinutes - (claims.exp - claims.iat),
      exp: claims.iat - tenMinutes,
    }).setProtectedHeader({ alg: "ES256", typ: header.typ, kid: header.kid }).sign(issuerKey);
    const expiredAnswer = await initializeWith(server, expired);
    assertEquals(expiredAnswer.status, 401);
    assertEquals(expiredAnswer.description, "The token has expired");
    // The same re-signing with the exp left alone is accepted: the refusals above are the key's
    // and the time's, not the re-signing's.
    const resigned = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", typ: header.typ, kid: header.kid })
      .sign(issuerKey);
    assertEquals((await initializeWith(server, resigned)).status, 200);
  });

  assertEquals(issuer.errors, []);
});

/** The issuer's OpenID metadata (oidc-provider serves no RFC 8414 document). */
async function issuerMetadata(issuer: string): Promise<{ token_endpoint: string }> {
  return await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
}
