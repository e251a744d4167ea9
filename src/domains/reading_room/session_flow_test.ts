/**
 * The Reading Room through the real MCP client: a whole visit (search, open, shelve, save), the
 * shelf coming back in a new chat, and its own bad input. The kit's part of the session contract
 * runs for every pack in `tests/e2e/session_contract_test.ts`.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { kitSentences, startPackServer } from "../../pack/testing.ts";
import { readingRoomPack } from "./pack.ts";

const REMINDER = kitSentences(readingRoomPack).reminder;

Deno.test("a Reading Room visit through the real MCP client", async (t) => {
  await using server = await startPackServer(readingRoomPack);
  let articleId = "";
  await t.step("begin → search → get → shelve → save", async () => {
    await using chat = await server.chat("alice");
    const { session, result } = await chat.begin();
    assertEquals(result.data.state, {
      data: {},
      version: 0,
      updatedAt: result.data.state.updatedAt,
    });
    assertEquals(result.data.profile.email, "alice@example.com");
    assertStringIncludes(result.data.rules, "When something fails");
    assertStringIncludes(result.data.persona, "librarian");
    assertStringIncludes(result.text, session);
    assertEquals(result.data.reminder, REMINDER);

    const search = await chat.call("domain_search", { session, query: "light", limit: 3 });
    assert(!search.isError, search.text);
    assert(search.data.results.length >= 1 && search.data.results.length <= 3);
    assertStringIncludes(search.data.results[0].snippet, "«");
    articleId = search.data.results[0].id;

    const item = await chat.call("domain_get_item", { session, id: articleId });
    assert(!item.isError, item.text);
    assertEquals(item.data.article.id, articleId);
    assert(item.data.article.body.length >= 1);
    assertStringIncludes(item.text, item.data.article.title);

    const shelved = await chat.call("domain_do_action", {
      session,
      action: "shelve",
      id: articleId,
    });
    assert(!shelved.isError, shelved.text);
    assert(shelved.data.shelfEntry.shelvedAt);
    const read = await chat.call("domain_do_action", {
      session,
      action: "mark_read",
      id: articleId,
    });
    assert(read.data.shelfEntry.shelvedAt && read.data.shelfEntry.readAt);

    const saved = await chat.call("user_save_state", {
      session,
      patch: { preferences: { subjects: ["astronomy"], length: "short" } },
      expected_version: 0,
    });
    assert(!saved.isError, saved.text);
    assertEquals(saved.data.state.version, 1, "the shelf lives apart from the saved state");

    // Clearing a `shelf` key of the saved state cannot touch the shelf any more.
    const cleared = await chat.call("user_save_state", { session, patch: { shelf: null } });
    assert(!cleared.isError, cleared.text);
    assertEquals(cleared.data.state.version, 2);

    const rules = await chat.call("config_get_rules", { session });
    assertStringIncludes(rules.text, REMINDER);
    const persona = await chat.call("config_get_persona", { session });
    assertEquals(persona.data.persona, result.data.persona);
  });

  await t.step("a new chat with the same reader gets the saved state back", async () => {
    await using chat = await server.chat("alice", { era: "2026" });
    const { result } = await chat.begin();
    assertEquals(result.data.state.version, 2);
    assertEquals(result.data.state.data.preferences, { subjects: ["astronomy"], length: "short" });
    assert(result.data.domain.shelf[articleId].readAt, "the shelf comes back with the session");
    assert(result.data.domain.shelf[articleId].shelvedAt);
    assertStringIncludes(result.text, `[${articleId}]`);
    assert(result.data.profile.previousVisit !== null);
    assertStringIncludes(result.text, "astronomy");
  });
});

Deno.test("Reading Room: bad input gets a specific error and changes nothing", async (t) => {
  await using server = await startPackServer(readingRoomPack, { env: { STATE_MAX_BYTES: "4096" } });
  await using chat = await server.chat("carol");
  const { session } = await chat.begin();
  await chat.call("user_save_state", { session, patch: { note: "keep me" } });
  const version = async () => (await chat.call("user_get_profile", { session })).data.state.version;
  assertEquals(await version(), 1);

  await t.step("unknown fields", async () => {
    const result = await chat.call("domain_search", { session, query: "light", sort: "newest" });
    assert(result.isError);
  });
  await t.step("unknown article id", async () => {
    for (
      const [name, args] of [["domain_get_item", {}], ["domain_do_action", {
        action: "shelve",
      }]] as const
    ) {
      const result = await chat.call(name, { session, id: "a9999", ...args });
      assert(result.isError);
      assertStringIncludes(result.text, 'no article with id "a9999"');
    }
  });
  await t.step("a 10 KB query", async () => {
    const result = await chat.call("domain_search", { session, query: "light ".repeat(1700) });
    assert(result.isError);
    assertStringIncludes(result.text, "500");
  });
  await t.step("none of it changed the state", async () => {
    assertEquals(await version(), 1);
    const profile = await chat.call("user_get_profile", { session });
    assertEquals(profile.data.state.data, { note: "keep me" });
  });
  await t.step("empty and junk queries get a helpful answer, not an error", async () => {
    for (const query of ["", "   ", "!!!", "zzqxjv"]) {
      const result = await chat.call("domain_search", { session, query });
      assert(!result.isError, result.text);
      assertEquals(result.data.results, []);
      assert(result.data.subjects.length > 0);
      assert(result.data.guidance[0].length > 10, result.text);
      assertStringIncludes(result.text, result.data.guidance[0]);
    }
  });
});
