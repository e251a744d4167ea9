import { assert, assertEquals, assertRejects } from "@std/assert";
import { cachedVerifier, revocationChecked } from "../../src/auth/access_verifier.ts";
import { AuthError } from "../../src/auth/errors.ts";
import { localKeys } from "../../src/auth/key_source.ts";
import { verifyAccessToken } from "../../src/auth/verify_access_token.ts";
import { openKvHandle } from "../../src/kv/kv_handle.ts";
import { issueAccessToken } from "../../src/signin/access_token.ts";
import {
  isGrantRevoked,
  issueAuthorizationCode,
  pkceChallenge,
  redeemAuthorizationCode,
  REFRESH_GRACE_MS,
  revokeRefreshToken,
  rotateRefreshToken,
} from "../../src/signin/grants.ts";
import { randomSecret } from "../../src/signin/kv_records.ts";
import { loadOrCreateSigningKey, publicJwks } from "../../src/signin/signing_key.ts";
import { INITIALIZE, startTestServer, type TestServer } from "../helpers/server.ts";
import { registeredClient, tokenRequest, tokensFor } from "../helpers/signin_flow.ts";

const ISSUER = "http://localhost:1";
const RESOURCE = "http://localhost:1/mcp";

Deno.test("a revoked grant's access tokens stop within the check interval, whatever the verification cache holds", async (t) => {
  const dir = await Deno.makeTempDir();
  const kv = await openKvHandle(`${dir}/kv.sqlite3`);
  try {
    const db = await kv.get();
    const key = await loadOrCreateSigningKey(dir);
    const policy = {
      issuer: ISSUER,
      audience: RESOURCE,
      keys: localKeys(publicJwks(key)),
      requiredScopes: ["mcp"],
    };
    let clock = Date.now();
    const now = () => clock;
    let kvDown = false;
    const verify = revocationChecked(
      cachedVerifier((token) => verifyAccessToken(token, policy), now),
      (grantId) => kvDown ? Promise.reject(new Error("KV down")) : isGrantRevoked(db, grantId),
      now,
    );

    /** A real grant: code issued, redeemed; returns its access token and refresh token. */
    const grant = async () => {
      const verifier = randomSecret(48);
      const code = await issueAuthorizationCode(db, {
        clientId: "c",
        sub: "alice",
        scope: "mcp",
        resource: RESOURCE,
        redirectUri: "http://127.0.0.1/cb",
        codeChallenge: await pkceChallenge(verifier),
      });
      const issued = await redeemAuthorizationCode(db, {
        code,
        clientId: "c",
        redirectUri: "http://127.0.0.1/cb",
        codeVerifier: verifier,
      }, 3600);
      const accessToken = await issueAccessToken(key, {
        issuer: ISSUER,
        audience: RESOURCE,
        sub: "alice",
        scope: "mcp",
        clientId: "c",
        grantId: issued.familyId,
        ttlSeconds: 3600,
      });
      return { accessToken, refreshToken: issued.refreshToken };
    };
    const refusedAsRevoked = async (token: string) => {
      const error = await assertRejects(() => verify(token), AuthError) as AuthError;
      assertEquals(error.code, "invalid_token");
    };

    await t.step("refresh-token reuse: refused once the check interval has passed", async () => {
      const { accessToken, refreshToken } = await grant();
      assertEquals((await verify(accessToken)).identity.sub, "alice"); // now cached for 5 minutes
      const rotate = () =>
        rotateRefreshToken(db, { refreshToken, clientId: "c" }, key.secretsKey, now);
      await rotate();
      clock += REFRESH_GRACE_MS;
      await assertRejects(rotate); // reuse after the retry grace
      clock += 31_000;
      await refusedAsRevoked(accessToken);
    });
    await t.step("/revoke's path: refused within the minute", async () => {
      const { accessToken, refreshToken } = await grant();
      await verify(accessToken);
      await revokeRefreshToken(db, refreshToken, "c");
      clock += 59_000;
      await refusedAsRevoked(accessToken);
    });
    await t.step("a grant that is fine stays fine", async () => {
      const { accessToken } = await grant();
      await verify(accessToken);
      clock += 120_000;
      assertEquals((await verify(accessToken)).identity.sub, "alice");
    });
    await t.step(
      "when the check cannot be made, the request is refused (503), not let through",
      async () => {
        const { accessToken } = await grant();
        kvDown = true;
        const error = await assertRejects(() => verify(accessToken), AuthError) as AuthError;
        assertEquals(error.code, "issuer_unavailable");
        kvDown = false;
        assert(await verify(accessToken), "a failed check is not remembered");
      },
    );
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

async function mcpStatus(server: TestServer, accessToken: string): Promise<number> {
  const response = await server.post(INITIALIZE, { authorization: `Bearer ${accessToken}` });
  await response.body?.cancel();
  return response.status;
}

Deno.test("at /mcp, access tokens of a revoked family are refused", async (t) => {
  await using server = await startTestServer();
  const clientId = await registeredClient(server);
  const refresh = (refreshToken: string) =>
    tokenRequest(server, {
      grant_type: "refresh_token",
      client_id: clientId,
      refresh_token: refreshToken,
    });

  await t.step("after a rotated refresh token is reused (its successor already used)", async () => {
    const first = await tokensFor(server, clientId, "reuse-victim");
    const second = await (await refresh(first.refresh_token)).json();
    const third = await (await refresh(second.refresh_token)).json();
    const replay = await refresh(first.refresh_token);
    assertEquals(replay.status, 400);
    await replay.body?.cancel();
    assertEquals(await mcpStatus(server, first.access_token), 401);
    assertEquals(await mcpStatus(server, second.access_token), 401);
    assertEquals(await mcpStatus(server, third.access_token), 401);
  });
  await t.step("not after a retried refresh within the grace", async () => {
    const first = await tokensFor(server, clientId, "retrier");
    const second = await (await refresh(first.refresh_token)).json();
    const retried = await (await refresh(first.refresh_token)).json();
    assertEquals(retried.refresh_token, second.refresh_token);
    assertEquals(await mcpStatus(server, retried.access_token), 200);
    assertEquals(await mcpStatus(server, second.access_token), 200);
  });
  await t.step("after /revoke", async () => {
    const tokens = await tokensFor(server, clientId, "revoker");
    const revoked = await fetch(`${server.config.publicUrl}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.refresh_token, client_id: clientId }),
    });
    assertEquals(revoked.status, 200);
    await revoked.body?.cancel();
    assertEquals(await mcpStatus(server, tokens.access_token), 401);
  });
  await t.step(
    "after /revoke with the access token: the whole grant, refresh token too",
    async () => {
      const otherClient = await registeredClient(server, "Other app");
      const other = await tokensFor(server, otherClient, "revoker-2");
      const tokens = await tokensFor(server, clientId, "revoker-2");
      const revoke = async (token: string, client: string) => {
        const response = await fetch(`${server.config.publicUrl}/revoke`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ token, client_id: client, token_type_hint: "access_token" }),
        });
        await response.body?.cancel();
        return response.status;
      };
      // Another client cannot revoke it, nor can a copy with a forged signature.
      const [header, payload] = tokens.access_token.split(".");
      assertEquals(await revoke(tokens.access_token, otherClient), 200);
      assertEquals(await revoke(`${header}.${payload}.${"A".repeat(86)}`, clientId), 200);
      const stillLive = await refresh(tokens.refresh_token);
      assertEquals(stillLive.status, 200, "the grant survived both");
      const { refresh_token: next } = await stillLive.json();

      assertEquals(await revoke(tokens.access_token, clientId), 200);
      assertEquals(await mcpStatus(server, tokens.access_token), 401);
      const refused = await refresh(next);
      assertEquals(refused.status, 400);
      assertEquals((await refused.json()).error, "invalid_grant");
      // The same person's grant with another app is untouched.
      assertEquals(await mcpStatus(server, other.access_token), 200);
    },
  );
  await t.step(
    "a live grant's token works; with KV gone it is refused 503, not let through",
    async () => {
      const tokens = await tokensFor(server, clientId, "steady");
      assertEquals(await mcpStatus(server, tokens.access_token), 200);
      const other = await tokensFor(server, clientId, "steady-2");
      server.resources.kv.close();
      assertEquals(await mcpStatus(server, other.access_token), 503);
    },
  );
});
