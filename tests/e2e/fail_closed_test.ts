import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { FAIL_CLOSED_SENTENCE } from "../helpers/voice.ts";
import { openChat, type ReaderChat } from "../helpers/mcp_client.ts";
import { DRIVER_NAMES, POSTGRES_DRIVERS } from "../helpers/postgres.ts";
import { startTestServer } from "../helpers/server.ts";
import { OUTCOME_UNKNOWN_PREFIX } from "../../src/pack/reply.ts";

/**
 * Every tool that needs the database or the session store, with valid arguments. (Reading an
 * article needs only the session store: the library is fixed content, served from memory.)
 */
function storeTools(session: string) {
  return [
    ["domain_search", { session, query: "light" }],
    ["domain_do_action", { session, action: "shelve", id: "a2" }],
    ["user_get_profile", { session }],
    ["user_save_state", { session, patch: { during: "outage" } }],
  ] as const;
}

async function expectAllFailClosed(chat: ReaderChat, session: string, reason: string) {
  for (const [name, args] of [...storeTools(session), ["begin_session", {}] as const]) {
    const result = await chat.call(name, args);
    assert(result.isError, `${name} answered during the outage: ${result.text}`);
    assertStringIncludes(result.text, FAIL_CLOSED_SENTENCE);
    assertStringIncludes(result.text, reason);
    assertEquals(result.data, undefined, `${name} returned state during the outage`);
  }
  // The process is up and says so, and says which store is not answering.
  const health = await chat.call("health");
  assert(!health.isError);
  assertEquals(health.data.status, "degraded");
  assert(
    health.data.stores.database !== "ok" || health.data.stores.sessions !== "ok",
    JSON.stringify(health.data.stores),
  );
  assertStringIncludes(health.text, "cannot serve sessions right now");
}

async function expectAllWork(chat: ReaderChat, session: string) {
  for (const [name, args] of storeTools(session)) {
    const result = await chat.call(name, args);
    assert(!result.isError, `${name} did not recover: ${result.text}`);
  }
}

for (const driver of POSTGRES_DRIVERS) {
  Deno.test(`Postgres (${DRIVER_NAMES[driver]}) unreachable, cut mid-run, or too slow: every tool fails closed, then recovers`, async (t) => {
    await using server = await startTestServer({
      STORE_TIMEOUT_MS: "700",
      MCP_MAX_OPEN_PER_PERSON: "64",
    }, { driver });
    const relay = server.database!.relay;
    await using chat = await openChat(server, "erin");
    const { session } = await chat.begin();
    await expectAllWork(chat, session);

    await t.step("database down: connections cut and refused", async () => {
      const article = await chat.call("domain_get_item", { session, id: "a1" });
      relay.setRefusing(true);
      relay.cutConnections();
      try {
        await expectAllFailClosed(chat, session, "reading memory");
        // The library is fixed content held in memory: reading it needs only a valid session.
        const during = await chat.call("domain_get_item", { session, id: "a1" });
        assert(!during.isError, during.text);
        assertEquals(during.data, article.data);
      } finally {
        relay.setRefusing(false);
      }
      await expectAllWork(chat, session);
    });

    await t.step("relay cut in the middle of a run of calls", async () => {
      const calls = Array.from(
        { length: 10 },
        (_, i) => chat.call("user_save_state", { session, patch: { [`mid${i}`]: i } }),
      );
      relay.cutConnections();
      const results = await Promise.all(calls);
      for (const r of results) {
        // Each call either completed, failed closed, or — a save cut after it was sent, which may
        // have committed — said it is not confirmed; none half-answered.
        if (r.isError && !r.text.startsWith(OUTCOME_UNKNOWN_PREFIX)) {
          assertStringIncludes(r.text, FAIL_CLOSED_SENTENCE);
        } else if (!r.isError) assert(r.data.state.version > 0);
      }
      await expectAllWork(chat, session);
    });

    await t.step("database slower than the deadline", async () => {
      relay.setPaused(true); // open connections stall too: bytes stop flowing both ways
      const started = performance.now();
      const result = await chat.call("user_get_profile", { session });
      assert(result.isError);
      assertStringIncludes(result.text, "did not answer in time");
      assert(performance.now() - started < 5_000);
      relay.setPaused(false);
      await expectAllWork(chat, session);
    });

    await t.step("nothing written during the outages was invented", async () => {
      const profile = await chat.call("user_get_profile", { session });
      assertEquals(profile.data.state.data.during, "outage"); // from the successful rounds only
    });
  });
}

Deno.test("KV unavailable: every gated tool fails closed, then recovers with the same session", async () => {
  const kvDir = await Deno.makeTempDir();
  const kvPath = join(kvDir, "kv", "kv.sqlite3");
  try {
    await using server = await startTestServer({ KV_PATH: kvPath });
    await using chat = await openChat(server, "frank");
    const { session } = await chat.begin();
    await expectAllWork(chat, session);

    // Take KV away: close the open connection and make the file unreachable.
    (await server.resources.kv.get()).close();
    await Deno.rename(join(kvDir, "kv"), join(kvDir, "kv.away"));
    await expectAllFailClosed(chat, session, "session store is unavailable");
    const gated: [string, Record<string, unknown>][] = [
      ["config_get_rules", {}],
      ["domain_get_item", { id: "a1" }],
    ];
    for (const [name, args] of gated) {
      const result = await chat.call(name, { ...args, session });
      assert(result.isError, `${name} answered without a session check`);
      assertStringIncludes(result.text, FAIL_CLOSED_SENTENCE);
    }

    await Deno.rename(join(kvDir, "kv.away"), join(kvDir, "kv"));
    await expectAllWork(chat, session);
  } finally {
    await Deno.remove(kvDir, { recursive: true });
  }
});
