import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertStringIncludes,
} from "@std/assert";
import { randomSecret } from "../../src/signin/kv_records.ts";
import { clientMetadataFor, formsOf, FormWalker, signInAndDecide } from "../helpers/oauth.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import {
  authorizeUrl,
  CALLBACK,
  pkce,
  register,
  registeredClient,
} from "../helpers/signin_flow.ts";

function exchange(server: TestServer, params: Record<string, string>) {
  return fetch(`${server.config.publicUrl}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
}

/** Runs authorize + approve and returns a fresh code with its verifier. */
async function codeFor(server: TestServer, clientId: string, identity = "alice") {
  const { verifier, challenge } = await pkce();
  const back = await signInAndDecide(
    authorizeUrl(server, { client_id: clientId, code_challenge: challenge }),
    identity,
  );
  return { code: back.searchParams.get("code")!, verifier };
}

async function expectError(response: Response, error: string, status = 400) {
  const body = await response.json();
  assertEquals([response.status, body.error], [status, error], JSON.stringify(body));
  assertEquals(response.headers.get("cache-control"), "no-store");
  return body;
}

Deno.test("authorization server metadata describes the same-origin issuer", async () => {
  await using server = await startTestServer();
  const origin = server.config.publicUrl;
  const response = await fetch(`${origin}/.well-known/oauth-authorization-server`);
  assertEquals(response.headers.get("access-control-allow-origin"), "*");
  const metadata = await response.json();
  assertEquals(metadata.issuer, origin);
  assertEquals(metadata.authorization_endpoint, `${origin}/authorize`);
  assertEquals(metadata.token_endpoint, `${origin}/token`);
  assertEquals(metadata.registration_endpoint, `${origin}/register`);
  assertEquals(metadata.jwks_uri, `${origin}/.well-known/jwks.json`);
  assertEquals(metadata.response_types_supported, ["code"]);
  assertEquals(metadata.grant_types_supported, ["authorization_code", "refresh_token"]);
  assertEquals(metadata.code_challenge_methods_supported, ["S256"]);
  assertEquals(metadata.token_endpoint_auth_methods_supported, [
    "none",
    "client_secret_post",
    "client_secret_basic",
  ]);
  assertEquals(
    metadata.revocation_endpoint_auth_methods_supported,
    metadata.token_endpoint_auth_methods_supported,
  );
  assertEquals(metadata.client_id_metadata_document_supported, true);
  assertEquals(metadata.authorization_response_iss_parameter_supported, true);
  assertEquals(metadata.scopes_supported, ["mcp"]);
});

Deno.test("dynamic client registration is idempotent, validated and capped", async (t) => {
  await using server = await startTestServer({ DCR_MAX_PER_HOUR: "4" });
  await t.step("the same metadata registers to the same client", async () => {
    const a = await (await register(server)).json();
    const b = await (await register(server)).json();
    assertEquals(a.client_id, b.client_id);
    assertEquals(a.client_id_issued_at, b.client_id_issued_at);
    assertEquals(a.token_endpoint_auth_method, "none");
  });
  await t.step("different metadata registers a different client", async () => {
    assertNotEquals(
      await registeredClient(server, "Other"),
      await registeredClient(server, "Test client"),
    );
  });
  await t.step("claude.ai's callbacks are accepted", async () => {
    const response = await register(server, {
      client_name: "Claude",
      redirect_uris: [
        "https://claude.ai/api/mcp/auth_callback",
        "https://claude.com/api/mcp/auth_callback",
      ],
      token_endpoint_auth_method: "client_secret_post",
    });
    assertEquals(response.status, 201);
    const client = await response.json();
    assertEquals(client.token_endpoint_auth_method, "client_secret_post");
    assertEquals(client.client_secret_expires_at, 0);
    assertMatch(client.client_secret, /^[A-Za-z0-9_-]{43}$/);
  });
  await t.step(
    "a new client past the hourly cap gets a clear 429; known ones still work",
    async () => {
      const response = await register(server, {
        ...clientMetadataFor(CALLBACK),
        client_name: "Fourth",
      });
      const body = await expectError(response, "temporarily_unavailable", 429);
      assertStringIncludes(body.error_description, "limit 4");
      assert(response.headers.get("retry-after"));
      assertEquals((await register(server)).status, 201);
    },
  );
  for (
    const [label, uris, code] of [
      ["plain http to a remote host", ["http://evil.example.com/cb"], "invalid_redirect_uri"],
      ["a fragment", ["https://app.example.com/cb#x"], "invalid_redirect_uri"],
      ["a custom scheme", ["javascript:alert(1)"], "invalid_redirect_uri"],
      ["no redirect URIs", [], "invalid_client_metadata"],
    ] as const
  ) {
    await t.step(`refused: ${label}`, async () => {
      await expectError(await register(server, { redirect_uris: uris }), code);
    });
  }
});

Deno.test("authorize never redirects on its own before the person acts; errors stay on a page", async (t) => {
  await using server = await startTestServer();
  const clientId = await registeredClient(server);
  const { challenge } = await pkce();

  async function shownOnPage(url: URL, text: string) {
    const response = await fetch(url, { redirect: "manual" });
    assertEquals(response.status, 400);
    assertEquals(response.headers.get("location"), null);
    assertStringIncludes(await response.text(), text);
  }
  /** Refused on our page, never by an automatic redirect; a link takes the error back to the app. */
  async function refusedWithLink(url: URL, error: string) {
    const response = await fetch(url, { redirect: "manual" });
    assertEquals(response.status, 400);
    assertEquals(response.headers.get("location"), null);
    const html = await response.text();
    const href = /<a href="([^"]+)">Return to 127\.0\.0\.1:53682<\/a>/.exec(html)?.[1];
    assert(href, "no link back to the app");
    const back = new URL(href.replaceAll("&amp;", "&"));
    assertEquals(back.origin + back.pathname, CALLBACK);
    assertEquals(back.searchParams.get("error"), error);
    assertEquals(back.searchParams.get("state"), "st-123");
    assertEquals(back.searchParams.get("iss"), server.config.publicUrl);
  }

  await t.step(
    "unknown client: page",
    () =>
      shownOnPage(
        authorizeUrl(server, { client_id: "rr-nope", code_challenge: challenge }),
        "not recognised",
      ),
  );
  await t.step("redirect URI not registered: page, never a redirect", () =>
    shownOnPage(
      authorizeUrl(server, {
        client_id: clientId,
        code_challenge: challenge,
        redirect_uri: "https://attacker.example.com/cb",
      }),
      "not one the app registered",
    ));
  await t.step(
    "missing PKCE: invalid_request",
    () => refusedWithLink(authorizeUrl(server, { client_id: clientId }), "invalid_request"),
  );
  await t.step("plain PKCE: invalid_request", () =>
    refusedWithLink(
      authorizeUrl(server, {
        client_id: clientId,
        code_challenge: challenge,
        code_challenge_method: "plain",
      }),
      "invalid_request",
    ));
  await t.step("resource of another server: invalid_target", () =>
    refusedWithLink(
      authorizeUrl(server, {
        client_id: clientId,
        code_challenge: challenge,
        resource: "https://other.example.com/mcp",
      }),
      "invalid_target",
    ));
  await t.step("implicit flow: unsupported_response_type", () =>
    refusedWithLink(
      authorizeUrl(server, {
        client_id: clientId,
        code_challenge: challenge,
        response_type: "token",
      }),
      "unsupported_response_type",
    ));
  await t.step("unknown scopes are ignored: the sign-in page opens", async () => {
    for (const scope of ["mcp admin", "claudeai", "read write", "openid offline_access", ""]) {
      const response = await fetch(
        authorizeUrl(server, { client_id: clientId, code_challenge: challenge, scope }),
      );
      assertEquals(response.status, 200, scope);
      assertEquals(formsOf(await response.text())[0]?.action, "/authorize/signin");
    }
  });
  await t.step("Deny returns access_denied", async () => {
    const back = await signInAndDecide(
      authorizeUrl(server, { client_id: clientId, code_challenge: challenge }),
      "alice",
      "deny",
    );
    assertEquals(back.searchParams.get("error"), "access_denied");
    assertEquals(back.searchParams.get("state"), "st-123");
    assertEquals(back.searchParams.get("iss"), server.config.publicUrl);
    assertEquals(back.searchParams.get("code"), null);
  });
});

Deno.test("a consent decision counts once, even when submitted twice at the same moment", async () => {
  await using server = await startTestServer();
  const clientId = await registeredClient(server);
  const { challenge } = await pkce();
  const url = authorizeUrl(server, { client_id: clientId, code_challenge: challenge });
  const walker = new FormWalker();
  const signIn = await (await walker.request(url)).text();
  const consent = await (await walker.submit(url, formsOf(signIn)[0], { identity: "eve" })).text();
  const allow = formsOf(consent).find((f) => f.fields.decision === "allow")!;
  const answers = await Promise.all([walker.submit(url, allow), walker.submit(url, allow)]);
  const codes = answers.filter((r) => r.status === 303);
  assertEquals(codes.length, 1, `statuses ${answers.map((r) => r.status)}`);
  for (const r of answers) await r.body?.cancel();
});

Deno.test("sign-in pages resist framing and cross-site form posts", async (t) => {
  await using server = await startTestServer();
  const clientId = await registeredClient(server, "Framed <b>App</b>");
  const { challenge } = await pkce();
  const url = authorizeUrl(server, { client_id: clientId, code_challenge: challenge });
  const walker = new FormWalker();
  const page = await walker.request(url);
  const html = await page.text();

  await t.step("clickjacking and caching headers", () => {
    assertStringIncludes(
      page.headers.get("content-security-policy") ?? "",
      "frame-ancestors 'none'",
    );
    assertEquals(page.headers.get("x-frame-options"), "DENY");
    assertEquals(page.headers.get("cache-control"), "no-store");
  });
  await t.step("labelled as the development sign-in, client name escaped", () => {
    assertStringIncludes(html, "Development sign-in");
    assertStringIncludes(html, "Framed &lt;b&gt;App&lt;/b&gt;");
    assertEquals(html.includes("<b>App</b>"), false);
    assertEquals(html.includes("<script"), false);
  });
  const [form] = formsOf(html);
  await t.step("a post without the flow's cookie is refused", async () => {
    const stranger = new FormWalker();
    const response = await stranger.submit(url, form, { identity: "mallory" });
    assertEquals(response.status, 403);
    await response.body?.cancel();
  });
  await t.step("a post with a forged CSRF field is refused", async () => {
    const response = await walker.submit(url, form, { identity: "mallory", csrf: "forged" });
    assertEquals(response.status, 403);
    await response.body?.cancel();
  });
  await t.step("an empty name is asked for again", async () => {
    const response = await walker.submit(url, form, { identity: "   " });
    assertEquals(response.status, 400);
    assertStringIncludes(await response.text(), "Type a name");
  });
  await t.step(
    "the consent page names client, reader, scope, resource and return host",
    async () => {
      const response = await walker.submit(url, form, { identity: "Carol" });
      const consent = await response.text();
      for (
        const text of [
          "Framed &lt;b&gt;App&lt;/b&gt;",
          "Carol",
          "mcp",
          server.mcpUrl,
          "127.0.0.1:53682",
        ]
      ) {
        assertStringIncludes(consent, text);
      }
      assertStringIncludes(
        response.headers.get("content-security-policy") ?? "",
        "form-action 'self' http://127.0.0.1:53682",
      );
    },
  );
});

Deno.test("the token endpoint binds codes and rotates refresh tokens", async (t) => {
  await using server = await startTestServer();
  const clientId = await registeredClient(server);
  const otherClient = await registeredClient(server, "Another app");
  const base = { grant_type: "authorization_code", client_id: clientId, redirect_uri: CALLBACK };

  await t.step("wrong code_verifier: invalid_grant", async () => {
    const { code } = await codeFor(server, clientId);
    await expectError(
      await exchange(server, { ...base, code, code_verifier: randomSecret(48) }),
      "invalid_grant",
    );
  });
  await t.step("missing code_verifier: invalid_request", async () => {
    const { code } = await codeFor(server, clientId);
    await expectError(await exchange(server, { ...base, code }), "invalid_request");
  });
  await t.step("code of another client: invalid_grant", async () => {
    const { code, verifier } = await codeFor(server, clientId);
    await expectError(
      await exchange(server, { ...base, client_id: otherClient, code, code_verifier: verifier }),
      "invalid_grant",
    );
  });
  await t.step("redirect_uri differing from the request: invalid_grant", async () => {
    const { code, verifier } = await codeFor(server, clientId);
    await expectError(
      await exchange(server, {
        ...base,
        redirect_uri: "http://127.0.0.1:1/cb",
        code,
        code_verifier: verifier,
      }),
      "invalid_grant",
    );
  });
  await t.step("resource of another server: invalid_target", async () => {
    const { code, verifier } = await codeFor(server, clientId);
    await expectError(
      await exchange(server, {
        ...base,
        code,
        code_verifier: verifier,
        resource: "https://other.example.com/mcp",
      }),
      "invalid_target",
    );
  });
  await t.step(
    "a good exchange, then the code reused: refused, and its tokens revoked",
    async () => {
      const { code, verifier } = await codeFor(server, clientId);
      const ok = await exchange(server, {
        ...base,
        code,
        code_verifier: verifier,
        resource: server.mcpUrl,
      });
      assertEquals(ok.status, 200);
      assertEquals(ok.headers.get("cache-control"), "no-store");
      const tokens = await ok.json();
      assertEquals([tokens.token_type, tokens.expires_in, tokens.scope], ["Bearer", 86400, "mcp"]);
      assertMatch(tokens.refresh_token, /^kit_rt_/);
      await expectError(
        await exchange(server, { ...base, code, code_verifier: verifier }),
        "invalid_grant",
      );
      await expectError(
        await exchange(server, {
          grant_type: "refresh_token",
          client_id: clientId,
          refresh_token: tokens.refresh_token,
        }),
        "invalid_grant",
      );
    },
  );
  await t.step(
    "a retried refresh gets the same successor; reuse after the successor is used revokes the family",
    async () => {
      const { code, verifier } = await codeFor(server, clientId);
      const first = await (await exchange(server, { ...base, code, code_verifier: verifier }))
        .json();
      const refresh = (token: string, client = clientId) =>
        exchange(server, { grant_type: "refresh_token", client_id: client, refresh_token: token });
      await expectError(await refresh(first.refresh_token, otherClient), "invalid_grant");
      const second = await (await refresh(first.refresh_token)).json();
      assert(second.access_token && second.refresh_token !== first.refresh_token);
      const retried = await (await refresh(first.refresh_token)).json();
      assertEquals(retried.refresh_token, second.refresh_token, "the retry got the same successor");
      assertNotEquals(retried.access_token, second.access_token);
      const third = await (await refresh(second.refresh_token)).json();
      assertMatch(third.refresh_token, /^kit_rt_/);
      // The successor was used: the old token is now a replay, and the whole family ends.
      await expectError(await refresh(first.refresh_token), "invalid_grant");
      const body = await expectError(await refresh(third.refresh_token), "invalid_grant");
      assertStringIncludes(body.error_description, "revoked");
    },
  );
  await t.step("revocation ends the grant", async () => {
    const { code, verifier } = await codeFor(server, clientId);
    const tokens = await (await exchange(server, { ...base, code, code_verifier: verifier }))
      .json();
    const revoked = await fetch(`${server.config.publicUrl}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.refresh_token, client_id: clientId }),
    });
    assertEquals(revoked.status, 200);
    await revoked.body?.cancel();
    await expectError(
      await exchange(server, {
        grant_type: "refresh_token",
        client_id: clientId,
        refresh_token: tokens.refresh_token,
      }),
      "invalid_grant",
    );
  });
  await t.step("an unknown grant type and a JSON body are refused", async () => {
    await expectError(
      await exchange(server, { grant_type: "password", client_id: clientId }),
      "unsupported_grant_type",
    );
    const json = await fetch(`${server.config.publicUrl}/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(base),
    });
    await expectError(json, "invalid_request");
  });
});

Deno.test("client metadata documents on private addresses are refused (SSRF)", async (t) => {
  await using server = await startTestServer();
  const { challenge } = await pkce();
  for (
    const clientId of [
      "https://127.0.0.1:9/oauth/client.json",
      "https://10.0.0.8/oauth/client.json",
      "https://169.254.169.254/latest/meta-data/client.json",
      "https://[::1]/oauth/client.json",
      "https://localhost:9/oauth/client.json",
    ]
  ) {
    await t.step(clientId, async () => {
      const response = await fetch(
        authorizeUrl(server, { client_id: clientId, code_challenge: challenge }),
        {
          redirect: "manual",
        },
      );
      assertEquals(response.status, 400);
      assertStringIncludes(await response.text(), "client metadata document could not be fetched");
    });
  }
  await t.step(
    "a host that does not resolve and a private one get the very same page",
    async () => {
      const pageFor = async (clientId: string) => {
        const response = await fetch(
          authorizeUrl(server, { client_id: clientId, code_challenge: challenge }),
        );
        return [response.status, await response.text()];
      };
      const unresolvable = await pageFor("https://no-such-host.invalid/client.json");
      assertEquals(unresolvable, await pageFor("https://10.9.8.7/client.json"));
      assertEquals(
        unresolvable,
        await pageFor("https://no-such-host.invalid/client.json"),
        "cached",
      );
    },
  );
  for (
    const clientId of [
      `${server.config.publicUrl.replace("http:", "https:")}/authorize/client.json`,
      "https://app.example.com/client.json?x=1",
    ]
  ) {
    await t.step(`refused without fetching: ${clientId}`, async () => {
      const response = await fetch(
        authorizeUrl(server, { client_id: clientId, code_challenge: challenge }),
        {
          redirect: "manual",
        },
      );
      assertEquals(response.status, 400);
      assertMatch(await response.text(), /must not point at this server|without query/);
    });
  }
  await t.step("an http client_id URL is not a metadata document", async () => {
    const response = await fetch(
      authorizeUrl(server, {
        client_id: "http://app.example.com/client.json",
        code_challenge: challenge,
      }),
      { redirect: "manual" },
    );
    assertEquals(response.status, 400);
    await response.body?.cancel();
  });
});

Deno.test("on a public deployment every sign-in page warns that anyone can sign in", async () => {
  const kvDir = await Deno.makeTempDir();
  try {
    await using server = await startTestServer({
      DENO_DEPLOY: "1",
      DEV_SIGNIN_ON_DEPLOY: "1",
      PUBLIC_URL: "https://rr.example.test",
      SESSION_SIGNING_SECRET: "s".repeat(32),
      KV_PATH: `${kvDir}/kv.sqlite3`,
    });
    // The public name is not resolvable here: talk to the listening port, as a tunnel would.
    const local = (url: URL) => new URL(url.pathname + url.search, server.localOrigin);
    const registered = await fetch(`${server.localOrigin}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(clientMetadataFor(CALLBACK)),
    });
    const clientId = (await registered.json()).client_id;
    const { challenge } = await pkce();
    const walker = new FormWalker();
    const url = local(authorizeUrl(server, { client_id: clientId, code_challenge: challenge }));
    const signIn = await (await walker.request(url)).text();
    assertStringIncludes(signIn, "Anyone can sign in as anyone");
    const consent = await (await walker.submit(url, formsOf(signIn)[0], { identity: "x" })).text();
    assertStringIncludes(consent, "Anyone can sign in as anyone");
    const error = await (await fetch(local(authorizeUrl(server, { client_id: "nope" })))).text();
    assertStringIncludes(error, "Anyone can sign in as anyone");
  } finally {
    await Deno.remove(kvDir, { recursive: true });
  }
});

Deno.test("two sign-ins in one browser, on two servers of one machine, do not collide", async () => {
  await using first = await startTestServer();
  await using second = await startTestServer();
  // One cookie jar for both, as a browser keeps for localhost whatever the port.
  const browser = new FormWalker();
  const pages = [];
  for (const server of [first, second]) {
    const clientId = await registeredClient(server);
    const { challenge } = await pkce();
    const url = authorizeUrl(server, { client_id: clientId, code_challenge: challenge });
    const page = await browser.request(url);
    assertEquals(page.status, 200);
    pages.push({ url, form: formsOf(await page.text())[0] });
  }
  // The first flow, started before the second, continues.
  for (const { url, form } of pages) {
    const consent = await browser.submit(url, form, { identity: "Dana" });
    assertEquals(consent.status, 200, await consent.text());
  }
});
