import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import type { AuthError } from "../../src/auth/errors.ts";
import { remoteKeys } from "../../src/auth/key_source.ts";
import { verifyAccessToken } from "../../src/auth/verify_access_token.ts";
import { Hono } from "hono";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { INITIALIZE, startTestServer } from "../helpers/server.ts";

/** A stand-in external authorization server on a real port that counts its JWKS fetches. */
async function startIssuer(
  options: {
    path?: string;
    oidcOnly?: boolean;
    claimIssuer?: string;
    scopesSupported?: string[];
    /** Serve the metadata at the origin's well-known path too, as some path-based issuers do. */
    rootMetadata?: boolean;
    /** Answer every unknown path with a page of HTML (an app's catch-all), 200. */
    catchAll?: boolean;
  } = {},
) {
  const keyPair = async (kid: string) => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
  };
  let keys = [await keyPair("issuer-key-1")];
  const counts = { jwks: 0, metadata: 0 };
  let issuer = "";
  let up = true;
  let keysUp = true;
  const app = new Hono();
  app.use("*", async (c, next) => (up ? await next() : c.text("down", 503)));
  app.use("/keys", async (c, next) => {
    if (keysUp) return await next();
    counts.jwks++;
    return c.text("keys down", 500);
  });
  const metadata = () => ({
    issuer: options.claimIssuer ?? issuer,
    jwks_uri: `${origin}/keys`,
    ...(options.scopesSupported ? { scopes_supported: options.scopesSupported } : {}),
  });
  if (options.rootMetadata) {
    app.get("/.well-known/oauth-authorization-server", (c) => c.json(metadata()));
  }
  if (!options.oidcOnly) {
    app.get(`/.well-known/oauth-authorization-server${options.path ?? ""}`, (c) => {
      counts.metadata++;
      return c.json(metadata());
    });
  }
  app.get(`${options.path ?? ""}/.well-known/openid-configuration`, (c) => {
    counts.metadata++;
    return c.json(metadata());
  });
  app.get("/keys", (c) => {
    counts.jwks++;
    return c.json({ keys: keys.map((k) => k.jwk) });
  });
  if (options.catchAll) app.get("*", (c) => c.html("<!doctype html><p>the app</p>"));
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, app.fetch);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  issuer = `${origin}${options.path ?? ""}`;
  return {
    issuer,
    counts,
    setUp: (value: boolean) => (up = value),
    /** The key endpoint alone fails (its metadata still answers). */
    setKeysUp: (value: boolean) => (keysUp = value),
    /**
     * Makes a new key (slow for RSA) and answers the rotation itself: publishing it (the old one
     * stays published) and signing with it from then on.
     */
    prepareRotation: async (kid: string) => {
      const next = await keyPair(kid);
      return () => {
        keys = [next, ...keys];
      };
    },
    sign: (payload: Record<string, unknown>, kid?: string) =>
      new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: kid ?? keys[0].jwk.kid })
        .sign(keys[0].privateKey),
    close: () => server.shutdown(),
  };
}

function payloadFor(issuer: string, audience: string) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    aud: [audience, "other"],
    sub: "auth0|reader-1",
    scp: ["mcp"],
    iat: now,
    exp: now + 300,
  };
}

Deno.test("an external issuer's tokens are verified through discovered JWKS", async (t) => {
  for (
    const variant of [{ name: "RFC 8414", path: "/tenant" }, {
      name: "OIDC fallback",
      oidcOnly: true,
    }, {
      name: "OIDC fallback behind an app that answers HTML everywhere else",
      path: "/tenant",
      oidcOnly: true,
      catchAll: true,
    }]
  ) {
    await t.step(variant.name, async () => {
      const issuer = await startIssuer(variant);
      try {
        await using server = await startTestServer({ AUTH_ISSUER: issuer.issuer });
        const good = await issuer.sign(payloadFor(issuer.issuer, server.mcpUrl));
        const response = await server.post(INITIALIZE, { authorization: `Bearer ${good}` });
        assertEquals(response.status, 200);
        await response.body?.cancel();
        // PRM points hosts at the external issuer.
        const prm =
          await (await fetch(`${server.config.publicUrl}/.well-known/oauth-protected-resource/mcp`))
            .json();
        assertEquals(prm.authorization_servers, [issuer.issuer]);
        // The development issuer is off: no JWKS of ours, and our own key is not trusted.
        assertEquals((await fetch(`${server.config.publicUrl}/.well-known/jwks.json`)).status, 404);
        // (Its kid is not the issuer's: refused, or — within the refetch cooldown, when a kid
        // cannot be judged yet — 503; never served.)
        const ours = await server.mint({ issuer: issuer.issuer });
        const refused = await server.post(INITIALIZE, { authorization: `Bearer ${ours}` });
        await refused.body?.cancel();
        assert([401, 503].includes(refused.status), `${refused.status}`);
      } finally {
        await issuer.close();
      }
    });
  }
});

