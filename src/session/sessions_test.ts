import { assertEquals, assertRejects } from "@std/assert";
import type { SessionError } from "./errors.ts";
import { openKvHandle } from "../kv/kv_handle.ts";
import { createSessions, loadSessionSecret, sessionRecordKey } from "./sessions.ts";
import { cachedSessionVerifier, signSessionToken } from "./session_token.ts";

const secret = new TextEncoder().encode("unit-test-secret-unit-test-secret-000");
const alice = { sub: "alice" };

async function refusedWith(promise: () => Promise<unknown>, code: SessionError["code"]) {
  const error = await assertRejects(promise) as SessionError;
  assertEquals(error.code, code);
}

Deno.test("sessions: begin, check, end, and every way a token is refused", async (t) => {
  const dir = await Deno.makeTempDir();
  const kv = await openKvHandle(`${dir}/kv.sqlite3`);
  const sessions = createSessions({ kv, secret, ttlSeconds: 600 });
  try {
    const { token, sessionId } = await sessions.begin(alice);
    await t.step("a fresh token checks out for its reader", async () => {
      assertEquals(await sessions.check(token, alice), sessionId);
    });
    await t.step("missing", () => refusedWith(() => sessions.check(undefined, alice), "missing"));
    await t.step(
      "malformed",
      () => refusedWith(() => sessions.check("abc.def.ghi", alice), "malformed"),
    );
    await t.step(
      "another reader",
      () => refusedWith(() => sessions.check(token, { sub: "bob" }), "foreign"),
    );
    await t.step("signed, but never recorded", async () => {
      const { token: stray } = await signSessionToken(secret, {
        sub: "alice",
        sid: "nope",
        ttlSeconds: 60,
      });
      await refusedWith(() => sessions.check(stray, alice), "unknown");
    });
    await t.step("record past its expiry (local KV expires lazily)", async () => {
      const { token: short, sessionId: sid } = await sessions.begin(alice);
      const db = await kv.get();
      const entry = await db.get<{ sub: string; expiresAt: number }>(sessionRecordKey(sid));
      await db.set(sessionRecordKey(sid), { ...entry.value!, expiresAt: Date.now() - 1 });
      await refusedWith(() => sessions.check(short, alice), "expired");
    });
    await t.step("token past its expiry", async () => {
      const { token: old } = await signSessionToken(secret, {
        sub: "alice",
        sid: sessionId,
        ttlSeconds: -1,
      });
      await refusedWith(() => sessions.check(old, alice), "expired");
    });
    await t.step("ended", async () => {
      await sessions.end(token, alice);
      await refusedWith(() => sessions.check(token, alice), "revoked");
      await refusedWith(() => sessions.end(token, alice), "revoked");
    });
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the development session secret is generated once and kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await loadSessionSecret(undefined, dir);
    assertEquals(first.length, 64);
    assertEquals(await loadSessionSecret(undefined, dir), first);
    assertEquals((await Deno.stat(`${dir}/session-secret`)).mode! & 0o777, 0o600);
    assertEquals(
      await loadSessionSecret("configured-secret", dir),
      new TextEncoder().encode("configured-secret"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("remembered session tokens still expire, and failures are never remembered", async () => {
  let now = Date.now();
  const verify = cachedSessionVerifier(secret, () => now);
  const { token } = await signSessionToken(secret, { sub: "alice", sid: "s1", ttlSeconds: 60 });
  assertEquals((await verify(token)).sid, "s1");
  assertEquals((await verify(token)).sid, "s1", "the remembered answer");
  // One character changed is a different string: verified afresh, and refused.
  const tampered = token.slice(0, -2) + (token.at(-2) === "A" ? "B" : "A") + token.at(-1);
  await refusedWith(() => verify(tampered), "malformed");
  await refusedWith(() => verify(tampered), "malformed");
  const forged = await signSessionToken(new TextEncoder().encode("x".repeat(40)), {
    sub: "alice",
    sid: "s2",
    ttlSeconds: 60,
  });
  await refusedWith(() => verify(forged.token), "malformed");
  // Past its expiry the remembered token is refused (the clock here is the injected one).
  now += 61_000;
  await refusedWith(() => verify(token), "expired");
});
