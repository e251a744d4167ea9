/**
 * The kit's contract, walked for one pack with the pack's own example calls, on a real server
 * (PostgreSQL through the Neon driver and the relay) with a real MCP client.
 * `tests/domains/pack_contract_test.ts` walks every registered pack with it; a test of the walk
 * itself hands it a probe pack and its own `step`.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { loadGuidance, placeholderProblem } from "../../src/guidance.ts";
import { signSessionToken } from "../../src/session/session_token.ts";
import { buildToolRegistry } from "../../src/tools/registry.ts";
import { type Pack, REFUSED_PREFIX } from "../../src/pack/mod.ts";
import { failClosedSentence } from "../../src/pack/kit_side.ts";
import { assertNoReachThroughArguments } from "./cross_person.ts";
import { examplesOf } from "./examples.ts";
import { rowsMentioning } from "./inspect.ts";
import { openChat, type ReaderChat, type ToolResult } from "./mcp_client.ts";
import { assertOneMeaning } from "./renderings.ts";
import { startTestServer } from "./server.ts";

const SECRET = "pack-contract-session-secret-0123456789";

/** Runs one named part of the walk (`t.step` in a `Deno.test`). */
export type ContractStep = (name: string, fn: () => Promise<void>) => Promise<unknown>;

/**
 * Walks the contract for `pack`: each part through `step`, which decides what a failing part
 * does (`t.step` reports it and goes on to the next).
 */
