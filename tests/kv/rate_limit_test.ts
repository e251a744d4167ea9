import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { clientAddress } from "../../src/http/client_address.ts";
import { createRateLimiter } from "../../src/kv/rate_limit.ts";
import { openKvHandle } from "../../src/kv/kv_handle.ts";
import { openChat } from "../helpers/mcp_client.ts";
import { clientMetadataFor } from "../helpers/oauth.ts";
import { startTestServer } from "../helpers/server.ts";

Deno.test("the limiter allows `limit` per window per key, then says when to retry", async () => {
  const dir = await Deno.makeTempDir();
  const kv = await openKvHandle(`${dir}/kv.sqlite3`);
  try {
    const limiter = createRateLimiter(kv, { scope: "t", limit: 3, windowMs: 60_000 });
    const t0 = 1_800_000_000_000; // the start of a window
    for (let i = 0; i < 3; i++) {
      assertEquals(await limiter.hit("a", { now: t0 + i }), { allowed: true });
    }
    assertEquals(await limiter.hit("a", { now: t0 + 10_000 }), {
      allowed: false,
      retryAfterSeconds: 50,
    });
    assertEquals(
      await limiter.hit("b", { now: t0 + 10_000 }),
      { allowed: true },
      "keys are independent",
    );
    assertEquals(
      await limiter.hit("a", { now: t0 + 60_000 }),
      { allowed: true },
      "a new window starts afresh",
    );
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Windows are wall-clock minutes: start a burst well inside one, so it is not split across two. */
async function awayFromWindowEdge() {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_100 - intoMinute));
}

Deno.test("sign-in starts, registrations and session starts are bounded per caller", async (t) => {
  await using server = await startTestServer();
  await t.step("the 61st sign-in start in a minute gets a 429 page", async () => {
    await awayFromWindowEdge();
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) {
      const response = await fetch(`${server.config.publicUrl}/authorize?client_id=nope`);
      statuses.push(response.status);
      if (i === 60) {
        assert(Number(response.headers.get("retry-after")) > 0);
        assertStringIncludes(await response.text(), "Too many sign-in attempts");
      } else await response.body?.cancel();
    }
    assertEquals(statuses.filter((s) => s === 429).length, 1);
  });
  await t.step("the 21st registration in a minute gets a 429", async () => {
    await awayFromWindowEdge();
    let last = 0;
    for (let i = 0; i < 21; i++) {
      const response = await fetch(`${server.config.publicUrl}/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(clientMetadataFor("http://127.0.0.1:9/cb")),
      });
      last = response.status;
      await response.body?.cancel();
    }
    assertEquals(last, 429);
  });
  await t.step(
    "the 61st begin_session for one reader in a minute is refused, not failed",
    async () => {
      await using chat = await openChat(server, "busy-reader");
      await awayFromWindowEdge();
      for (let i = 0; i < 60; i++) assert(!(await chat.call("begin_session")).isError);
      const refused = await chat.call("begin_session");
      assert(refused.isError);
      assertStringIncludes(refused.text, "Request refused");
      assertStringIncludes(refused.text, "Too many sessions");
      await using other = await openChat(server, "calm-reader");
      assert(!(await other.call("begin_session")).isError, "another reader is unaffected");
    },
  );
});

Deno.test("SESSION_STARTS_PER_MINUTE sets the per-reader bound", async () => {
  await using server = await startTestServer({ SESSION_STARTS_PER_MINUTE: "2" });
  await using chat = await openChat(server, "configured-reader");
  await awayFromWindowEdge();
  assert(!(await chat.call("begin_session")).isError);
  assert(!(await chat.call("begin_session")).isError);
  assertStringIncludes((await chat.call("begin_session")).text, "Too many sessions");
});

Deno.test("clientAddress counts IPv4 per address and IPv6 per /64", () => {
  const at = (hostname: string) => ({ remoteAddr: { transport: "tcp", hostname, port: 1 } });
  assertEquals(clientAddress(at("203.0.113.7")), "203.0.113.7");
  assertEquals(clientAddress(at("::ffff:203.0.113.7")), "203.0.113.7");
  assertEquals(clientAddress(at("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
  assertEquals(
    clientAddress(at("2001:db8:1:2:ffff:ffff:ffff:ffff")),
    clientAddress(at("2001:db8:1:2::9")),
  );
  assert(clientAddress(at("2001:db8:1:3::1")) !== clientAddress(at("2001:db8:1:2::1")));
  assertEquals(clientAddress(undefined), "unknown");
});
