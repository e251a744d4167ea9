/**
 * One call, one deadline: a tool call's store work — the session check, the KV writes, the
 * database calls, however many in a row — shares one budget of `STORE_TIMEOUT_MS` from the call's
 * start. With the stores slow in turn (the database late, then KV write-locked by another
 * process), every tool still answers within the budget and a little, never one deadline per call.
 *
 * @module
 */
import { assert, assertStringIncludes } from "@std/assert";
import { allPacks } from "../../src/domains/registry.ts";
import { failClosedSentence, OUTCOME_UNKNOWN_PREFIX } from "../../src/pack/reply.ts";
import { examplesOf } from "../helpers/examples.ts";
import { holdWriteLock } from "../helpers/kv_lock.ts";
import { openChat, type ToolResult } from "../helpers/mcp_client.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { FAIL_CLOSED_SENTENCE } from "../helpers/voice.ts";

const BUDGET_MS = 800;
/** Within the budget, with room for the answer itself and a loaded machine. */
const WITHIN_MS = BUDGET_MS * 1.5;
/** How long the database takes to answer when it is late: under one deadline, most of the budget. */
const LATE_MS = 500;

/** A tool and its arguments. */
type Call = [name: string, args: Record<string, unknown>];

async function timed(work: () => Promise<ToolResult>): Promise<{ result: ToolResult; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: Math.round(performance.now() - started) };
}

/** The database stalled now, answering again after `ms` (what it held back then goes through). */
function databaseLate(server: TestServer, ms: number): { [Symbol.dispose](): void } {
  const relay = server.database!.relay;
  relay.setPaused(true);
  const timer = setTimeout(() => relay.setPaused(false), ms);
  return {
    [Symbol.dispose]() {
      clearTimeout(timer);
      relay.setPaused(false);
    },
  };
}

Deno.test("one budget per tool call: stores slow in turn, the call still answers within it", async (t) => {
  await using server = await startTestServer({
    STORE_TIMEOUT_MS: String(BUDGET_MS),
    MCP_MAX_OPEN_PER_PERSON: "64",
    // The SDK's path; the packs' sweep below takes the direct one.
    MCP_DIRECT_CALLS: "0",
  });
  const kvPath = server.config.kvPath!;
  await using chat = await openChat(server, "budget");
  await chat.begin();

  await t.step("begin_session: the database late, then the session record locked out", async () => {
    const lock = await holdWriteLock(kvPath);
    try {
      using _late = databaseLate(server, LATE_MS);
      const { result, ms } = await timed(() => chat.call("begin_session"));
      assert(result.isError, `a session started while KV was locked: ${result.text}`);
      assertStringIncludes(result.text, FAIL_CLOSED_SENTENCE);
      assert(ms < WITHIN_MS, `begin_session took ${ms} ms (budget ${BUDGET_MS} ms)`);
    } finally {
      await lock.release();
    }
  });

  await t.step("user_forget: KV late to end the sessions, then the database stalled", async () => {
    // Its own person: the sessions it ends stay ended.
    await using leaving = await openChat(server, "budget-forget");
    const { session } = await leaving.begin();
    const asked = await leaving.call("user_forget", { session });
    assert(!asked.isError, asked.text);
    const confirmation = asked.data.confirmation.code;
    const relay = server.database!.relay;
    const lock = await holdWriteLock(kvPath);
    relay.setPaused(true);
    const releasing = new Promise<void>((resolve) =>
      setTimeout(() => lock.release().then(resolve), LATE_MS)
    );
    try {
      const { result, ms } = await timed(() =>
        leaving.call("user_forget", { session, confirmation })
      );
      assert(result.isError, `forgotten while the database stalled: ${result.text}`);
      assertStringIncludes(result.text, FAIL_CLOSED_SENTENCE);
      assert(ms < WITHIN_MS, `user_forget took ${ms} ms (budget ${BUDGET_MS} ms)`);
    } finally {
      await releasing;
      relay.setPaused(false);
    }
  });

  await t.step(
    "parallel calls, database stalled and KV locked: each within the budget",
    async () => {
      const { session } = await chat.begin();
      const lock = await holdWriteLock(kvPath);
      const relay = server.database!.relay;
      relay.setPaused(true);
      try {
        const calls: Call[] = [
          ...Array.from({ length: 10 }, (): Call => ["begin_session", {}]),
          ["user_save_state", { session, patch: { during: "both" } }],
          ["user_get_profile", { session }],
          ["domain_do_action", { session, action: "shelve", id: "a2" }],
        ];
        const answers = await Promise.all(
          calls.map(([name, args]) => timed(() => chat.call(name, args))),
        );
        answers.forEach(({ result, ms }, i) => {
          const name = calls[i][0];
          assert(result.isError, `${name} answered with both stores down: ${result.text}`);
          assert(
            result.text.includes(FAIL_CLOSED_SENTENCE) ||
              result.text.startsWith(OUTCOME_UNKNOWN_PREFIX),
            `${name}: ${result.text}`,
          );
          assert(ms < WITHIN_MS, `${name} took ${ms} ms (budget ${BUDGET_MS} ms)`);
        });
      } finally {
        relay.setPaused(false);
        await lock.release();
      }
    },
  );

  await t.step("with the stores back, the session contract works again", async () => {
    const again = await chat.call("begin_session");
    assert(!again.isError, again.text);
    const saved = await chat.call("user_save_state", {
      session: again.data.session.token,
      patch: { after: true },
    });
    assert(!saved.isError, saved.text);
  });
});

for (const pack of await allPacks()) {
  Deno.test(`${pack.id}: every tool answers within the budget, the database late and KV locked`, async () => {
    await using server = await startTestServer({
      DOMAIN: pack.id,
      STORE_TIMEOUT_MS: String(BUDGET_MS),
      MCP_MAX_OPEN_PER_PERSON: "64",
    });
    await using chat = await openChat(server, `sweep-${pack.id}`);
    const { session } = await chat.begin();
    const asked = await chat.call("user_forget", { session });
    assert(!asked.isError, asked.text);
    const calls: Call[] = [
      ["begin_session", {}],
      ["health", {}],
      ["user_get_profile", { session }],
      ["user_save_state", { session, patch: { x: 1 } }],
      ["user_get_history", { session }],
      ["user_restore_state", { session, version: 0 }],
      ["user_export", { session }],
      ["user_forget", { session }],
      ["user_forget", { session, confirmation: asked.data.confirmation.code }],
      ["config_get_rules", { session }],
      ["config_get_persona", { session }],
      ...examplesOf(pack).map(([name, args]): Call => [
        name,
        { ...args, session },
      ]),
      // Last: once KV is back, its revocation may land.
      ["end_session", { session }],
    ];
    const failClosed = failClosedSentence(pack.brand);
    const lock = await holdWriteLock(server.config.kvPath!);
    try {
      using _late = databaseLate(server, LATE_MS);
      const answers = await Promise.all(
        calls.map(([name, args]) => timed(() => chat.call(name, args))),
      );
      answers.forEach(({ result, ms }, i) => {
        const name = calls[i][0];
        assert(ms < WITHIN_MS, `${name} took ${ms} ms (budget ${BUDGET_MS} ms)`);
        if (result.isError) {
          assert(
            result.text.includes(failClosed) || result.text.startsWith(OUTCOME_UNKNOWN_PREFIX),
            `${name}: ${result.text}`,
          );
        }
      });
    } finally {
      await lock.release();
    }
  });
}