export async function walkPackContract(pack: Pack, step: ContractStep): Promise<void> {
  // PostgreSQL under an owner that is neither superuser nor BYPASSRLS, as on a managed service:
  // row-level security then holds the kit's own calls of the pack too, not only the pack's SQL.
  await using server = await startTestServer({
    SESSION_SIGNING_SECRET: SECRET,
    STORE_TIMEOUT_MS: "3000",
  }, { pack, database: "postgres-plain" });
  const stop = failClosedSentence(pack.brand);
  await using ann = await openChat(server, `contract-ann-${pack.id}`);
  await using bo = await openChat(server, `contract-bo-${pack.id}`);
  const annSession = (await ann.begin()).session;
  const boSession = (await bo.begin()).session;
  const examples = examplesOf(pack);

  await step(
    "the pack's tools are listed, and nothing else",
    async () => {
      const { tools } = await ann.client.listTools();
      const listed = tools.map((tool) => tool.name).filter((name) => name.startsWith("domain_"));
      assertEquals(listed.sort(), pack.tools.map((tool) => tool.name).sort());
      for (const tool of tools.filter((tool) => tool.name.startsWith("domain_"))) {
        const properties = Object.keys(
          (tool.inputSchema as { properties?: object }).properties ?? {},
        );
        assert(properties.includes("session"), `${tool.name} takes no session`);
        assert(
          !properties.some((p) => /^(user|sub|email)/i.test(p)),
          `${tool.name} names a user`,
        );
      }
    },
  );

  const expectRefusedSession = async (
    chat: ReaderChat,
    session: string | undefined,
    reason: string,
  ) => {
    for (const [name, args] of examples) {
      const call = session === undefined ? { ...args } : { ...args, session };
      const result = await chat.call(name, call);
      assert(result.isError, `${name} answered: ${result.text}`);
      assertStringIncludes(result.text, stop);
      assertStringIncludes(result.text, reason);
      assertEquals(result.data, undefined, `${name} returned data`);
      assertOneMeaning(result, `${name} without a session`);
    }
  };

  await step("without a session: fail-closed guidance to call begin_session", async () => {
    await expectRefusedSession(ann, undefined, "Call begin_session first");
  });
  await step("with a forged session token", async () => {
    await expectRefusedSession(ann, "forged.session.token", "not valid");
    const otherKey = await signSessionToken(new TextEncoder().encode("x".repeat(40)), {
      sub: `contract-ann-${pack.id}`,
      sid: crypto.randomUUID(),
      ttlSeconds: 600,
    });
    await expectRefusedSession(ann, otherKey.token, "not valid");
  });
  await step("with another person's session", async () => {
    await expectRefusedSession(ann, boSession, "belongs to a different");
  });
  await step("no identity argument is accepted", async () => {
    for (const [name, args] of examples) {
      for (const smuggled of [{ sub: "bo" }, { user: "bo" }, { user_id: "bo" }]) {
        const result = await ann.call(name, { ...args, ...smuggled, session: annSession });
        assert(result.isError, `${name} accepted ${JSON.stringify(smuggled)}`);
        assertEquals(result.data, undefined);
      }
    }
  });
  const registry = buildToolRegistry(pack, {
    brand: pack.brand,
    sessionMinutes: 30,
    stateMaxBytes: 65_536,
  });
  const assertFits = (name: string, result: ToolResult, when: string) => {
    assert(!result.isError, `${name}${when}: ${result.text}`);
    assertOneMeaning(result, name);
    const tool = registry.tools.find((tool) => tool.name === name)!;
    const parsed = tool.definition.outputSchema.safeParse(result.data);
    assert(parsed.success, `${name} output${when}: ${JSON.stringify(parsed.error?.issues)}`);
    assert(result.data.reminder, `${name} has no reminder`);
  };
  await step(
    "with a valid session every example succeeds and matches its output schema",
    async () => {
      for (const [name, args] of examples) {
        assertFits(name, await ann.call(name, { ...args, session: annSession }), "");
      }
    },
  );
  await step(
    "for a person with data (after the write examples) every read example succeeds again and " +
      "matches its output schema",
    async () => {
      // A read listed before the writes ran first for a fresh person, on its empty path.
      const reads = new Set(pack.tools.filter((t) => t.access === "read").map((t) => t.name));
      for (const [name, args] of examples.filter(([name]) => reads.has(name))) {
        const result = await ann.call(name, { ...args, session: annSession });
        assertFits(name, result, ` (for a ${pack.brand.userNoun} with data)`);
      }
    },
  );
  await step("one person's export holds nothing of another's", async () => {
    const exported = async () => {
      const result = await ann.call("user_export", { session: annSession });
      assert(!result.isError, result.text);
      const { domain, tables } = result.data.export;
      return { domain, tables };
    };
    const before = await exported();
    // The second person's calls may be refused (a shared slot the first one holds): what
    // they do write must not show up in the first person's export.
    for (const [name, args] of examples) await bo.call(name, { ...args, session: boSession });
    assertEquals(
      await exported(),
      before,
      `pack "${pack.id}": its export for one person changed when another person ran the ` +
        "examples, so it hands over other people's rows. Filter every query of export(store, " +
        "sub) by sub.",
    );
  });
  await step("the export holds every row of the person in the pack's tables", async () => {
    const sub = `contract-ann-${pack.id}`;
    const result = await ann.call("user_export", { session: annSession });
    assert(!result.isError, result.text);
    const tables: Record<string, unknown[]> = result.data.export.tables ?? {};
    const mentioning = await rowsMentioning(server.resources.sql, sub);
    for (const [table, count] of Object.entries(mentioning)) {
      if (!table.startsWith(`${pack.id}_`)) continue;
      assert(
        table in tables,
        `pack "${pack.id}": ${table} holds ${count} row(s) naming the person, but it is not a ` +
          "personal table, so user_export leaves them out and another person's calls can read " +
          "them. Give it user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE, or keep " +
          "nothing of one person there.",
      );
      assertEquals(tables[table].length, count, `${table}: the export misses rows`);
    }
    for (const [table, rows] of Object.entries(tables)) {
      for (const row of rows) assertEquals((row as { user_id?: string }).user_id, sub, table);
    }
  });
  await step("one person cannot reach another's rows through an argument", async () => {
    await assertNoReachThroughArguments(
      pack,
      { chat: ann, session: annSession, sub: `contract-ann-${pack.id}` },
      { chat: bo, session: boSession },
    );
  });
  await step("its guidance is written, not the generator's placeholder", async () => {
    const { placeholders } = await loadGuidance(pack.guidanceDir);
    assertEquals(placeholders, [], `pack "${pack.id}": ${placeholderProblem(placeholders)}`);
  });
  await step("bad arguments are refused as such, not as an outage", async () => {
    for (const [name] of examples) {
      const result = await ann.call(name, { session: annSession, nonsense: "\u0000" });
      assert(result.isError);
      assertOneMeaning(result, `${name} refused`);
      assertStringIncludes(result.text, REFUSED_PREFIX);
      assert(!result.text.includes(stop), `${name}: bad input reported as an outage`);
    }
  });
  await step(
    "database down: writes fail closed naming the store; a read either fails closed or is " +
      "served from fixed content exactly as before; then everything recovers",
    async () => {
      const before = new Map<string, unknown>();
      for (const [name, args] of examples) {
        const result = await ann.call(name, { ...args, session: annSession });
        assert(!result.isError, `${name}: ${result.text}`);
        before.set(name, withoutReminder(result.data));
      }
      const relay = server.database!.relay;
      relay.setRefusing(true);
      relay.cutConnections();
      try {
        for (const [name, args] of examples) {
          const result = await ann.call(name, { ...args, session: annSession });
          const access = pack.tools.find((tool) => tool.name === name)!.access;
          if (result.isError || access === "write") {
            assert(
              result.isError,
              `${name} (a write) answered during the outage: ${result.text}`,
            );
            assertStringIncludes(result.text, stop);
            assertStringIncludes(result.text, pack.brand.memoryName);
            assertEquals(result.data, undefined);
          } else {
            assertEquals(withoutReminder(result.data), before.get(name), `${name} made it up`);
          }
        }
      } finally {
        relay.setRefusing(false);
      }
      for (const [name, args] of examples) {
        const result = await ann.call(name, { ...args, session: annSession });
        assert(!result.isError, `${name} did not recover: ${result.text}`);
      }
    },
  );
  await step("user_forget leaves nothing of the person in any table", async () => {
    const sub = `contract-ann-${pack.id}`;
    assert(Object.keys(await rowsMentioning(server.resources.sql, sub)).length > 0);
    const first = await ann.call("user_forget", { session: annSession });
    assert(!first.isError, first.text);
    const done = await ann.call("user_forget", {
      session: annSession,
      confirmation: first.data.confirmation.code,
    });
    assert(!done.isError, done.text);
    assertEquals(await rowsMentioning(server.resources.sql, sub), {});
  });
  await step("after end_session", async () => {
    const ended = await bo.call("end_session", { session: boSession });
    assert(!ended.isError, ended.text);
    await expectRefusedSession(bo, boSession, "ended with end_session");
  });
}

/** A tool's structured answer without its reminder line (which names the session's time left). */
function withoutReminder(data: unknown): unknown {
  if (data === null || typeof data !== "object") return data;
  const { reminder: _reminder, ...rest } = data as Record<string, unknown>;
  return rest;
}
