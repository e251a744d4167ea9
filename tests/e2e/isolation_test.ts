/**
 * Isolation by construction, end to end: a pack whose list query forgot its person filter, whose
 * lookup takes a person id as an argument, and whose export forgets its table — through the real
 * server and MCP client, on the embedded store and on PostgreSQL. Person B sees none of A's rows,
 * cannot write one for A, and A's export still holds every row A has.
 *
 * @module
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { z } from "zod";
import { defineTool, type SqlClient } from "../../src/pack/mod.ts";
import { AS_EVERYONE_SQL } from "../../src/store/isolation.ts";
import { openChat } from "../helpers/mcp_client.ts";
import { BARE_OWNER, createTestDatabase } from "../helpers/postgres.ts";
import { probePack } from "../helpers/probe_pack.ts";
import { startTestServer } from "../helpers/server.ts";

type Store = { sql: SqlClient };
const tool = defineTool<Store>();

const NoteList = z.object({ notes: z.array(z.object({ owner: z.string(), body: z.string() })) });

const leakyPack = () =>
  probePack<Store>([
    tool({
      name: "domain_add_note",
      title: "Add a note",
      description: "Adds a note.",
      access: "write",
      inputSchema: z.object({ body: z.string().max(100), owner: z.string().max(100).optional() }),
      outputSchema: z.object({ added: z.boolean() }),
      example: { body: "first" },
      // The mistake: the owner comes from an argument when one is given.
      run: async ({ body, owner }, { store, identity, reply }) => {
        await store.sql.query("INSERT INTO probe_notes (user_id, body) VALUES ($1, $2)", [
          owner ?? identity.sub,
          body,
        ]);
        return reply.success({ added: true }, "Added.");
      },
    }),
    tool({
      name: "domain_list_notes",
      title: "List notes",
      description: "Lists notes.",
      access: "read",
      inputSchema: z.object({ learner_id: z.string().max(100).optional() }),
      outputSchema: NoteList,
      example: {},
      // The mistakes: no person filter at all, or a filter by an argument the model chose.
      run: async ({ learner_id }, { store, reply }) => {
        const rows = await store.sql.query<{ owner: string; body: string }>(
          learner_id === undefined
            ? "SELECT user_id AS owner, body FROM probe_notes ORDER BY id"
            : "SELECT user_id AS owner, body FROM probe_notes WHERE user_id = $1 ORDER BY id",
          learner_id === undefined ? [] : [learner_id],
        );
        return reply.success({ notes: rows }, `${rows.length} notes.`);
      },
    }),
  ], {
    migrations: [{
      version: 1,
      name: "notes",
      sql: `CREATE TABLE probe_notes (
        id serial PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        body text NOT NULL
      )`,
    }],
    createStore: (sql) => ({ sql }),
    // The mistake: the export forgets the table.
    export: () => Promise.resolve({}),
    // begin_session's own section reads the person's notes, filtered by sub as it should be.
    session: {
      schema: z.object({ notes: z.number().int() }),
      load: async (store, identity) => {
        const [{ n }] = await store.sql.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM probe_notes WHERE user_id = $1",
          [identity.sub],
        );
        return { data: { notes: n }, text: `${n} notes.` };
      },
    },
  });

// PostgreSQL as the machine runs it (the owner a superuser, which row-level security never holds),
// and under an owner that is neither superuser nor BYPASSRLS, as on a managed PostgreSQL: there a
// FORCEd policy holds the owner too, so the kit's own calls of the pack must be the person's.
for (const database of ["pglite", "postgres", "postgres-plain"] as const) {
  Deno.test(`isolation (${database}): a pack that forgot its person filter still shows B none of A's rows`, async (t) => {
    await using server = await startTestServer({}, { database, pack: leakyPack() });
    await using ann = await openChat(server, "iso-ann");
    await using bo = await openChat(server, "iso-bo");
    const annSession = (await ann.begin()).session;
    const boSession = (await bo.begin()).session;
    for (const body of ["ann's first", "ann's second"]) {
      const added = await ann.call("domain_add_note", { session: annSession, body });
      assert(!added.isError, added.text);
    }

    await t.step("begin_session's section of the pack counts A's own rows", async () => {
      const again = await ann.begin();
      assertEquals(again.result.data.domain, { notes: 2 });
    });

    await t.step("B's list without a filter, and filtered by A's id: nothing of A's", async () => {
      const all = await bo.call("domain_list_notes", { session: boSession });
      assert(!all.isError, all.text);
      assertEquals(all.data.notes, []);
      const byArgument = await bo.call("domain_list_notes", {
        session: boSession,
        learner_id: "iso-ann",
      });
      assertEquals(byArgument.data.notes, []);
    });

    await t.step("B cannot write a row as A; nothing of it is kept", async () => {
      const forged = await bo.call("domain_add_note", {
        session: boSession,
        body: "forged",
        owner: "iso-ann",
      });
      assert(forged.isError, `a row for another person was written: ${forged.text}`);
      const mine = await ann.call("domain_list_notes", { session: annSession });
      assertEquals(mine.data.notes.map((n: { body: string }) => n.body), [
        "ann's first",
        "ann's second",
      ]);
    });

    await t.step("A's export holds every row of the table the pack's export forgot", async () => {
      const exported = await ann.call("user_export", { session: annSession });
      assert(!exported.isError, exported.text);
      const rows = exported.data.export.tables.probe_notes as { user_id: string; body: string }[];
      assertEquals(rows.map((r) => r.body).sort(), ["ann's first", "ann's second"]);
      assert(rows.every((r) => r.user_id === "iso-ann"));
    });

    await t.step("forgetting A takes A's rows, and B's list is still B's", async () => {
      await bo.call("domain_add_note", { session: boSession, body: "bo's" });
      const asked = await ann.call("user_forget", { session: annSession });
      const done = await ann.call("user_forget", {
        session: annSession,
        confirmation: asked.data.confirmation.code,
      });
      assert(!done.isError, done.text);
      // Looked at as the kit's own work over everyone's rows (the owner is held by the policy
      // when it is no superuser).
      const left = await server.resources.sql.transaction(async (tx) => {
        await tx.query(AS_EVERYONE_SQL);
        return await tx.query<{ user_id: string }>("SELECT user_id FROM probe_notes");
      });
      assertEquals(left.map((r) => r.user_id), ["iso-bo"]);
    });
  });
}

Deno.test("isolation: an owner that may neither create nor act as the person role stops the start, saying what to run", async () => {
  await using db = await createTestDatabase({ owner: "bare" });
  const error = await assertRejects(() =>
    startTestServer({ DATABASE_URL: db.url, DATABASE_WS_PROXY: db.relay.address }, {
      pack: leakyPack(),
    })
  );
  assertStringIncludes(String(error), `the database role ${BARE_OWNER} cannot act as kit_person`);
  assertStringIncludes(String(error), `GRANT kit_person TO ${BARE_OWNER}`);
});
