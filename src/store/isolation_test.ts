/**
 * Isolation by construction, on both backends: a pack's SQL run for a person sees and changes only
 * that person's rows of a personal table — and of the kit's own per-person tables — whatever it
 * says, in single statements, transactions, joined writes and development's read-only reads; the
 * setting never outlives its transaction on a pooled connection; tables that reference people in
 * a way the kit cannot guard stop the start, naming the fix.
 *
 * @module
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { type Database, databaseOver } from "./database.ts";
import { IsolationError } from "./isolation.ts";
import type { Migration } from "./migrations.ts";
import { openPglite } from "./pglite.ts";
import type { SqlClient, StoreError } from "./types.ts";
import {
  createTestDatabase,
  DRIVER_NAMES,
  POSTGRES_DRIVERS,
} from "../../tests/helpers/postgres.ts";

const NOTES: Migration = {
  version: 1,
  name: "notes",
  sql: `CREATE TABLE iso_notes (
    id serial PRIMARY KEY,
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body text NOT NULL
  );
  CREATE VIEW iso_notes_seen WITH (security_invoker = true) AS SELECT body FROM iso_notes;
  CREATE TABLE iso_catalog (id text PRIMARY KEY);
  INSERT INTO iso_catalog VALUES ('shared')`,
};

type Backend = {
  name: string;
  open(): Promise<{ raw: SqlClient } & AsyncDisposable>;
};

const BACKENDS: Backend[] = [
  {
    name: "embedded PGlite",
    open: async () => {
      const raw = await openPglite();
      return { raw, [Symbol.asyncDispose]: async () => {} };
    },
  },
  ...POSTGRES_DRIVERS.map((driver) => ({
    name: `PostgreSQL through ${DRIVER_NAMES[driver]}`,
    open: async () => {
      const db = await createTestDatabase({ driver });
      return { raw: db.connect(), [Symbol.asyncDispose]: () => db[Symbol.asyncDispose]() };
    },
  })),
];

/** The bodies of the notes `sql` sees, sorted. */
async function bodies(database: Database, query = "SELECT body FROM iso_notes"): Promise<string[]> {
  const rows = await database.sql.query<{ body: string }>(query);
  return rows.map((r) => r.body).sort();
}

