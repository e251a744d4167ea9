import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { FAIL_CLOSED_SENTENCE } from "../helpers/voice.ts";
import { openChat } from "../helpers/mcp_client.ts";
import { holdWriteLock } from "../helpers/kv_lock.ts";
import { startTestServer } from "../helpers/server.ts";

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

Deno.test("KV write lock held by another process: tools fail closed within the deadline, then recover", async (t) => {
  const deadlineMs = 1_000;
  await using server = await startTestServer({
    STORE_TIMEOUT_MS: String(deadlineMs),
    MCP_MAX_OPEN_PER_PERSON: "64",
  });
  await using chat = await openChat(server, "kv-lock");
  const { session } = await chat.begin();
  const lock = await holdWriteLock(server.config.kvPath!);
  try {
    await t.step("begin_session (a KV write) fails closed within deadline + 2 s", async () => {
      const { value, ms } = await timed(() => chat.call("begin_session"));
      assert(value.isError, `begin_session answered during the lock: ${value.text}`);
      assertStringIncludes(value.text, FAIL_CLOSED_SENTENCE);
      assert(ms < deadlineMs + 2_000, `took ${Math.round(ms)} ms`);
    });
    await t.step("end_session (a KV write) fails closed within deadline + 2 s", async () => {
      const { value, ms } = await timed(() => chat.call("end_session", { session }));
      assert(value.isError, `end_session answered during the lock: ${value.text}`);
      assertStringIncludes(value.text, FAIL_CLOSED_SENTENCE);
      assert(ms < deadlineMs + 2_000, `took ${Math.round(ms)} ms`);
    });
    await t.step("parallel tool calls all answer within deadline + 2 s", async () => {
      const { value, ms } = await timed(() =>
        Promise.all([
          chat.call("begin_session"),
          chat.call("user_get_profile", { session }),
          chat.call("user_save_state", { session, patch: { during: "lock" } }),
          chat.call("config_get_rules", { session }),
        ])
      );
      assert(ms < deadlineMs + 2_000, `took ${Math.round(ms)} ms`);
      for (const result of value) {
        if (result.isError) assertStringIncludes(result.text, FAIL_CLOSED_SENTENCE);
      }
    });
    await t.step(
      "30 parallel session starts for one reader all answer within deadline + 2 s",
      async () => {
        // They queue on the reader's rate-limit counter; the queue itself must not outlast the deadline.
        const { value, ms } = await timed(() =>
          Promise.all(Array.from({ length: 30 }, () => chat.call("begin_session")))
        );
        assert(ms < deadlineMs + 2_000, `took ${Math.round(ms)} ms`);
        for (const result of value) {
          assert(result.isError, "a session started while KV was locked");
          assertStringIncludes(result.text, FAIL_CLOSED_SENTENCE);
        }
      },
    );
    await t.step("/healthz answers at once; /readyz names KV as the slow store", async () => {
      const health = await timed(() => fetch(`${server.localOrigin}/healthz`));
      assertEquals(health.value.status, 200);
      await health.value.body?.cancel();
      assert(health.ms < 500, `healthz took ${Math.round(health.ms)} ms`);
      const ready = await fetch(`${server.localOrigin}/readyz`);
      const body = await ready.json();
      assertEquals(ready.status, 503);
      assertEquals(body.checks.kv, "timeout");
      assertEquals(body.checks.database, "ok");
    });
  } finally {
    await lock.release();
  }
  await t.step("after the lock is released the session contract works again", async () => {
    const again = await chat.call("begin_session");
    assert(!again.isError, again.text);
    const profile = await chat.call("user_get_profile", { session: again.data.session.token });
    assert(!profile.isError, profile.text);
  });
});
