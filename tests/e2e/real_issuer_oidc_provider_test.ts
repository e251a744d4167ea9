/**
 * The server in external-issuer mode against a real authorization server (oidc-provider 9, see
 * tests/helpers/oidc_provider.ts for its configuration), driven by the official MCP client: the
 * whole host journey, refreshes, and real tokens /mcp must refuse; then the issuer restarting with a
 * new key, going down and coming back, and AUTH_ISSUER one character off what it calls itself.
 */
import {
  assert,
  assertEquals,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
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
import { initializeWith, signedInAs, useTheTools } from "../helpers/real_issuer.ts";
import { INITIALIZE, startTestServer, type TestServer } from "../helpers/server.ts";
import { IssuerMismatchStartupError } from "../../src/server.ts";

const CALLBACK = "http://127.0.0.1:53682/callback";

/** A second resource the issuer also serves: its tokens are not for us. */
const OTHER_RESOURCE = "https://other.example/mcp";

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

      await useTheTools(url, provider, issuer.accountId);
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

/** `initialize` with `token` and an `x-request-id`; the answer, its body and its log line. */
async function traced(server: TestServer, token: string) {
  const requestId = crypto.randomUUID();
  const response = await server.post(INITIALIZE, {
    authorization: `Bearer ${token}`,
    "x-request-id": requestId,
  });
  const body = response.status === 200 ? undefined : await response.json();
  if (body === undefined) await response.body?.cancel();
  const log = await server.logLine((line) => line.requestId === requestId);
  return { status: response.status, headers: response.headers, body, log };
}

/** Asserts a 503 that asks to come back later, logged with `reason`. */
function assertTryLater(answer: Awaited<ReturnType<typeof traced>>, reason: string) {
  assertEquals(answer.status, 503, JSON.stringify(answer.body));
  assertEquals(answer.body?.error, "temporarily_unavailable");
  assertEquals(answer.headers.get("www-authenticate"), null, "no verdict on the token");
  const retryAfter = Number(answer.headers.get("retry-after"));
  assert(retryAfter >= 1 && retryAfter <= 30, `Retry-After: ${answer.headers.get("retry-after")}`);
  assertEquals(answer.log.status, 503);
  assertEquals(answer.log.authReason, reason);
  return retryAfter;
}

/** GET /readyz: its HTTP status and report. */
async function readiness(server: TestServer) {
  const response = await fetch(`${server.localOrigin}/readyz`);
  const report = await response.json() as {
    status: string;
    checks: { issuer?: string };
    issuerProblem?: string;
  };
  return { httpStatus: response.status, ...report };
}

/** A token of `token`'s claims, with a new `jti` and `changes`, signed with `jwk`. */
async function resign(
  token: string,
  jwk: Record<string, unknown>,
  changes: JWTPayload = {},
): Promise<string> {
  const header = decodeProtectedHeader(token);
  return await new SignJWT({ ...decodeJwt(token), jti: crypto.randomUUID(), ...changes })
    .setProtectedHeader({ alg: "ES256", typ: header.typ, kid: String(jwk.kid) })
    .sign(await importJWK(jwk, "ES256"));
}

/**
 * Runs `fn` with `Date.now` moved `ms` ahead: the refetch cooldown of the JWKS cache (jose's) and
 * our key source both read that clock, so this is the same server `ms` later, without waiting.
 * Token times are unaffected (jose reads `new Date()` for those).
 */
async function later<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const now = Date.now;
  Date.now = () => now() + ms;
  try {
    return await fn();
  } finally {
    Date.now = now;
  }
}

/** The JWKS fetches `issuer` answered so far. */
const jwksFetches = (issuer: { requests: string[] }) =>
  issuer.requests.filter((request) => request === "GET /jwks").length;