Deno.test("a flood of unknown kids refetches the issuer's JWKS at most once per cooldown", async () => {
  const issuer = await startIssuer();
  try {
    await using server = await startTestServer({ AUTH_ISSUER: issuer.issuer });
    const payload = payloadFor(issuer.issuer, server.mcpUrl);
    const good = await issuer.sign(payload);
    assertEquals((await server.post(INITIALIZE, { authorization: `Bearer ${good}` })).status, 200);
    const before = issuer.counts.jwks;
    assertEquals(before, 1);
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const forged = await issuer.sign(payload, `made-up-${i}`);
        const response = await server.post(INITIALIZE, { authorization: `Bearer ${forged}` });
        await response.body?.cancel();
        return response.status;
      }),
    );
    // Within the cooldown an unknown kid cannot be judged yet (the issuer may just have rotated):
    // 503 with when to retry, never a 401 that makes a host drop the person's tokens.
    assert(statuses.every((s) => s === 503), `unexpected statuses ${statuses}`);
    assert(issuer.counts.jwks - before <= 1, `JWKS fetched ${issuer.counts.jwks - before} times`);
    assertEquals(issuer.counts.metadata, 1);
  } finally {
    await issuer.close();
  }
});

Deno.test("an unreachable or mismatched issuer fails closed with 503, never a pass", async (t) => {
  await t.step(
    "issuer down: 503 for every request, and it is not asked again at once",
    async () => {
      const issuer = await startIssuer();
      try {
        // Down from the start (once its keys are fetched, they serve while it is down).
        issuer.setUp(false);
        await using server = await startTestServer({ AUTH_ISSUER: issuer.issuer });
        const good = await issuer.sign(payloadFor(issuer.issuer, server.mcpUrl));
        for (let i = 0; i < 20; i++) {
          const down = await server.post(INITIALIZE, { authorization: `Bearer ${good}` });
          assertEquals(down.status, 503);
          assertEquals((await down.json()).error, "temporarily_unavailable");
        }
        assertEquals(issuer.counts.metadata, 0, "a down issuer's 503s are not counted as answers");
      } finally {
        await issuer.close();
      }
    },
  );
  await t.step("issuer down at first use, then back: keys are found again", async () => {
    const issuer = await startIssuer();
    try {
      const keys = remoteKeys({ issuer: issuer.issuer, discoveryRetryMs: 0 });
      const policy = {
        issuer: issuer.issuer,
        audience: "https://rr.example/mcp",
        keys,
        requiredScopes: ["mcp"],
      };
      const token = await issuer.sign(payloadFor(issuer.issuer, "https://rr.example/mcp"));
      issuer.setUp(false);
      const error = await assertRejects(() => verifyAccessToken(token, policy));
      assertEquals((error as AuthError).code, "issuer_unavailable");
      issuer.setUp(true);
      assertEquals((await verifyAccessToken(token, policy)).identity.sub, "auth0|reader-1");
    } finally {
      await issuer.close();
    }
  });
  await t.step("metadata naming another issuer is not trusted, and says so", async () => {
    const issuer = await startIssuer({ claimIssuer: "https://evil.example.com" });
    try {
      const keys = remoteKeys({ issuer: issuer.issuer });
      const policy = { issuer: issuer.issuer, audience: "https://rr.example/mcp", keys };
      const token = await issuer.sign(payloadFor(issuer.issuer, "https://rr.example/mcp"));
      const error = await assertRejects(() =>
        verifyAccessToken(token, { ...policy, requiredScopes: ["mcp"] })
      ) as AuthError;
      assertEquals(error.code, "issuer_unavailable");
      assertEquals(error.reason, "issuer_mismatch");
      assertStringIncludes(error.message, `AUTH_ISSUER is "${issuer.issuer}"`);
      assertStringIncludes(error.message, '"https://evil.example.com"');
      assertEquals((await keys.check()).state, "mismatch");
      assertEquals(issuer.counts.jwks, 0);
    } finally {
      await issuer.close();
    }
  });
});

