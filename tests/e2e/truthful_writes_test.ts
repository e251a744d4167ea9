/**
 * A write answered past its deadline is never reported failed and then committed: with the
 * database's bytes held past the deadline (a driver behind a relay that forwards nothing),
 * a booking and a save are either stopped for real (answered as not done, and never done) or
 * answered as not confirmed — and what the answer said holds once the database answers again.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { bookingPack } from "../../src/domains/booking/pack.ts";
import { OUTCOME_UNKNOWN_PREFIX } from "../../src/pack/reply.ts";
import { exampleOf } from "../helpers/examples.ts";
import { openChat } from "../helpers/mcp_client.ts";
import { DRIVER_NAMES, POSTGRES_DRIVERS } from "../helpers/postgres.ts";
import { startTestServer } from "../helpers/server.ts";

const DEADLINE_MS = 700;

/** What an answer said of a write: done, not done, or not confirmed. */
function verdict(result: { isError: boolean; text: string }): "done" | "not done" | "unknown" {
  if (!result.isError) return "done";
  if (result.text.startsWith(OUTCOME_UNKNOWN_PREFIX)) return "unknown";
  assertStringIncludes(result.text, "did not answer in time");
  return "not done";
}

for (const driver of POSTGRES_DRIVERS) {
  Deno.test(`a save held past its deadline (${DRIVER_NAMES[driver]}) is not reported failed and then committed`, async () => {
    await using server = await startTestServer({ STORE_TIMEOUT_MS: String(DEADLINE_MS) }, {
      driver,
    });
    const relay = server.database!.relay;
    await using chat = await openChat(server, `held-save-${crypto.randomUUID()}`);
    const { session } = await chat.begin();
    await chat.call("user_save_state", { session, patch: { before: 1 } });

    relay.setPaused(true);
    const started = performance.now();
    const held = await chat.call("user_save_state", { session, patch: { held: true } });
    const took = performance.now() - started;
    relay.setPaused(false);
    const said = verdict(held);
    assert(said !== "done", held.text);
    assert(took < DEADLINE_MS + 1_500, `answered after ${took} ms`);
    if (said === "unknown") assertStringIncludes(held.text, "user_get_profile");

    // Whatever the relay still held is delivered now, if it ever will be.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await chat.call("user_get_profile", { session });
    assert(!after.isError, after.text);
    const committed = "held" in after.data.state.data;
    if (said === "not done") assertEquals(committed, false, "reported failed, then committed");
  });
}

Deno.test("a booking held past its deadline is stopped for real, and said so", async () => {
  await using server = await startTestServer({
    DOMAIN: "booking",
    STORE_TIMEOUT_MS: String(DEADLINE_MS),
  });
  const relay = server.database!.relay;
  await using chat = await openChat(server, `held-booking-${crypto.randomUUID()}`);
  const { session } = await chat.begin();
  const ask = {
    ...exampleOf(bookingPack, "domain_book"),
    session,
    idempotency_key: `held-${crypto.randomUUID()}`,
  };

  relay.setPaused(true);
  const held = await chat.call("domain_book", ask);
  relay.setPaused(false);
  const said = verdict(held);
  assert(said !== "done", held.text);

  await new Promise((resolve) => setTimeout(resolve, 1_500));
  // The same request again: it books now if the first did not, or says it already has.
  const again = await chat.call("domain_book", ask);
  assert(!again.isError, again.text);
  const firstCommitted = /already/i.test(again.text);
  if (said === "not done") {
    assertEquals(firstCommitted, false, `reported failed, then committed: ${again.text}`);
  }
});

Deno.test("a pack's write and its history entry commit together, or neither does", async () => {
  await using server = await startTestServer();
  const sub = `atomic-${crypto.randomUUID()}`;
  await using chat = await openChat(server, sub);
  const { session } = await chat.begin();
  const shelve = (id: string) => chat.call("domain_do_action", { session, action: "shelve", id });
  const shelf = async () => (await chat.call("begin_session")).data.domain.shelf;

  const kept = await shelve("a1");
  assert(!kept.isError, kept.text);
  const history = await chat.call("user_get_history", { session });
  assertEquals(history.data.entries[0].tool, "domain_do_action");

  // The history can no longer be written (a full disk, say): the shelving must not stay either.
  const sql = server.resources.sql;
  await sql.query(`CREATE FUNCTION refuse_history() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$`);
  await sql.query(`CREATE TRIGGER refuse_history BEFORE INSERT ON user_history
    FOR EACH ROW EXECUTE FUNCTION refuse_history()`);
  const refused = await shelve("a2");
  assertEquals(refused.isError, true);
  assert(!refused.text.startsWith("Found") && !refused.text.includes("shelved"), refused.text);
  assertEquals(Object.keys(await shelf()).sort(), ["a1"], "the change without its history stayed");

  await sql.query("DROP TRIGGER refuse_history ON user_history");
  const again = await shelve("a2");
  assert(!again.isError, again.text);
  assertEquals(Object.keys(await shelf()).sort(), ["a1", "a2"]);
});
