/**
 * The database's preparation (migrations, content) is shared by the calls that arrive while it
 * runs: a call that gives up waiting does not start a second one behind it.
 *
 * @module
 */
import { assertEquals, assertRejects } from "@std/assert";
import { databaseOver } from "./database.ts";
import type { SqlClient } from "./types.ts";
import { createTestDatabase } from "../../tests/helpers/postgres.ts";

Deno.test("calls that time out during a slow preparation wait for it instead of starting another", async () => {
  await using db = await createTestDatabase();
  const inner = db.connect();
  let preparations = 0;
  // Every preparation takes its advisory lock first; this one is slow to get it.
  const slow: SqlClient = {
    query: inner.query.bind(inner),
    close: () => inner.close(),
    transaction: (fn) =>
      inner.transaction((tx) =>
        fn({
          exec: (sql) => tx.exec(sql),
          query: async (sql, params) => {
            if (sql.includes("pg_advisory_xact_lock")) {
              preparations++;
              await new Promise((resolve) => setTimeout(resolve, 900));
            }
            return await tx.query(sql, params);
          },
        })
      ),
  };
  const database = databaseOver(slow, { namespace: "test", migrations: [] }, 250);
  try {
    for (let i = 0; i < 3; i++) await assertRejects(() => database.ping(), Error, "no answer");
    await new Promise((resolve) => setTimeout(resolve, 600));
    await database.ping();
    assertEquals(preparations, 1);
  } finally {
    await database.close();
  }
});