Deno.test("AUTH_ISSUER one character off what the issuer calls itself stops the start, naming both", async (t) => {
  for (
    const [name, options, configured] of [
      ["a trailing slash the issuer does not have", {}, (i: string) => `${i}/`],
      ["the issuer's base path left out", { path: "/api/auth", rootMetadata: true }, (
        i: string,
      ) => i.replace("/api/auth", "")],
      [
        "a URL with no metadata at all",
        { path: "/api/auth" },
        (i: string) => i.replace("/api/auth", "/auth"),
      ],
    ] as const
  ) {
    await t.step(name, async () => {
      const issuer = await startIssuer(options);
      try {
        const wrong = configured(issuer.issuer);
        const error = await assertRejects(() => startTestServer({ AUTH_ISSUER: wrong }));
        assertStringIncludes(String(error), `AUTH_ISSUER is "${wrong}"`);
        if (name === "a URL with no metadata at all") {
          assertStringIncludes(String(error), "no authorization server metadata at");
        } else assertStringIncludes(String(error), `set AUTH_ISSUER=${issuer.issuer}`);
      } finally {
        await issuer.close();
      }
    });
  }
});

Deno.test("a key rotated within the refetch cooldown is 503 with Retry-After, then accepted", async () => {
  const issuer = await startIssuer();
  try {
    const keys = remoteKeys({ issuer: issuer.issuer, cooldownMs: 1_000 });
    const audience = "https://rr.example/mcp";
    const policy = { issuer: issuer.issuer, audience, keys, requiredScopes: ["mcp"] };
    const first = await issuer.sign(payloadFor(issuer.issuer, audience));
    const rotate = await issuer.prepareRotation("issuer-key-2");
    assertEquals((await verifyAccessToken(first, policy)).identity.sub, "auth0|reader-1");
    rotate();
    const rotated = await issuer.sign(payloadFor(issuer.issuer, audience));
    const error = await assertRejects(() => verifyAccessToken(rotated, policy)) as AuthError;
    assertEquals(error.code, "issuer_unavailable");
    assertEquals(error.reason, "unknown_kid");
    assert(
      error.retryAfterSeconds > 0 && error.retryAfterSeconds <= 1,
      `${error.retryAfterSeconds}`,
    );
    await new Promise((r) => setTimeout(r, 1_050));
    assertEquals((await verifyAccessToken(rotated, policy)).identity.sub, "auth0|reader-1");
    // A kid still unknown right after a fresh fetch is a verdict: refused.
    await new Promise((r) => setTimeout(r, 1_050));
    const made = await issuer.sign(payloadFor(issuer.issuer, audience), "never-published");
    const refused = await assertRejects(() => verifyAccessToken(made, policy)) as AuthError;
    assertEquals([refused.code, refused.reason], ["invalid_token", "unknown_kid"]);
    // Within the cooldown that fetch started, the same kid is known to be absent: still a verdict.
    const again = await assertRejects(() => verifyAccessToken(made, policy)) as AuthError;
    assertEquals([again.code, again.reason], ["invalid_token", "unknown_kid"]);
  } finally {
    await issuer.close();
  }
});

Deno.test("hosts are told to request offline_access where the issuer offers it; tokens never need it", async (t) => {
  const challengeScope = async (server: { post: (b: unknown) => Promise<Response> }) => {
    const response = await server.post(INITIALIZE);
    await response.body?.cancel();
    return /scope="([^"]*)"/.exec(response.headers.get("www-authenticate") ?? "")?.[1];
  };
  const prmScopes = async (publicUrl: string) =>
    (await (await fetch(`${publicUrl}/.well-known/oauth-protected-resource/mcp`)).json())
      .scopes_supported;
  await t.step("offered: the challenge and the metadata ask for it", async () => {
    const issuer = await startIssuer({ scopesSupported: ["openid", "mcp", "offline_access"] });
    try {
      await using server = await startTestServer({ AUTH_ISSUER: issuer.issuer });
      assertEquals(await challengeScope(server), "mcp offline_access");
      assertEquals(await prmScopes(server.config.publicUrl), ["mcp", "offline_access"]);
      // A token without offline_access is still accepted.
      const good = await issuer.sign(payloadFor(issuer.issuer, server.mcpUrl));
      const response = await server.post(INITIALIZE, { authorization: `Bearer ${good}` });
      assertEquals(response.status, 200);
      await response.body?.cancel();
    } finally {
      await issuer.close();
    }
  });
  await t.step("not offered: the required scopes only", async () => {
    const issuer = await startIssuer({ scopesSupported: ["openid", "mcp"] });
    try {
      await using server = await startTestServer({ AUTH_ISSUER: issuer.issuer });
      assertEquals(await challengeScope(server), "mcp");
      assertEquals(await prmScopes(server.config.publicUrl), ["mcp"]);
    } finally {
      await issuer.close();
    }
  });
  await t.step("AUTH_REQUEST_SCOPES says it outright", async () => {
    const issuer = await startIssuer();
    try {
      await using server = await startTestServer({
        AUTH_ISSUER: issuer.issuer,
        AUTH_REQUEST_SCOPES: "mcp offline_access profile",
      });
      assertEquals(await challengeScope(server), "mcp offline_access profile");
    } finally {
      await issuer.close();
    }
  });
});

