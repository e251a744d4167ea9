/**
 * A memory people can trust, through the real client on both stores: history, undo, export, and
 * forgetting that leaves nothing behind.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createSessions } from "../../src/session/sessions.ts";
import { openChat } from "../helpers/mcp_client.ts";
import { rowsMentioning } from "../helpers/inspect.ts";
import { startTestServer } from "../helpers/server.ts";
import { FAIL_CLOSED_SENTENCE } from "../helpers/voice.ts";

const SECRET = "memory-test-session-secret-0123456789";
const REFUSED = "Request refused, nothing was changed:";

for (const database of ["postgres", "pglite"] as const) {
  Deno.test(`memory on ${database}: history, restore, export, forget`, async (t) => {
    await using server = await startTestServer(
      {
        SESSION_SIGNING_SECRET: SECRET,
        HISTORY_KEEP: "50",
        HISTORY_DAYS: "0",
        HISTORY_MAX_BYTES: "262144",
        // Writes go 10 at a time below: this is about the history, not the per-person cap.
        MCP_MAX_OPEN_PER_PERSON: "64",
      },
      { database },
    );
    const sub = `memory-${database}-${crypto.randomUUID()}`;
    await using chat = await openChat(server, sub);
    let { session } = await chat.begin();
    const call = (name: string, args: Record<string, unknown> = {}) =>
      chat.call(name, { session, ...args });

    await t.step(
      "a patch that deletes a key shows in the history, and restore brings it back",
      async () => {
        const kept = await call("user_save_state", {
          patch: { likes: ["maps", "tea"], name: "Ann" },
        });
        assertEquals(kept.data.state.version, 1);
        const lost = await call("user_save_state", { patch: { likes: null }, expected_version: 1 });
        assertEquals(lost.data.state.data, { name: "Ann" });
        const history = await call("user_get_history");
        assert(!history.isError, history.text);
        assertEquals(history.data.entries[0].version, 2);
        assertEquals(history.data.entries[0].tool, "user_save_state");
        assertEquals(history.data.entries[0].client, "test-client");
        assertStringIncludes(history.data.entries[0].summary, "removed likes");
        assertStringIncludes(history.data.entries[1].summary, "added likes, name");
        const restored = await call("user_restore_state", { version: 1, expected_version: 2 });
        assert(!restored.isError, restored.text);
        assertEquals(restored.data.state.version, 3, "a restore is a new version");
        assertEquals(restored.data.state.data, { likes: ["maps", "tea"], name: "Ann" });
        const after = await call("user_get_history", { limit: 1 });
        assertEquals(after.data.entries[0].tool, "user_restore_state");
        assertStringIncludes(after.data.entries[0].summary, "added likes");
      },
    );

    await t.step("restore refuses what it cannot do, and changes nothing", async () => {
      const stale = await call("user_restore_state", { version: 1, expected_version: 1 });
      assertStringIncludes(stale.text, REFUSED);
      const unknown = await call("user_restore_state", { version: 999 });
      assertStringIncludes(unknown.text, REFUSED);
      assertStringIncludes(unknown.text, "not kept");
      const negative = await call("user_restore_state", { version: -1 });
      assertStringIncludes(negative.text, REFUSED);
      assertEquals((await call("user_get_profile")).data.state.version, 3);
    });

    await t.step("a domain action is recorded too", async () => {
      const shelved = await call("domain_do_action", { action: "shelve", id: "a1" });
      assert(!shelved.isError, shelved.text);
      const [latest] = (await call("user_get_history", { limit: 1 })).data.entries;
      assertEquals(latest.tool, "domain_do_action");
      assertStringIncludes(latest.summary, "Shelved: [a1]");
    });

    await t.step("history stays bounded under 500 writes", async () => {
      for (let batch = 0; batch < 50; batch++) {
        await Promise.all(
          Array.from(
            { length: 10 },
            (_, i) => call("user_save_state", { patch: { [`n${i}`]: batch } }),
          ),
        );
      }
      const page = await call("user_get_history", { limit: 50 });
      assertEquals(page.data.entries.length, 50);
      assertEquals(page.data.more, false, "more than HISTORY_KEEP entries kept");
      const older = await call("user_get_history", { before: page.data.entries[49].id });
      assertEquals(older.data.entries, []);
    });

    await t.step("another person never sees this history", async () => {
      await using other = await openChat(server, `other-${crypto.randomUUID()}`);
      const { session: otherSession } = await other.begin();
      const history = await other.call("user_get_history", { session: otherSession });
      assertEquals(history.data.entries, []);
      const exported = await other.call("user_export", { session: otherSession });
      assertEquals(exported.data.export.history, []);
      assertEquals(exported.data.export.domain, { shelf: {} });
    });

    await t.step("user_export holds the profile, state, history and the shelf", async () => {
      const exported = await call("user_export");
      assert(!exported.isError, exported.text);
      const doc = exported.data.export;
      assertEquals(doc.schemaVersion, 3);
      assertEquals([doc.complete, doc.nextCursor], [true, undefined]);
      assertEquals(doc.profile.id, sub);
      assertEquals(doc.state.data.name, "Ann");
      assertEquals(doc.history.length, 50);
      assert("a1" in doc.domain.shelf, "the shelf is exported");
      // The kit's part: every row of every personal table, whatever the pack's export shapes.
      const shelf = doc.tables.reading_room_shelf as { user_id: string; article_id: string }[];
      assert(shelf.some((row) => row.article_id === "a1"), JSON.stringify(doc.tables));
      assert(shelf.every((row) => row.user_id === sub), "another person's rows were exported");
    });

    await t.step(
      "history stays within HISTORY_MAX_BYTES, the newest change always kept",
      async () => {
        for (let i = 0; i < 12; i++) {
          const big = await call("user_save_state", { patch: { big: `${i}`.padEnd(30_000, "x") } });
          assert(!big.isError, big.text);
        }
        const [{ total, n }] = await server.resources.sql.query<{ total: number; n: number }>(
          "SELECT coalesce(sum(size_bytes), 0)::int AS total, count(*)::int AS n FROM user_history WHERE user_id = $1",
          [sub],
        );
        assert(total <= 262_144, `history holds ${total} bytes`);
        assert(n >= 1);
        const [latest] = (await call("user_get_history", { limit: 1 })).data.entries;
        assertStringIncludes(latest.summary, "big");
        const cleared = await call("user_save_state", { patch: { big: null } });
        assert(!cleared.isError);
      },
    );

    await t.step("forget: the first call deletes nothing and returns a code", async () => {
      const first = await call("user_forget");
      assert(!first.isError, first.text);
      assertEquals(first.data.forgotten, false);
      assertEquals(first.data.willDelete.profile, true);
      assertEquals(first.data.willDelete.domain, ["shelf"]);
      assert(first.data.confirmation.code);
      assert(Object.keys(await rowsMentioning(server.resources.sql, sub)).includes("users"));
    });

    await t.step(
      "forget: another session's, a forged or an expired code deletes nothing",
      async () => {
        await using second = await openChat(server, sub);
        const { session: secondSession } = await second.begin();
        const elsewhere = await second.call("user_forget", { session: secondSession });
        const codeOfOtherSession = elsewhere.data.confirmation.code;
        const sessions = createSessions({
          kv: server.resources.kv,
          secret: new TextEncoder().encode(SECRET),
          ttlSeconds: 600,
        });
        const sessionId = await sessions.check(session, { sub });
        const expired = await sessions.confirmationCode("user_forget", sub, sessionId, -1);
        const forged = `${Math.floor(Date.now() / 1000) + 60}.${"A".repeat(43)}`;
        for (const code of [codeOfOtherSession, expired.code, forged, "nonsense"]) {
          const result = await call("user_forget", { confirmation: code });
          assert(result.isError, `deleted with ${code}`);
          assertStringIncludes(result.text, REFUSED);
        }
        assert(
          Object.keys(await rowsMentioning(server.resources.sql, sub)).includes("user_history"),
        );
      },
    );

    await t.step(
      "forget with the right code leaves no row and ends the sessions, even while another chat saves",
      async () => {
        // Another chat of the same person keeps saving while the forget runs: nothing of it may
        // survive, and it must not be told "saved" after the person is gone.
        await using busy = await openChat(server, sub);
        const { session: busySession } = await busy.begin();
        let saving = true;
        const saves = (async () => {
          const outcomes: boolean[] = [];
          while (saving) {
            const r = await busy.call("user_save_state", { session: busySession, patch: { x: 1 } });
            outcomes.push(r.isError);
            if (r.isError) break;
          }
          return outcomes;
        })();
        await new Promise((resolve) => setTimeout(resolve, 30));
        const first = await call("user_forget");
        const done = await call("user_forget", { confirmation: first.data.confirmation.code });
        saving = false;
        const outcomes = await saves;
        assert(!done.isError, done.text);
        assert(outcomes.at(-1), "the other chat's saves did not stop");
        assertEquals(done.data.forgotten, true);
        assertEquals(await rowsMentioning(server.resources.sql, sub), {});
        const ended = await call("user_get_profile");
        assert(ended.isError);
        assertStringIncludes(ended.text, FAIL_CLOSED_SENTENCE);
        // It says what happened: forgetting, not end_session.
        assertStringIncludes(ended.text, "data was deleted at their request");
        assert(!ended.text.includes("end_session"), ended.text);
      },
    );

    await t.step("a new begin_session afterwards starts as a first visit", async () => {
      const again = await chat.begin();
      session = again.session;
      assertEquals(again.result.data.profile.previousVisit, null);
      assertEquals(again.result.data.state, {
        data: {},
        version: 0,
        updatedAt: again.result.data.state.updatedAt,
      });
      assertEquals(again.result.data.domain.shelf, {});
      assertEquals((await call("user_get_history")).data.entries, []);
    });

    if (database === "postgres") {
      await t.step("database down: the memory tools fail closed", async () => {
        const relay = server.database!.relay;
        relay.setRefusing(true);
        relay.cutConnections();
        try {
          for (
            const [name, args] of [
              ["user_get_history", {}],
              ["user_restore_state", { version: 0 }],
              ["user_export", {}],
              ["user_forget", {}],
            ] as const
          ) {
            const result = await call(name, args);
            assert(result.isError, `${name} answered`);
            assertStringIncludes(result.text, FAIL_CLOSED_SENTENCE);
          }
        } finally {
          relay.setRefusing(false);
        }
      });
    }
  });
}
