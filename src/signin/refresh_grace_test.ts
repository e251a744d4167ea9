import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import {
  GrantError,
  isGrantRevoked,
  issueAuthorizationCode,
  pkceChallenge,
  redeemAuthorizationCode,
  REFRESH_GRACE_MS,
  rotateRefreshToken,
} from "./grants.ts";
import { hashSecret } from "./kv_records.ts";
import { signinKeys } from "./kv_keys.ts";

const RESOURCE = "http://localhost:8000/mcp";
const VERIFIER = "v".repeat(43);

async function withKv(work: (kv: Deno.Kv, key: CryptoKey) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const kv = await Deno.openKv(`${dir}/kv.sqlite3`);
  const key = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  try {
    await work(kv, key);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A fresh grant for `clientId`: its first refresh token and family id. */
async function grant(kv: Deno.Kv, clientId = "kit-a") {
  const code = await issueAuthorizationCode(kv, {
    clientId,
    sub: "dev-alice",
    scope: "mcp",
    resource: RESOURCE,
    redirectUri: "http://127.0.0.1:1/cb",
    codeChallenge: await pkceChallenge(VERIFIER),
  });
  return await redeemAuthorizationCode(kv, {
    code,
    clientId,
    redirectUri: "http://127.0.0.1:1/cb",
    codeVerifier: VERIFIER,
  }, 3600);
}

async function refused(promise: () => Promise<unknown>, code = "invalid_grant") {
  const error = await assertRejects(promise, GrantError) as GrantError;
  assertEquals(error.code, code);
  return error;
}

Deno.test("a rotated refresh token answers a retry within the grace, and only then", async (t) => {
  await withKv(async (kv, key) => {
    const T0 = Date.now();
    const at = (ms: number) => () => T0 + ms;
    const rotate = (
      refreshToken: string,
      now: () => number,
      clientId = "kit-a",
      resource?: string,
    ) => rotateRefreshToken(kv, { refreshToken, clientId, resource }, key, now);

    await t.step("a retry within the grace gets the same successor; the family lives", async () => {
      const first = await grant(kv);
      const a = await rotate(first.refreshToken, at(0));
      const b = await rotate(first.refreshToken, at(1_000));
      const c = await rotate(first.refreshToken, at(REFRESH_GRACE_MS - 1));
      assertNotEquals(a.refreshToken, first.refreshToken);
      assertEquals([b.refreshToken, c.refreshToken], [a.refreshToken, a.refreshToken]);
      assertEquals([b.familyId, c.familyId], [first.familyId, first.familyId]);
      assertEquals(await isGrantRevoked(kv, first.familyId), false);
      // The successor goes on normally.
      const next = await rotate(a.refreshToken, at(REFRESH_GRACE_MS));
      assertNotEquals(next.refreshToken, a.refreshToken);
    });
    await t.step("reuse after the grace revokes the family", async () => {
      const first = await grant(kv);
      const a = await rotate(first.refreshToken, at(0));
      const error = await refused(() => rotate(first.refreshToken, at(REFRESH_GRACE_MS)));
      assert(error.message.includes("revoked"));
      assertEquals(await isGrantRevoked(kv, first.familyId), true);
      await refused(() => rotate(a.refreshToken, at(REFRESH_GRACE_MS + 1)));
    });
    await t.step(
      "reuse once the successor was used revokes the family, even in the grace",
      async () => {
        const first = await grant(kv);
        const a = await rotate(first.refreshToken, at(0));
        const b = await rotate(a.refreshToken, at(10));
        await refused(() => rotate(first.refreshToken, at(20)));
        assertEquals(await isGrantRevoked(kv, first.familyId), true);
        await refused(() => rotate(b.refreshToken, at(30)));
      },
    );
    await t.step("another client's attempt is refused and revokes nothing", async () => {
      const first = await grant(kv);
      await refused(() => rotate(first.refreshToken, at(0), "kit-b"));
      const a = await rotate(first.refreshToken, at(0));
      await refused(() => rotate(first.refreshToken, at(10), "kit-b"));
      assertEquals(await isGrantRevoked(kv, first.familyId), false);
      assertEquals((await rotate(first.refreshToken, at(20))).refreshToken, a.refreshToken);
    });
    await t.step("a retry naming another resource is refused without revoking", async () => {
      const first = await grant(kv);
      await rotate(first.refreshToken, at(0));
      await refused(
        () => rotate(first.refreshToken, at(10), "kit-a", "https://other.example/mcp"),
        "invalid_target",
      );
      assertEquals(await isGrantRevoked(kv, first.familyId), false);
    });
    await t.step("two uses racing get one successor and keep the family", async () => {
      const first = await grant(kv);
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => rotate(first.refreshToken, at(0))),
      );
      assertEquals(new Set(answers.map((a) => a.refreshToken)).size, 1);
      assertEquals(await isGrantRevoked(kv, first.familyId), false);
    });
    await t.step("a revoked family's token is refused within the grace too", async () => {
      const first = await grant(kv);
      const a = await rotate(first.refreshToken, at(0));
      await refused(() => rotate(first.refreshToken, at(REFRESH_GRACE_MS + 5)));
      await refused(() => rotate(first.refreshToken, at(10)));
      await refused(() => rotate(a.refreshToken, at(10)));
    });
    await t.step("only hashes are stored: no refresh token appears in KV", async () => {
      const first = await grant(kv);
      const a = await rotate(first.refreshToken, at(0));
      const dump = JSON.stringify(await Array.fromAsync(kv.list({ prefix: ["signin"] })));
      assertEquals(dump.includes(first.refreshToken.slice(4)), false);
      assertEquals(dump.includes(a.refreshToken.slice(4)), false);
      const stored = await kv.get(signinKeys.refreshToken(await hashSecret(a.refreshToken)));
      assert(stored.value, "the successor is stored by its hash");
    });
  });
});