Deno.test("every refusal at /mcp logs its reason; an opaque token is named as not a JWT", async () => {
  const issuer = await startIssuer();
  try {
    await using server = await startTestServer({ AUTH_ISSUER: issuer.issuer });
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string | undefined][] = [
      ["not_a_jwt", "2YotnFZFEjr1zCsicMWpAA"],
      [
        "expired",
        await issuer.sign({ ...payloadFor(issuer.issuer, server.mcpUrl), exp: now - 600 }),
      ],
      ["wrong_audience", await issuer.sign(payloadFor(issuer.issuer, "https://other.example/mcp"))],
      [
        "wrong_issuer",
        await issuer.sign({
          ...payloadFor(issuer.issuer, server.mcpUrl),
          iss: "https://x.example",
        }),
      ],
      [
        "insufficient_scope",
        await issuer.sign({ ...payloadFor(issuer.issuer, server.mcpUrl), scp: ["read"] }),
      ],
      ["missing_token", undefined],
    ];
    for (const [reason, token] of cases) {
      const requestId = crypto.randomUUID();
      const response = await server.post(INITIALIZE, {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        "x-request-id": requestId,
      });
      const body = await response.json();
      if (reason === "not_a_jwt") {
        assertEquals(response.status, 401);
        assertStringIncludes(body.error_description, "not a JWT; configure the issuer");
      }
      const line = await server.logLine((l) => l.requestId === requestId);
      assertEquals(line.authReason, reason, JSON.stringify(line));
      assert(!JSON.stringify(line).includes(token ?? "\u0000"), "the token reached the log");
    }
  } finally {
    await issuer.close();
  }
});

Deno.test("/readyz reports the issuer: answering, or unreachable (then not ready)", async () => {
  const issuer = await startIssuer();
  try {
    {
      await using server = await startTestServer({ AUTH_ISSUER: issuer.issuer });
      const ready = await (await fetch(`${server.localOrigin}/readyz`)).json();
      assertEquals([ready.status, ready.checks.issuer], ["ready", "ok"]);
    }
    issuer.setUp(false);
    // Down at start: development says so and starts; /mcp and /readyz say what is wrong.
    await using server = await startTestServer({ AUTH_ISSUER: issuer.issuer });
    const response = await fetch(`${server.localOrigin}/readyz`);
    const down = await response.json();
    assertEquals([down.status, down.checks.issuer], ["not ready", "unreachable"]);
    assertStringIncludes(down.issuerProblem, "503");
    assertEquals(response.status, 503);
  } finally {
    await issuer.close();
  }
});

Deno.test("keys that cannot be fetched: a stream of tokens makes one fetch per retry pause, not one each", async () => {
  const issuer = await startIssuer();
  try {
    const keys = remoteKeys({ issuer: issuer.issuer, cacheMaxAgeMs: 0, discoveryRetryMs: 60_000 });
    const audience = "https://rr.example/mcp";
    const policy = { issuer: issuer.issuer, audience, keys, requiredScopes: ["mcp"] };
    issuer.setKeysUp(false);
    const tokens = await Promise.all(
      Array.from(
        { length: 30 },
        (_, i) => issuer.sign(payloadFor(issuer.issuer, audience), i % 2 ? `junk-${i}` : undefined),
      ),
    );
    for (const token of tokens) {
      const error = await assertRejects(() => verifyAccessToken(token, policy)) as AuthError;
      assertEquals([error.code, error.reason], ["issuer_unavailable", "issuer_unreachable"]);
      assert(error.retryAfterSeconds > 0 && error.retryAfterSeconds <= 60);
    }
    assertEquals(issuer.counts.jwks, 1, "one fetch for the whole stream");
    assertEquals(issuer.counts.metadata, 1);
  } finally {
    await issuer.close();
  }
});
