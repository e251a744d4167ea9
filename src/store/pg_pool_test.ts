/**
 * The pool both PostgreSQL drivers run on (pg_pool.ts), through each of them: the store contract,
 * migrations from several instances at once, the idle sweeper, the server-side deadline.
 *
 * @module
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { databaseOver } from "./database.ts";
import {
  applyMigrations,
  CORE_MIGRATIONS,
  CORE_NAMESPACE,
  migrationChecksum,
  MigrationDriftError,
  type MigrationSet,
} from "./migrations.ts";
import {
  createTestDatabase,
  DRIVER_NAMES,
  POSTGRES_DRIVERS,
} from "../../tests/helpers/postgres.ts";
import { runStoreContract } from "../../tests/helpers/store_contract.ts";

for (const driver of POSTGRES_DRIVERS) {
  const through = DRIVER_NAMES[driver];

  Deno.test(`store contract: PostgreSQL through ${through}`, async (t) => {
    await using db = await createTestDatabase({ driver });
    const database = databaseOver(db.connect(), { namespace: "test", migrations: [] }, 10_000);
    try {
      await runStoreContract(t, database);
    } finally {
      await database.close();
    }
  });

  Deno.test(`migrations are idempotent and safe to run from several instances at once (${through})`, async () => {
    await using db = await createTestDatabase({ driver });
    const clients = Array.from({ length: 4 }, () => db.connect());
    try {
      const sets: MigrationSet[] = [
        { namespace: CORE_NAMESPACE, migrations: CORE_MIGRATIONS },
        {
          namespace: "other",
          migrations: [{ version: 1, name: "t", sql: "CREATE TABLE other_t (x int)" }],
        },
      ];
      const applied = await Promise.all(clients.map((c) => applyMigrations(c, sets)));
      const all = [...CORE_MIGRATIONS.map((m) => `core:${m.version}`), "other:1"];
      assertEquals(applied.flat().sort(), all.sort());
      assertEquals(await applyMigrations(clients[0], sets), []);
      const rows = await clients[0].query<{ namespace: string; version: number }>(
        "SELECT namespace, version FROM kit_migrations",
      );
      assertEquals(rows.map((r) => `${r.namespace}:${Number(r.version)}`).sort(), all.sort());
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  Deno.test(`PostgreSQL (${through}): connections unused for the idle time are closed, and the next call opens one`, async () => {
    await using db = await createTestDatabase({ driver });
    const sql = db.connect({ idleMs: 300 });
    const watcher = db.connect();
    const open = async () => {
      const [{ n }] = await watcher.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      return n;
    };
    try {
      await Promise.all(Array.from({ length: 4 }, () => sql.query("SELECT pg_sleep(0.05)")));
      assert(await open() >= 1, "connections open after the calls");
      // Still in use within the idle time: kept.
      await sql.query("SELECT 1");
      assert(await open() >= 1);
      const deadline = Date.now() + 5_000;
      while (await open() > 0) {
        assert(Date.now() < deadline, "idle connections were not closed");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assertEquals(await sql.query<{ x: number }>("SELECT 1 AS x"), [{ x: 1 }]);
    } finally {
      await sql.close();
      await watcher.close();
    }
    await assertRejects(() => sql.query("SELECT 1"), Error, "closed");
  });

  Deno.test(`a migration's text may replace an earlier one it names by checksum; any other edit is drift (${through})`, async () => {
    await using db = await createTestDatabase({ driver });
    const sql = db.connect();
    try {
      const first = "CREATE TABLE m_t (x int); CREATE TABLE m_u (y int)";
      const moved = "CREATE TABLE m_t (x int)";
      await applyMigrations(sql, [{
        namespace: "m",
        migrations: [{ version: 1, name: "t", sql: first }],
      }]);
      const replacing = [{
        version: 1,
        name: "t",
        sql: moved,
        replaces: [await migrationChecksum(first)],
      }];
      assertEquals(await applyMigrations(sql, [{ namespace: "m", migrations: replacing }]), []);
      const [{ checksum }] = await sql.query<{ checksum: string }>(
        "SELECT checksum FROM kit_migrations WHERE namespace = 'm' AND version = 1",
      );
      assertEquals(checksum, await migrationChecksum(moved), "the new text is recorded");
      assertEquals(await applyMigrations(sql, [{ namespace: "m", migrations: replacing }]), []);
      // An edit that names no earlier text is still refused, and so is going back to the old one.
      for (const edited of ["CREATE TABLE m_t (x bigint)", first]) {
        await assertRejects(
          () =>
            applyMigrations(sql, [{
              namespace: "m",
              migrations: [{ version: 1, name: "t", sql: edited }],
            }]),
          MigrationDriftError,
        );
      }
    } finally {
      await sql.close();
    }
  });

  Deno.test(`PostgreSQL (${through}): a statement slower than the store deadline is cancelled by the server`, async (t) => {
    await using db = await createTestDatabase({ driver });
    // One connection, so "usable again" is about the very connection that ran the slow statement.
    const sql = db.connect({ timeoutMs: 500, maxConnections: 1 });
    try {
      const [{ version }] = await sql.query<{ version: string }>("SELECT version()");
      if (version.includes("emscripten")) {
        // The PGlite fallback runs on the test's own thread and has no timer to cancel with.
        console.warn("No PostgreSQL server: statement_timeout not tested.");
        return;
      }

      await t.step("both limits are set on the connection", async () => {
        const [row] = await sql.query<{ statement: string; idle: string }>(
          "SELECT current_setting('statement_timeout') AS statement, " +
            "current_setting('idle_in_transaction_session_timeout') AS idle",
        );
        assertEquals(row, { statement: "500ms", idle: "500ms" });
      });

      await t.step(
        "pg_sleep(5) is cancelled near the deadline; the connection works after",
        async () => {
          const started = performance.now();
          await assertRejects(() => sql.query("SELECT pg_sleep(5)"), Error, "statement timeout");
          const elapsed = performance.now() - started;
          assert(elapsed < 2_000, `cancelled only after ${elapsed} ms`);
          assertEquals(await sql.query("SELECT 1 AS one"), [{ one: 1 }]);
          const [{ lingering }] = await sql.query<{ lingering: number }>(
            "SELECT count(*)::int AS lingering FROM pg_stat_activity WHERE datname = current_database() " +
              "AND pid <> pg_backend_pid() AND query LIKE 'SELECT pg_sleep(5)%' AND state = 'active'",
          );
          assertEquals(lingering, 0);
        },
      );

      await t.step(
        "a slow statement holding a reader's row lock lets go of it by the deadline",
        async () => {
          await applyMigrations(sql, [{ namespace: CORE_NAMESPACE, migrations: CORE_MIGRATIONS }]);
          await sql.query("SELECT * FROM core_begin_session('locked', NULL)");
          await assertRejects(
            () =>
              sql.transaction(async (tx) => {
                await tx.query("SELECT 1 FROM user_state WHERE user_id = 'locked' FOR UPDATE");
                await tx.query("SELECT pg_sleep(5)");
              }),
            Error,
            "statement timeout",
          );
          // Another connection, without limits of its own, gets the row at once.
          const other = db.connect();
          try {
            const started = performance.now();
            const [row] = await other.query<{ outcome: string }>(
              "SELECT outcome FROM core_save_state('locked', '{\"free\": true}', NULL, 1000)",
            );
            assertEquals(row.outcome, "saved");
            assert(performance.now() - started < 1_000);
          } finally {
            await other.close();
          }
        },
      );
    } finally {
      await sql.close();
    }
  });
}
