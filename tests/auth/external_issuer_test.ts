import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import type { AuthError } from "../../src/auth/errors.ts";
import { remoteKeys } from "../../src/auth/key_source.ts";
import { verifyAccessToken } from "../../src/auth/verify_access_token.ts";
import { Hono } from "hono";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { INITIALIZE, startTestServer } from "../helpers/server.ts";

/** A stand-in external authorization server on a real port that counts its JWKS fetches. */
async function startIssuer(
  options: { path?: string; oidcOnly?: boolean; claimIssuer?: string } = {},
) {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "issuer-key-1", alg: "RS256", use: "sig" };
  const counts = { jwks: 0, metadata: 0 };
  let issuer = "";
  let up = true;
  const app = new Hono();
  app.use("*", async (c, next) => (up ? await next() : c.text("down", 503)));
  const metadata = () => ({ issuer: options.claimIssuer ?? issuer, jwks_uri: `${origin}/keys` });
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
    return c.json({ keys: [jwk] });
  });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, app.fetch);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  issuer = `${origin}${options.path ?? ""}`;
  return {
    issuer,
    counts,
    setUp: (value: boolean) => (up = value),
    sign: (payload: Record<string, unknown>, kid = "issuer-key-1") =>
      new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid }).sign(privateKey),
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
        const ours = await server.mint({ issuer: issuer.issuer });
        assertEquals(
          (await server.post(INITIALIZE, { authorization: `Bearer ${ours}` })).status,
          401,
        );
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
    assert(statuses.every((s) => s === 401), `unexpected statuses ${statuses}`);
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
        await using server = await startTestServer({ AUTH_ISSUER: issuer.issuer });
        const good = await issuer.sign(payloadFor(issuer.issuer, server.mcpUrl));
        issuer.setUp(false);
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
  await t.step("metadata naming another issuer is not trusted", async () => {
    const issuer = await startIssuer({ claimIssuer: "https://evil.example.com" });
    try {
      await using server = await startTestServer({ AUTH_ISSUER: issuer.issuer });
      const good = await issuer.sign(payloadFor(issuer.issuer, server.mcpUrl));
      const response = await server.post(INITIALIZE, { authorization: `Bearer ${good}` });
      assertEquals(response.status, 503);
      assertStringIncludes((await response.json()).error_description, "issuer");
      assertEquals(issuer.counts.jwks, 0);
    } finally {
      await issuer.close();
    }
  });
});
