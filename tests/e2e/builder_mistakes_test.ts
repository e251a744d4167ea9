/**
 * A builder's mistakes in a pack, each named where the builder looks: the tool's answer in
 * development, the request's log line, the start-up error. Planted in a small probe pack so each
 * one is the only thing wrong.
 *
 * @module
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { z } from "zod";
import { defineTool, Refusal, REFUSED_PREFIX, type SqlClient } from "../../src/pack/mod.ts";
import { CALL_FAILED_PREFIX } from "../../src/pack/kit_side.ts";
import { PlaceholderGuidanceError } from "../../src/guidance.ts";
import { MigrationDriftError, MigrationFailedError } from "../../src/store/migrations.ts";
import { openChat } from "../helpers/mcp_client.ts";
import { createTestDatabase } from "../helpers/postgres.ts";
import { probePack } from "../helpers/probe_pack.ts";
import { assertNoReachThroughArguments } from "../helpers/cross_person.ts";
import { startTestServer } from "../helpers/server.ts";

const TABLE = {
  version: 1,
  name: "notes",
  sql:
    "CREATE TABLE probe_notes (user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE, body text NOT NULL)",
};

type Store = { sql: SqlClient };
const tool = defineTool<Store>();
const none = z.object({});
const count = z.object({ count: z.number().int() });
const insert = (store: Store, sub: string) =>
  store.sql.query("INSERT INTO probe_notes (user_id, body) VALUES ($1, 'x')", [sub]);
const rows = async (store: Store, sub: string) =>
  (await store.sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM probe_notes WHERE user_id = $1",
    [sub],
  ))[0].n;

const TOOLS = [
  tool({
    name: "domain_count",
    title: "Count",
    description: "Counts the caller's notes.",
    access: "read",
    inputSchema: none,
    outputSchema: count,
    example: {},
    run: async (_a, { store, identity, reply }) =>
      reply.success({ count: await rows(store, identity.sub) }, "counted"),
  }),
  tool({
    name: "domain_typo",
    title: "Typo",
    description: "A query naming a column the migrations never made.",
    access: "read",
    inputSchema: none,
    outputSchema: count,
    example: {},
    run: async (_a, { store, reply }) => {
      await store.sql.query("SELECT nope FROM probe_notes");
      return reply.success({ count: 0 }, "never");
    },
  }),
  tool({
    name: "domain_cast",
    title: "Cast",
    description: "Passes its argument to the database as a number.",
    access: "read",
    inputSchema: z.object({ n: z.string().max(20) }),
    outputSchema: count,
    example: { n: "1" },
    run: async ({ n }, { store, reply }) => {
      const [row] = await store.sql.query<{ n: number }>("SELECT $1::int AS n", [n]);
      return reply.success({ count: row.n }, "cast");
    },
  }),
  tool({
    name: "domain_throw",
    title: "Throw",
    description: "Throws an error of its own.",
    access: "read",
    inputSchema: none,
    outputSchema: count,
    example: {},
    run: () => {
      throw new TypeError("probe went wrong");
    },
  }),
  tool({
    name: "domain_sneaky_write",
    title: "Sneaky write",
    description: "Declared read, but writes.",
    access: "read",
    inputSchema: none,
    outputSchema: count,
    example: {},
    run: async (_a, { store, identity, reply }) => {
      await insert(store, identity.sub);
      return reply.success({ count: 1 }, "wrote");
    },
  }),
  tool({
    name: "domain_refuse_late",
    title: "Refuse late",
    description: "Writes, then its store refuses.",
    access: "write",
    inputSchema: none,
    outputSchema: count,
    example: {},
    run: async (_a, { store, identity }) => {
      await insert(store, identity.sub);
      throw new Refusal("the probe says no; nothing to fix here.");
    },
  }),
  tool({
    name: "domain_bad_output",
    title: "Bad output",
    description: "Writes, then answers outside its output schema.",
    access: "write",
    inputSchema: none,
    outputSchema: count,
    example: {},
    run: async (_a, { store, identity, reply }) => {
      await insert(store, identity.sub);
      return reply.success({ count: "many" as unknown as number }, "wrote");
    },
  }),
];

const PACK = probePack<Store>(TOOLS, {
  migrations: [TABLE],
  createStore: (sql) => ({ sql }),
});

Deno.test("a pack's mistakes are named where the builder looks (development)", async (t) => {
  await using server = await startTestServer({}, { pack: PACK });
  await using chat = await openChat(server, "builder");
  const { session } = await chat.begin();
  const call = (name: string, args: Record<string, unknown> = {}) =>
    chat.call(name, { ...args, session });

  await t.step("an SQL error: SQLSTATE and message in the answer and the log", async () => {
    const result = await call("domain_typo");
    assert(result.isError);
    assertStringIncludes(result.text, "SQLSTATE 42703");
    assertStringIncludes(result.text, "nope");
    assertStringIncludes(result.text, "development only");
    assert(!/unavailable/.test(result.text), result.text);
    const line = await server.logLine((l) => l.tool === "domain_typo");
    assertEquals(line.level, "error");
    assertEquals((line.failure as Record<string, unknown>).pack, "probe");
    assertEquals((line.failure as Record<string, unknown>).sqlstate, "42703");
    assertStringIncludes(String((line.failure as Record<string, unknown>).message), "nope");
  });

  await t.step("a value the database cannot take is refused, not an outage", async () => {
    const result = await call("domain_cast", { n: "twelve" });
    assertStringIncludes(result.text, REFUSED_PREFIX);
    assertStringIncludes(result.text, "cannot take these arguments");
    const line = await server.logLine((l) => l.tool === "domain_cast");
    const failure = line.failure as Record<string, unknown>;
    assertEquals(failure.sqlstate, "22P02");
    assert(!JSON.stringify(line).includes("twelve"), "the argument value reached the log");
  });

  await t.step("a raw throw fails that call only; the session goes on", async () => {
    const result = await call("domain_throw");
    assertStringIncludes(result.text, CALL_FAILED_PREFIX);
    assertStringIncludes(result.text, "TypeError: probe went wrong");
    assert(!result.text.includes("session cannot continue"), result.text);
    const line = await server.logLine((l) => l.tool === "domain_throw");
    assertStringIncludes(
      String((line.failure as Record<string, unknown>).stack),
      "probe went wrong",
    );
    assertEquals((await call("domain_count")).isError, false);
  });

  await t.step("a read tool that writes is stopped by the database, naming the fix", async () => {
    const result = await call("domain_sneaky_write");
    assert(result.isError);
    assertStringIncludes(result.text, "25006");
    assertStringIncludes(result.text, 'declared access: "read" but writes');
    assertEquals((await call("domain_count")).data.count, 0);
  });

  await t.step("a Refusal from the store refuses, and rolls back what the write did", async () => {
    const result = await call("domain_refuse_late");
    assertStringIncludes(result.text, `${REFUSED_PREFIX} the probe says no`);
    assertEquals((await call("domain_count")).data.count, 0);
  });

  await t.step("a write whose answer breaks its schema is not committed", async () => {
    const result = await call("domain_bad_output");
    assertStringIncludes(result.text, CALL_FAILED_PREFIX);
    assertStringIncludes(result.text, "output schema");
    assertEquals((await call("domain_count")).data.count, 0);
    const history = await call("user_get_history");
    assertEquals(history.data.entries, []);
  });
});

Deno.test("a migration changed after it ran, or failing, stops the start naming it", async (t) => {
  await using db = await createTestDatabase();
  const env = { DATABASE_URL: db.url, DATABASE_WS_PROXY: db.relay.address };
  const withMigrations = (migrations: typeof TABLE[]) =>
    probePack<Store>(TOOLS, { migrations, createStore: (sql) => ({ sql }) });
  {
    await using first = await startTestServer(env, { pack: withMigrations([TABLE]) });
    assertEquals(first.config.domain, undefined);
  }
  await t.step("an edited migration 1", async () => {
    const edited = { ...TABLE, sql: `${TABLE.sql}; ALTER TABLE probe_notes ADD COLUMN at date` };
    const error = await assertRejects(
      () => startTestServer(env, { pack: withMigrations([edited]) }),
      MigrationDriftError,
    );
    assertStringIncludes(error.message, 'pack "probe"');
    assertStringIncludes(error.message, 'version 1 ("notes")');
    assertStringIncludes(error.message, "next version");
    assertStringIncludes(error.message, "deno task db:reset");
  });
  const next = {
    version: 2,
    name: "note dates",
    sql: "ALTER TABLE probe_notes ADD COLUMN at date",
  };
  await t.step("a shipped migration removed from below the newest", async () => {
    const error = await assertRejects(
      () => startTestServer(env, { pack: withMigrations([next]) }),
      MigrationDriftError,
    );
    assertStringIncludes(error.message, "version 1 ran here but is no longer listed");
  });
  await t.step("a new migration whose SQL fails", async () => {
    const broken = { version: 2, name: "typo", sql: "ALTER TABLE probe_notes ADD COLUM x int" };
    const error = await assertRejects(
      () => startTestServer(env, { pack: withMigrations([TABLE, broken]) }),
      MigrationFailedError,
    );
    assertStringIncludes(error.message, 'migration 2 ("typo") failed with SQLSTATE 42601');
  });
  await t.step("the shipped migrations as they were still start", async () => {
    await using again = await startTestServer(env, { pack: withMigrations([TABLE]) });
    assert(again.mcpUrl);
  });
  await t.step("a database ahead of the code (a rollback) is not drift", async () => {
    {
      await using newer = await startTestServer(env, { pack: withMigrations([TABLE, next]) });
      assert(newer.mcpUrl);
    }
    await using older = await startTestServer(env, { pack: withMigrations([TABLE]) });
    await using chat = await openChat(older, "after-rollback");
    const { session } = await chat.begin();
    assertEquals((await chat.call("domain_count", { session })).data.count, 0);
  });
});

Deno.test("guidance left as the generator's placeholder", async (t) => {
  const pack = probePack(undefined, {
    guidanceDir: new URL("../fixtures/placeholder_pack/", import.meta.url),
  });
  await t.step("in development: it starts, and the model never sees the comments", async () => {
    await using server = await startTestServer({}, { pack });
    await using chat = await openChat(server, "reader");
    const { result } = await chat.begin();
    assertStringIncludes(result.data.rules, "Start with begin_session");
    assert(!result.text.includes("kit:placeholder"), result.text);
    assert(!result.text.includes("<!--"), result.text);
  });
  await t.step("in production: the start is refused, naming the files", async () => {
    const error = await assertRejects(
      () =>
        startTestServer({
          APP_ENV: "production",
          PUBLIC_URL: "https://connector.example.com",
          AUTH_ISSUER: "https://issuer.example.com",
          SESSION_SIGNING_SECRET: "a-production-secret-of-at-least-32-chars",
        }, { pack }),
      PlaceholderGuidanceError,
    );
    assertStringIncludes(error.message, "placeholder_pack/rules.md");
    assertStringIncludes(error.message, "placeholder_pack/persona.md");
  });
});

Deno.test("a tool that reads another person's row through an argument cannot: the database answers as for a missing row", async () => {
  const NOTES = {
    version: 1,
    name: "notes",
    sql: "CREATE TABLE probe_notes (id text PRIMARY KEY, user_id text NOT NULL " +
      "REFERENCES users(id) ON DELETE CASCADE, body text NOT NULL)",
  };
  const note = z.object({ id: z.string(), body: z.string() });
  const notesTools = [
    tool({
      name: "domain_add_note",
      title: "Add a note",
      description: "Keeps a note for the caller.",
      access: "write",
      inputSchema: z.object({ body: z.string().max(100) }),
      outputSchema: z.object({ note }),
      example: { body: "private" },
      run: async ({ body }, { store, identity, reply }) => {
        const id = `note-${crypto.randomUUID().slice(0, 8)}`;
        await store.sql.query("INSERT INTO probe_notes VALUES ($1, $2, $3)", [
          id,
          identity.sub,
          body,
        ]);
        return reply.success({ note: { id, body } }, `Kept ${id}.`);
      },
    }),
    tool({
      name: "domain_read_note",
      title: "Read a note",
      description: "One note by id — without checking whose it is (the planted mistake).",
      access: "read",
      inputSchema: z.object({ id: z.string().max(64) }),
      outputSchema: z.object({ note }),
      example: { id: "note-none" },
      run: async ({ id }, { store, reply }) => {
        const [row] = await store.sql.query<{ id: string; body: string }>(
          "SELECT id, body FROM probe_notes WHERE id = $1",
          [id],
        );
        if (!row) throw new Refusal(`there is no note "${id}".`);
        return reply.success({ note: row }, row.body);
      },
    }),
  ];
  const pack = probePack<Store>(notesTools, {
    migrations: [NOTES],
    createStore: (sql) => ({ sql }),
    export: async (store, sub) => ({
      notes: await store.sql.query("SELECT id, body FROM probe_notes WHERE user_id = $1", [sub]),
    }),
  });
  await using server = await startTestServer({}, { pack });
  await using ann = await openChat(server, "note-owner");
  await using bo = await openChat(server, "note-intruder");
  const owner = { chat: ann, session: (await ann.begin()).session, sub: "note-owner" };
  const intruder = { chat: bo, session: (await bo.begin()).session };
  const kept = await ann.call("domain_add_note", { body: "my secret", session: owner.session });
  // Row-level security (store/isolation.ts): the planted mistake reaches nothing of another's.
  await assertNoReachThroughArguments(pack, owner, intruder);
  const id = kept.data.note.id;
  const stolen = await bo.call("domain_read_note", { id, session: intruder.session });
  assert(stolen.isError, `another person's note was read: ${stolen.text}`);
  assertStringIncludes(stolen.text, `there is no note "${id}"`);
  const own = await ann.call("domain_read_note", { id, session: owner.session });
  assertEquals(own.data.note.body, "my secret");
});

Deno.test("a person's rows kept in a shared table: the contract's probe reaches them through an argument the example leaves out", async () => {
  // `holder` is not `user_id`: the table is shared (no row-level security), the planted mistake.
  const CARDS = {
    version: 1,
    name: "cards",
    sql: "CREATE TABLE probe_cards (code text PRIMARY KEY, holder text NOT NULL, body text)",
  };
  const card = z.object({ code: z.string(), body: z.string() });
  const cardTools = [
    tool({
      name: "domain_add_card",
      title: "Add a card",
      description: "Keeps a card for the caller.",
      access: "write",
      inputSchema: z.object({ body: z.string().max(100) }),
      outputSchema: z.object({ card }),
      example: { body: "private" },
      run: async ({ body }, { store, identity, reply }) => {
        const code = `card-${crypto.randomUUID().slice(0, 8)}`;
        await store.sql.query("INSERT INTO probe_cards VALUES ($1, $2, $3)", [
          code,
          identity.sub,
          body,
        ]);
        return reply.success({ card: { code, body } }, `Kept ${code}.`);
      },
    }),
    tool({
      name: "domain_cards",
      title: "List cards",
      description: "The caller's cards, or one card by code (without checking whose it is).",
      access: "read",
      inputSchema: z.object({ code: z.string().max(64).optional() }),
      outputSchema: z.object({ cards: z.array(card) }),
      example: {},
      run: async ({ code }, { store, identity, reply }) => {
        const cards = await store.sql.query<{ code: string; body: string }>(
          code === undefined
            ? "SELECT code, body FROM probe_cards WHERE holder = $1"
            : "SELECT code, body FROM probe_cards WHERE code = $1",
          [code ?? identity.sub],
        );
        return reply.success({ cards }, `${cards.length} card(s).`);
      },
    }),
  ];
  const pack = probePack<Store>(cardTools, {
    migrations: [CARDS],
    createStore: (sql) => ({ sql }),
    export: async (store, sub) => ({
      cards: await store.sql.query("SELECT code, body FROM probe_cards WHERE holder = $1", [sub]),
    }),
  });
  await using server = await startTestServer({}, { pack });
  await using ann = await openChat(server, "card-owner");
  await using bo = await openChat(server, "card-intruder");
  const owner = { chat: ann, session: (await ann.begin()).session, sub: "card-owner" };
  const intruder = { chat: bo, session: (await bo.begin()).session };
  await ann.call("domain_add_card", { body: "my secret", session: owner.session });
  const error = await assertRejects(() => assertNoReachThroughArguments(pack, owner, intruder));
  assertStringIncludes(String(error), 'domain_cards with code: "card-');
  assertStringIncludes(String(error), "answered with their row");
});

Deno.test("a write for another person's user_id is refused, writes nothing, and names the mistake", async () => {
  const gift = tool({
    name: "domain_give_note",
    title: "Give a note",
    description:
      "Writes a note for whoever `to` names (the planted mistake: an argument as owner).",
    access: "write",
    inputSchema: z.object({ to: z.string().max(64) }),
    outputSchema: count,
    example: { to: "gift-giver" },
    run: async ({ to }, { store, reply }) => {
      await insert(store, to);
      return reply.success({ count: 1 }, "Given.");
    },
  });
  const pack = probePack<Store>([gift], {
    migrations: [TABLE],
    createStore: (sql) => ({ sql }),
    export: () => Promise.resolve({}),
  });
  await using server = await startTestServer({}, { pack });
  await using giver = await openChat(server, "gift-giver");
  await using other = await openChat(server, "gift-taker");
  const session = (await giver.begin()).session;
  await other.begin();
  const given = await giver.call("domain_give_note", { to: "gift-taker", session });
  assert(given.isError, given.text);
  assertStringIncludes(given.text, REFUSED_PREFIX);
  assertStringIncludes(given.text, "not this");
  assertStringIncludes(given.text, "write identity.sub there");
  assert(!given.text.includes("session cannot continue"), given.text);
  const line = await server.logLine((l) => l.tool === "domain_give_note");
  assertEquals(line.level, "error");
  assertEquals((line.failure as Record<string, unknown>).sqlstate, "42501");
  const [{ n }] = await server.resources.sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM probe_notes",
  );
  assertEquals(n, 0);
  const own = await giver.call("domain_give_note", { to: "gift-giver", session });
  assert(!own.isError, own.text);
});
