import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import type { JWK } from "jose";
import {
  claimsFor,
  hmacWithPublicKey,
  signedByStranger,
  unsignedToken,
  withSignatureOf,
} from "../helpers/forge.ts";
import { INITIALIZE, readRpc, startTestServer } from "../helpers/server.ts";

const NO_ERROR_CHALLENGE =
  /^Bearer scope="mcp", resource_metadata="http:\/\/localhost:\d+\/\.well-known\/oauth-protected-resource\/mcp"$/;

Deno.test("the gate refuses every forged, stale or misdirected token with a 401 challenge", async (t) => {
  await using server = await startTestServer();
  const { issuer } = server.config.auth;
  const audience = server.config.resourceUrl;
  const jwks = await (await fetch(`${issuer}/.well-known/jwks.json`)).json() as { keys: JWK[] };
  const realKid = jwks.keys[0].kid!;
  const good = await server.mint();
  const now = Math.floor(Date.now() / 1000);

  /** Sends `initialize` with `authorization` and checks the answer is a 401 with `error`. */
  async function refused(authorization: string | null, error: string | null, url?: string) {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    };
    if (authorization !== null) headers.authorization = authorization;
    const response = await fetch(url ?? server.mcpUrl, {
      method: "POST",
      headers,
      body: JSON.stringify(INITIALIZE),
    });
    const body = await response.json();
    assertEquals(response.status, 401);
    const challenge = response.headers.get("www-authenticate") ?? "";
    assertStringIncludes(
      challenge,
      `resource_metadata="${issuer}/.well-known/oauth-protected-resource/mcp"`,
    );
    if (error === null) {
      assertMatch(challenge, NO_ERROR_CHALLENGE);
    } else {
      assertStringIncludes(challenge, `error="${error}"`);
      assertEquals(body.error, error);
    }
    // The challenge and body never echo the token back.
    for (const part of (authorization ?? "").split(/[ .]/).filter((p) => p.length > 20)) {
      assert(!challenge.includes(part) && !JSON.stringify(body).includes(part), "token echoed");
    }
    return body;
  }

  await t.step("no Authorization header", () => refused(null, null));
  await t.step("Basic scheme", () => refused("Basic YWxpY2U6c2VjcmV0", null));
  await t.step("empty bearer", () => refused("Bearer ", "invalid_token"));
  await t.step("garbage bearer", () => refused("Bearer not-a-jwt", "invalid_token"));
  await t.step("token in ?access_token= (even with a good header too)", async () => {
    await refused(null, "invalid_request", `${server.mcpUrl}?access_token=${good}`);
    await refused(`Bearer ${good}`, "invalid_request", `${server.mcpUrl}?access_token=${good}`);
  });
  await t.step(
    "alg: none",
    () => refused(`Bearer ${unsignedToken(claimsFor(issuer, audience), realKid)}`, "invalid_token"),
  );
  await t.step("HS256 signed with the public key as secret", async () =>
    refused(
      `Bearer ${await hmacWithPublicKey(jwks.keys[0], claimsFor(issuer, audience))}`,
      "invalid_token",
    ));
  await t.step("valid header and payload, wrong signature", async () => {
    const other = await server.mint({ sub: "bob" });
    await refused(`Bearer ${withSignatureOf(good, other)}`, "invalid_token");
  });
  await t.step("unknown kid", async () =>
    refused(
      `Bearer ${await signedByStranger(claimsFor(issuer, audience), "no-such-kid")}`,
      "invalid_token",
    ));
  await t.step("signed by a different key with the same kid", async () =>
    refused(
      `Bearer ${await signedByStranger(claimsFor(issuer, audience), realKid)}`,
      "invalid_token",
    ));
  await t.step("wrong iss", async () => {
    const body = await refused(
      `Bearer ${await server.mint({ issuer: "https://evil.example.com" })}`,
      "invalid_token",
    );
    assertEquals(body.error_description, "The token was issued by another issuer");
  });
  await t.step("aud names another resource", async () => {
    const body = await refused(
      `Bearer ${await server.mint({ audience: "https://other.example.com/mcp" })}`,
      "invalid_token",
    );
    assertEquals(body.error_description, "The token was not issued for this resource");
  });
  await t.step("aud missing", async () => {
    const { aud: _aud, ...payload } = claimsFor(issuer, audience);
    const body = await refused(
      `Bearer ${await signWithServerKey(server, payload)}`,
      "invalid_token",
    );
    assertEquals(body.error_description, "The token was not issued for this resource");
    await refused(`Bearer ${await server.mint({ audience: "" })}`, "invalid_token");
  });
  await t.step("expired (beyond the 60 s skew)", async () => {
    const body = await refused(`Bearer ${await server.mint({ ttlSeconds: -61 })}`, "invalid_token");
    assertEquals(body.error_description, "The token has expired");
  });
  await t.step("nbf in the future (beyond the skew)", async () => {
    // Minted "issued" two minutes from now: nbf/iat in the future.
    const future = await mintAt(server, now + 120);
    const body = await refused(`Bearer ${future}`, "invalid_token");
    assertMatch(body.error_description, /not valid yet|issue time/);
  });
  await t.step("sub missing", async () => {
    const { sub: _sub, ...payload } = claimsFor(issuer, audience);
    const body = await refused(
      `Bearer ${await signWithServerKey(server, payload)}`,
      "invalid_token",
    );
    assertEquals(body.error_description, "The token names no subject");
  });
  await t.step("sub empty", async () => {
    await refused(`Bearer ${await server.mint({ sub: "" })}`, "invalid_token");
    await refused(`Bearer ${await server.mint({ sub: "   " })}`, "invalid_token");
  });
  await t.step(
    "a subject that cannot be stored (NUL, unpaired surrogate, 256 characters)",
    async () => {
      for (const sub of ["alice\u0000", "\ud800bob", "s".repeat(256)]) {
        const body = await refused(`Bearer ${await server.mint({ sub })}`, "invalid_token");
        assertEquals(body.error_description, "The token's subject is not acceptable");
      }
    },
  );
  await t.step("a token of another kind (typ: dpop+jwt) signed by the right key", async () => {
    const body = await refused(
      `Bearer ${await signWithServerKey(server, claimsFor(issuer, audience), "dpop+jwt")}`,
      "invalid_token",
    );
    assertEquals(body.error_description, "The token is not an access token");
  });

  await t.step("a valid token works", async () => {
    const response = await server.post(INITIALIZE, { authorization: `Bearer ${good}` });
    assertEquals(response.status, 200);
    const rpc = await readRpc(response);
    assertEquals((rpc.result as { protocolVersion: string }).protocolVersion, "2025-11-25");
  });
  await t.step("within the 60 s skew an expired token still works", async () => {
    const response = await server.post(INITIALIZE, {
      authorization: `Bearer ${await server.mint({ ttlSeconds: -30 })}`,
    });
    assertEquals(response.status, 200);
    await response.body?.cancel();
  });
});