for (const backend of BACKENDS) {
  Deno.test(`isolation (${backend.name}): a pack's SQL sees only the caller's rows, whatever it says`, async (t) => {
    await using opened = await backend.open();
    const database = databaseOver(opened.raw, { namespace: "iso", migrations: [NOTES] }, 10_000);
    try {
      await database.prepared();
      for (const sub of ["ann", "bo"]) await database.users.beginSession({ sub });
      await database.asPerson("ann", async () => {
        await database.sql.query("INSERT INTO iso_notes (user_id, body) VALUES ($1, 'ann 1')", [
          "ann",
        ]);
        await database.sql.query("INSERT INTO iso_notes (user_id, body) VALUES ($1, 'ann 2')", [
          "ann",
        ]);
      });
      await database.asPerson(
        "bo",
        () => database.sql.query("INSERT INTO iso_notes (user_id, body) VALUES ('bo', 'bo 1')"),
      );

      await t.step("a query without its person filter: the caller's rows only", async () => {
        assertEquals(await database.asPerson("bo", () => bodies(database)), ["bo 1"]);
        assertEquals(await database.asPerson("ann", () => bodies(database)), ["ann 1", "ann 2"]);
        // Filtering by another person's id (an argument the model chose) finds nothing.
        assertEquals(
          await database.asPerson(
            "bo",
            () => bodies(database, "SELECT body FROM iso_notes WHERE user_id = 'ann'"),
          ),
          [],
        );
      });

      await t.step("a view that reads as its caller: the caller's rows only", async () => {
        assertEquals(
          await database.asPerson("bo", () => bodies(database, "SELECT body FROM iso_notes_seen")),
          ["bo 1"],
        );
      });

      await t.step("the kit's own per-person tables too: users, saved state, history", async () => {
        const seen = await database.asPerson("bo", async () => ({
          users: await database.sql.query<{ id: string }>("SELECT id FROM users"),
          state: await database.sql.query<{ user_id: string }>("SELECT user_id FROM user_state"),
        }));
        assertEquals(seen.users.map((r) => r.id), ["bo"]);
        assertEquals(seen.state.map((r) => r.user_id), ["bo"]);
      });

      await t.step("a subject with quotes, backslashes and SQL in it is set exactly", async () => {
        const odd = "o'brien\\'; SET ROLE postgres; -- \\\\x \u00e9\u{1F600}";
        await database.users.beginSession({ sub: odd });
        const seen = await database.asPerson(odd, async () => {
          await database.sql.query("INSERT INTO iso_notes (user_id, body) VALUES ($1, 'odd')", [
            odd,
          ]);
          return await database.sql.query<{ sub: string; role: string }>(
            "SELECT current_setting('kit.sub') AS sub, current_user AS role",
          );
        });
        assertEquals(seen, [{ sub: odd, role: "kit_person" }]);
        assertEquals(await database.asPerson(odd, () => bodies(database)), ["odd"]);
        assertEquals(await database.asPerson("bo", () => bodies(database)), ["bo 1"]);
        await database.forgetPerson(odd);
      });

      await t.step("shared tables stay shared", async () => {
        const rows = await database.asPerson(
          "bo",
          () => database.sql.query<{ id: string }>("SELECT id FROM iso_catalog"),
        );
        assertEquals(rows.map((r) => r.id), ["shared"]);
      });

      await t.step(
        "writes reach only the caller's rows; a row for another is refused",
        async () => {
          await database.asPerson("bo", async () => {
            await database.sql.query("UPDATE iso_notes SET body = 'overwritten'");
            await database.sql.query("DELETE FROM iso_notes WHERE body LIKE 'ann%'");
            for (
              const forged of [
                "INSERT INTO iso_notes (user_id, body) VALUES ('ann', 'forged')",
                "UPDATE iso_notes SET user_id = 'ann' WHERE user_id = 'bo'",
              ]
            ) {
              const error = await assertRejects(() => database.sql.query(forged)) as StoreError;
              // Refused by the policy, not by anything else.
              assertEquals(error.sqlstate, "42501", error.message);
              assertStringIncludes(error.message, "row-level security");
            }
          });
          assertEquals(await database.asPerson("ann", () => bodies(database)), ["ann 1", "ann 2"]);
          assertEquals(await database.asPerson("bo", () => bodies(database)), ["overwritten"]);
          await database.asPerson(
            "bo",
            () => database.sql.query("UPDATE iso_notes SET body = 'bo 1'"),
          );
        },
      );

      await t.step("in a joined write, a pack transaction and a read-only read alike", async () => {
        assertEquals(
          await database.asPerson("bo", () => database.atomically(() => bodies(database))),
          ["bo 1"],
        );
        assertEquals(
          await database.asPerson(
            "bo",
            () =>
              database.sql.transaction(async (tx) =>
                (await tx.query<{ body: string }>("SELECT body FROM iso_notes")).map((r) => r.body)
              ),
          ),
          ["bo 1"],
        );
        assertEquals(
          await database.asPerson("bo", () => database.readOnly(() => bodies(database))),
          ["bo 1"],
        );
      });

      await t.step(
        "the identity ends with its transaction: a pooled connection carries none",
        async () => {
          // Many calls of both people at once, over the pool's few connections.
          const seen = await Promise.all(
            Array.from({ length: 40 }, (_, i) => {
              const sub = i % 2 === 0 ? "ann" : "bo";
              return database.asPerson(sub, () => bodies(database)).then((b) => [sub, b] as const);
            }),
          );
          for (const [sub, b] of seen) {
            assertEquals(b, sub === "ann" ? ["ann 1", "ann 2"] : ["bo 1"], sub);
          }
          // Calls that fail half-way (a bad statement, a failing transaction) leave none behind.
          await Promise.all(
            Array.from(
              { length: 10 },
              (_, i) =>
                database.asPerson<unknown>(
                  i % 2 ? "ann" : "bo",
                  () =>
                    i % 3
                      ? database.sql.query("SELECT no_such_column FROM iso_notes")
                      : database.sql.transaction(async (tx) => {
                        await tx.query("SELECT 1");
                        await tx.query("SELECT 1/0");
                      }),
                ).catch(() => {}),
            ),
          );
          const after = await Promise.all(
            Array.from(
              { length: 10 },
              () =>
                database.sql.query<{ sub: string | null; role: string }>(
                  "SELECT nullif(current_setting('kit.sub', true), '') AS sub, current_user AS role",
                ),
            ),
          );
          for (const [row] of after) {
            assertEquals(row.sub, null);
            assert(row.role !== "kit_person", `the kit's own call ran as ${row.role}`);
          }
        },
      );

      await t.step("personalRows: every row of every personal table, every column", async () => {
        const rows = await database.personalRows("ann");
        assertEquals(Object.keys(rows), ["iso_notes"]);
        assertEquals(
          (rows.iso_notes as { body: string; user_id: string }[]).map((r) => [r.user_id, r.body])
            .sort(),
          [["ann", "ann 1"], ["ann", "ann 2"]],
        );
      });

      await t.step("forgetting a person takes all their rows and no one else's", async () => {
        await database.forgetPerson("ann");
        const everyone = await database.sql.query<{ user_id: string }>(
          "SELECT user_id FROM iso_notes",
        );
        assertEquals(everyone.map((r) => r.user_id), ["bo"]);
      });
    } finally {
      await database.close();
    }
  });
}

Deno.test("isolation: tables that reference people in a way the kit cannot guard stop the start", async (t) => {
  const cases: [string, string, string][] = [
    [
      "a person column not named user_id",
      "CREATE TABLE bad_answers (learner_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE)",
      "bad_answers.learner_id references users(id)",
    ],
    [
      "a user_id that references nothing",
      "CREATE TABLE bad_answers (user_id text NOT NULL)",
      "bad_answers.user_id does not reference users(id)",
    ],
    [
      "a reference that does not cascade",
      "CREATE TABLE bad_answers (user_id text NOT NULL REFERENCES users (id))",
      "without ON DELETE CASCADE",
    ],
    [
      "a view over a personal table with its owner's rights",
      "CREATE TABLE bad_notes (user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE); " +
      "CREATE VIEW bad_all AS SELECT * FROM bad_notes",
      "bad_all reads a personal table with its owner's rights",
    ],
    [
      "a materialized view over a personal table",
      "CREATE TABLE bad_notes (user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE); " +
      "CREATE MATERIALIZED VIEW bad_copy AS SELECT * FROM bad_notes",
      "bad_copy is a materialized view over a personal table",
    ],
    [
      "a SECURITY DEFINER function",
      "CREATE FUNCTION bad_peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS " +
      "'SELECT count(*) FROM users'",
      "bad_peek is SECURITY DEFINER",
    ],
  ];
  for (const [what, ddl, words] of cases) {
    await t.step(what, async () => {
      const database = databaseOver(await openPglite(), {
        namespace: "bad",
        migrations: [{ version: 1, name: "answers", sql: ddl }],
      }, 10_000);
      try {
        const error = await assertRejects(() => database.prepared(), IsolationError);
        assertStringIncludes(error.message, "the bad pack's tables cannot be kept per person");
        assertStringIncludes(error.message, words);
      } finally {
        await database.close();
      }
    });
  }
});