Deno.test("the real issuer restarts, rotates, goes away, and is misconfigured", async (t) => {
  await t.step(
    "restarted on its port with a new key: 503 Retry-After inside the cooldown, then accepted",
    async () => {
      const before = await startOidcProvider();
      try {
        const starting = Date.now();
        await using server = await startTestServer({ AUTH_ISSUER: before.issuer });
        // The server fetched the issuer's keys at its start: its last fetch, and its only one.
        assertEquals(jwksFetches(before), 1);
        before.serveResources([server.mcpUrl]);
        const old = await authorizeDirectly(before.issuer, {
          resource: server.mcpUrl,
          scope: "mcp",
          callback: CALLBACK,
        });
        const oldToken = old.tokens.access_token;
        assertEquals((await traced(server, oldToken)).status, 200);
        assertEquals(before.errors, []);

        // An issuer holding its keys in memory comes back from a restart with a new one.
        await before.close();
        await using after = await startOidcProvider({
          port: before.port,
          kid: "oidc-provider-es256-after-restart",
        });
        assertEquals(after.issuer, before.issuer);
        assertNotEquals(after.kid, before.kid);
        after.serveResources([server.mcpUrl]);
        const { tokens } = await authorizeDirectly(after.issuer, {
          resource: server.mcpUrl,
          scope: "mcp",
          callback: CALLBACK,
        });
        const newToken = tokens.access_token;
        assertEquals(decodeProtectedHeader(newToken).kid, after.kid);

        // Inside the cooldown the new kid cannot be judged: 503, come back later, never 401.
        const rotated = await traced(server, newToken);
        const elapsed = Date.now() - starting;
        assert(elapsed < 30_000, `answered ${elapsed} ms after the server began starting`);
        const retryAfter = assertTryLater(rotated, "unknown_kid");
        assertStringIncludes(rotated.body.error_description, "not known here yet");
        // A host that waits as told comes back past the cooldown, when the kid can be judged.
        assert(retryAfter >= Math.ceil((30_000 - elapsed) / 1000), `Retry-After ${retryAfter}`);
        assertEquals(jwksFetches(after), 0, "not refetched inside the cooldown");
        // Meanwhile the old key is still trusted: the token verified before answers from the
        // verification cache, and one never shown before is verified with the cached key set.
        assertEquals((await traced(server, oldToken)).status, 200);
        assertEquals((await traced(server, await resign(oldToken, before.signingJwk))).status, 200);

        // Past the cooldown, the unknown kid makes the set be fetched again: the new key is found.
        await later(31_000, async () => {
          assertEquals((await traced(server, newToken)).status, 200);
        });
        assertEquals(jwksFetches(after), 1, "one refetch, for the unknown kid");
        // The refetched set no longer holds the old key. Within the cooldown that refetch began,
        // a token of it cannot be judged either; past it, it is refused, the kid not the issuer's.
        const unpublished = await resign(oldToken, before.signingJwk);
        await later(32_000, async () => {
          assertTryLater(await traced(server, unpublished), "unknown_kid");
        });
        await later(65_000, async () => {
          const refused = await traced(server, unpublished);
          assertEquals(refused.status, 401);
          assertEquals(refused.body?.error, "invalid_token");
          assertEquals(
            refused.body?.error_description,
            "The token's signing key is not the issuer's",
          );
          assertEquals(refused.log.authReason, "unknown_kid");
        });
        assertEquals(jwksFetches(after), 2);
        assertEquals(after.errors, []);
      } finally {
        await before.close();
      }
    },
  );

  await t.step(
    "the issuer goes down, and a server started meanwhile recovers when it is back",
    async () => {
      const issuer = await startOidcProvider();
      try {
        await using first = await startTestServer({ AUTH_ISSUER: issuer.issuer });
        issuer.serveResources([first.mcpUrl]);
        const { tokens } = await authorizeDirectly(issuer.issuer, {
          resource: first.mcpUrl,
          scope: "mcp",
          callback: CALLBACK,
        });
        const verified = tokens.access_token;
        assertEquals((await traced(first, verified)).status, 200);
        assertEquals(issuer.errors, []);
        await issuer.close();

        // Down: what was verified keeps working, and so does a token of a key already fetched.
        assertEquals((await traced(first, verified)).status, 200);
        assertEquals((await traced(first, await resign(verified, issuer.signingJwk))).status, 200);
        // Readiness judges the keys this server holds (fresh for ten minutes), not the issuer's
        // answering just now: still ready.
        const held = await readiness(first);
        assertEquals(held.httpStatus, 200, JSON.stringify(held));
        assertEquals(held.checks.issuer, "ok");

        // A server started while the issuer is down starts, and waits for it.
        await using second = await startTestServer({ AUTH_ISSUER: issuer.issuer });
        const meanwhile = await resign(verified, issuer.signingJwk, { aud: second.mcpUrl });
        const refused = await traced(second, meanwhile);
        assertTryLater(refused, "issuer_unreachable");
        assertEquals(refused.body.error_description, "The issuer's keys could not be fetched");
        const down = await readiness(second);
        assertEquals(down.httpStatus, 503, JSON.stringify(down));
        assertEquals(down.status, "not ready");
        assertEquals(down.checks.issuer, "unreachable");
        assert(down.issuerProblem, "readiness says what is wrong");
        // Every discovery attempt so far (at the start, or for the two requests) failed by now.
        const lastFailureBy = Date.now();

        // The same issuer back on its port, with its keys; discovery is retried 5 s after it failed.
        await using back = await startOidcProvider({
          port: issuer.port,
          signingJwk: issuer.signingJwk,
        });
        assertEquals(back.issuer, issuer.issuer);
        back.serveResources([second.mcpUrl]);
        const fresh = await authorizeDirectly(back.issuer, {
          resource: second.mcpUrl,
          scope: "mcp",
          callback: CALLBACK,
        });
        await new Promise((resolve) => setTimeout(resolve, lastFailureBy + 5_100 - Date.now()));
        assertEquals((await traced(second, fresh.tokens.access_token)).status, 200);
        // Refused meanwhile only for want of keys: the same token is accepted now.
        assertEquals((await traced(second, meanwhile)).status, 200);
        const up = await readiness(second);
        assertEquals(up.httpStatus, 200, JSON.stringify(up));
        assertEquals(up.checks.issuer, "ok");
        assertEquals(back.errors, []);
      } finally {
        await issuer.close();
      }
    },
  );

  await t.step(
    "AUTH_ISSUER with a trailing slash the issuer does not have stops the start",
    async () => {
      await using issuer = await startOidcProvider();
      const withSlash = `${issuer.issuer}/`;
      const error = await assertRejects(
        () => startTestServer({ AUTH_ISSUER: withSlash }),
        IssuerMismatchStartupError,
      );
      assertStringIncludes(error.message, `AUTH_ISSUER is "${withSlash}"`);
      assertStringIncludes(error.message, `set AUTH_ISSUER=${issuer.issuer}`);
      assertEquals(issuer.errors, []);
    },
  );
});

/** The issuer's OpenID metadata (oidc-provider serves the same at the RFC 8414 path). */
async function issuerMetadata(issuer: string): Promise<{ token_endpoint: string }> {
  return await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
}