Deno.test("a token without the required scope is refused with 403 insufficient_scope", async () => {
  await using server = await startTestServer();
  const response = await server.post(INITIALIZE, {
    authorization: `Bearer ${await server.mint({ scope: "profile email" })}`,
  });
  assertEquals(response.status, 403);
  const challenge = response.headers.get("www-authenticate") ?? "";
  assertStringIncludes(challenge, 'error="insufficient_scope"');
  assertStringIncludes(challenge, 'scope="mcp"');
  assertStringIncludes(challenge, "resource_metadata=");
  assertEquals((await response.json()).error, "insufficient_scope");
});

Deno.test("the verified sub reaches the tool; arguments cannot name another user", async (t) => {
  await using server = await startTestServer();
  const call = async (sub: string, args: Record<string, unknown>) => {
    const response = await server.post(
      { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "health", arguments: args } },
      {
        authorization: `Bearer ${await server.mint({ sub })}`,
        "mcp-protocol-version": "2025-11-25",
      },
    );
    assertEquals(response.status, 200);
    return await readRpc(response);
  };
  await t.step("each caller sees their own sub", async () => {
    for (const sub of ["alice", "bob"]) {
      const rpc = await call(sub, {});
      const result = rpc.result as { structuredContent: { signedInAs: string } };
      assertEquals(result.structuredContent.signedInAs, sub);
    }
  });
  await t.step("an argument naming a user is rejected, not obeyed", async () => {
    const rpc = await call("alice", { sub: "bob" });
    const text = JSON.stringify(rpc);
    assert(!text.includes('"signedInAs":"bob"'), "argument overrode the verified identity");
    const failed = rpc.error !== undefined || (rpc.result as { isError?: boolean }).isError;
    assert(failed, `unknown argument was accepted: ${text}`);
  });
});

/** Signs a raw payload with the server's development key. */
async function signWithServerKey(
  server: { config: { dataDir: string } },
  payload: Record<string, unknown>,
  typ = "at+jwt",
): Promise<string> {
  const { SignJWT } = await import("jose");
  const { loadOrCreateSigningKey } = await import("../../src/signin/signing_key.ts");
  const key = await loadOrCreateSigningKey(server.config.dataDir);
  return await new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
    .sign(key.privateKey);
}

/** A server-signed token whose `iat`/`nbf` is `at`. */
function mintAt(
  server: { config: { dataDir: string; auth: { issuer: string }; resourceUrl: string } },
  at: number,
) {
  return signWithServerKey(server, {
    ...claimsFor(server.config.auth.issuer, server.config.resourceUrl, "alice"),
    iat: at,
    nbf: at,
    exp: at + 300,
  });
}
