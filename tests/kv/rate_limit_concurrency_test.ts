import { assert, assertEquals } from "@std/assert";
import { createRateLimiter } from "../../src/kv/rate_limit.ts";
import { openKvHandle } from "../../src/kv/kv_handle.ts";
import { openChat } from "../helpers/mcp_client.ts";
import { clientMetadataFor } from "../helpers/oauth.ts";
import { startTestServer } from "../helpers/server.ts";
import { CALLBACK, register, tokenRequest } from "../helpers/signin_flow.ts";

/** Windows are wall-clock minutes: start a burst well inside one, so it is not split across two. */
async function awayFromWindowEdge() {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_100 - intoMinute));
}

function count<T>(items: T[], predicate: (item: T) => boolean): number {
  return items.filter(predicate).length;
}

Deno.test("the limiter holds its bound under parallel requests", async (t) => {
  const dir = await Deno.makeTempDir();
  const kv = await openKvHandle(`${dir}/kv.sqlite3`);
  // A second connection to the same file stands for another instance of the server.
  const otherInstance = await openKvHandle(`${dir}/kv.sqlite3`);
  try {
    const t0 = 1_800_000_000_000;
    await t.step("150 parallel hits in one process: exactly 60 pass", async () => {
      const limiter = createRateLimiter(kv, { scope: "p", limit: 60, windowMs: 60_000 });
      const decisions = await Promise.all(
        Array.from({ length: 150 }, () => limiter.hit("k", { now: t0 })),
      );
      assertEquals(count(decisions, (d) => d.allowed), 60);
    });
    await t.step("two instances racing on one key never pass more than the limit", async () => {
      const a = createRateLimiter(kv, { scope: "two", limit: 60, windowMs: 60_000 });
      const b = createRateLimiter(otherInstance, { scope: "two", limit: 60, windowMs: 60_000 });
      const decisions = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).hit("k", { now: t0 })),
      );
      const passed = count(decisions, (d) => d.allowed);
      assert(passed <= 60, `${passed} passed`);
      assert(passed > 0);
    });
    await t.step("the count commits with the caller's write, or neither does", async () => {
      const limiter = createRateLimiter(kv, { scope: "w", limit: 5, windowMs: 60_000 });
      const db = await kv.get();
      await Promise.all(Array.from({ length: 12 }, (_, i) =>
        limiter.hit("k", {
          now: t0,
          with: (op) => {
            op.set(["written", i], true);
          },
        })));
      const written = await Array.fromAsync(db.list({ prefix: ["written"] }));
      assertEquals(written.length, 5);
    });
    await t.step("a caller that abandons in `with` is not counted", async () => {
      const limiter = createRateLimiter(kv, { scope: "abandon", limit: 1, windowMs: 60_000 });
      const abandoned = limiter.hit("k", {
        now: t0,
        with: () => {
          throw new Error("changed my mind");
        },
      });
      await abandoned.then(() => assert(false, "should reject"), () => {});
      assertEquals(await limiter.hit("k", { now: t0 }), { allowed: true });
    });
    await t.step("an oversized key (a long external sub) is counted, not a KV error", async () => {
      const limiter = createRateLimiter(kv, { scope: "long", limit: 1, windowMs: 60_000 });
      const huge = "x".repeat(5_000);
      assertEquals(await limiter.hit(huge, { now: t0 }), { allowed: true });
      assertEquals((await limiter.hit(huge, { now: t0 })).allowed, false);
      assertEquals(await limiter.hit(`${huge}y`, { now: t0 }), { allowed: true });
    });
  } finally {
    kv.close();
    otherInstance.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("per-caller bounds hold when the requests arrive all at once", async (t) => {
  // 150 calls of one person at once must reach the session-start count (the per-person cap on
  // open requests would otherwise answer most of them first; per_person_bounds_test.ts holds it).
  await using server = await startTestServer({ MCP_MAX_OPEN_PER_PERSON: "200" });
  const base = server.config.publicUrl;

  await t.step("150 parallel begin_session for one reader: at most 60 start", async () => {
    await using chat = await openChat(server, "parallel-reader");
    await awayFromWindowEdge();
    const results = await Promise.all(
      Array.from({ length: 150 }, () => chat.call("begin_session")),
    );
    const started = count(results, (r) => !r.isError);
    assert(started <= 60, `${started} sessions started`);
    assert(started >= 1);
    assert(results.filter((r) => r.isError).every((r) => r.text.includes("Too many sessions")));
  });
  await t.step("150 parallel sign-in starts from one address: at most 60 pass", async () => {
    await awayFromWindowEdge();
    const responses = await Promise.all(
      Array.from({ length: 150 }, () => fetch(`${base}/authorize?client_id=nope`)),
    );
    await Promise.all(responses.map((r) => r.body?.cancel()));
    const passed = count(responses, (r) => r.status !== 429);
    assert(passed <= 60, `${passed} passed`);
  });
  await t.step(
    "60 parallel registrations of new clients from one address: at most 20",
    async () => {
      await awayFromWindowEdge();
      const responses = await Promise.all(
        Array.from(
          { length: 60 },
          (_, i) =>
            register(server, { ...clientMetadataFor(CALLBACK), client_name: `Parallel ${i}` }),
        ),
      );
      await Promise.all(responses.map((r) => r.body?.cancel()));
      const created = count(responses, (r) => r.status === 201);
      assert(created <= 20, `${created} registered`);
      assertEquals(count(responses, (r) => r.status === 500 || r.status === 503), 0);
    },
  );
});

Deno.test("registration requests per address per minute are bounded exactly, repeats included", async () => {
  await using server = await startTestServer();
  await awayFromWindowEdge();
  // The same metadata each time: one client, so only the per-minute request bound applies.
  const responses = await Promise.all(Array.from({ length: 40 }, () => register(server)));
  await Promise.all(responses.map((r) => r.body?.cancel()));
  assertEquals(count(responses, (r) => r.status === 201), 20);
  assertEquals(count(responses, (r) => r.status === 429), 20);
});

Deno.test("/token is bounded per address (600 a minute)", async () => {
  await using server = await startTestServer();
  await awayFromWindowEdge();
  const responses: Response[] = [];
  for (let batch = 0; batch < 5; batch++) {
    responses.push(
      ...await Promise.all(
        Array.from(
          { length: 121 },
          () => tokenRequest(server, { grant_type: "refresh_token", client_id: "rr-unknown" }),
        ),
      ),
    );
  }
  await Promise.all(responses.map((r) => r.body?.cancel()));
  assertEquals(count(responses, (r) => r.status === 401), 600);
  const refused = responses.filter((r) => r.status === 429);
  assertEquals(refused.length, 5);
  assert(Number(refused[0].headers.get("retry-after")) > 0);
});

Deno.test("lookups of new client metadata URLs are bounded per address; cached ones are free", async () => {
  await using server = await startTestServer();
  await awayFromWindowEdge();
  // Private addresses are refused after the lookup is counted, without any network traffic.
  const lookup = (i: number) =>
    tokenRequest(server, {
      grant_type: "refresh_token",
      client_id: `https://10.0.0.${i}/client.json`,
      refresh_token: "rrt_x",
    });
  for (let i = 1; i <= 10; i++) {
    const response = await lookup(i);
    assertEquals(response.status, 401);
    await response.body?.cancel();
  }
  const eleventh = await lookup(11);
  assertEquals(eleventh.status, 429);
  assertEquals((await eleventh.json()).error, "temporarily_unavailable");
  const cached = await lookup(3);
  assertEquals(cached.status, 401, "an answer from the cache costs no lookup");
  await cached.body?.cancel();
});
