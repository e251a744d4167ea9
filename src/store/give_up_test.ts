/**
 * Giving up on a backend call (its signal aborts at the store deadline) stops it for real, on both
 * backends: a transaction stopped before its COMMIT leaves nothing, and the call says at once
 * whether it can have taken effect (`timeout`) or may have (`outcome_unknown`).
 *
 * @module
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { databaseOver } from "./database.ts";
import { openPglite } from "./pglite.ts";
import { type SqlClient, StoreError, storeFailure } from "./types.ts";
import {
  createTestDatabase,
  DRIVER_NAMES,
  POSTGRES_DRIVERS,
} from "../../tests/helpers/postgres.ts";

async function codeOf(call: Promise<unknown>): Promise<string> {
  const error = await assertRejects(() => call, StoreError);
  return (error as StoreError).code;
}

async function runGiveUpSteps(t: Deno.TestContext, sql: SqlClient): Promise<void> {
  await sql.query("CREATE TABLE given_up (x int)");

  await t.step("a transaction given up on before COMMIT leaves nothing and says so", async () => {
    const giveUp = new AbortController();
    const call = sql.transaction(async (tx) => {
      await tx.query("INSERT INTO given_up VALUES (1)");
      giveUp.abort();
      await tx.query("INSERT INTO given_up VALUES (2)");
    }, { signal: giveUp.signal });
    assertEquals(await codeOf(call), "timeout");
    assertEquals(await sql.query("SELECT count(*)::int AS n FROM given_up"), [{ n: 0 }]);
  });
  await t.step("given up on before it is sent, a statement never runs", async () => {
    const giveUp = new AbortController();
    giveUp.abort();
    const call = sql.query("INSERT INTO given_up VALUES (3)", [], { signal: giveUp.signal });
    assertEquals(await codeOf(call), "timeout");
    assertEquals(await sql.query("SELECT count(*)::int AS n FROM given_up"), [{ n: 0 }]);
  });
  await t.step(
    "a statement given up on while it runs is stopped, its outcome unknown",
    async () => {
      const giveUp = new AbortController();
      setTimeout(() => giveUp.abort(), 200);
      const started = performance.now();
      const call = sql.query("SELECT pg_sleep(5)", [], { signal: giveUp.signal });
      assertEquals(await codeOf(call), "outcome_unknown");
      const took = performance.now() - started;
      if (took > 1_500) throw new Error(`answered after ${took} ms`);
      // The client is usable right after.
      assertEquals(await sql.query("SELECT 41 + 1 AS n"), [{ n: 42 }]);
    },
  );
  await t.step("a call not given up on is untouched", async () => {
    const giveUp = new AbortController();
    await sql.transaction(async (tx) => {
      await tx.query("INSERT INTO given_up VALUES (4)");
    }, { signal: giveUp.signal });
    giveUp.abort();
    assertEquals(await sql.query("SELECT x FROM given_up"), [{ x: 4 }]);
  });
}

for (const driver of POSTGRES_DRIVERS) {
  Deno.test(`giving up stops the call: PostgreSQL through ${DRIVER_NAMES[driver]}`, async (t) => {
    await using db = await createTestDatabase({ driver });
    const sql = db.connect();
    try {
      await runGiveUpSteps(t, sql);
      await t.step(
        "a transaction whose bytes are held past the deadline never happens",
        async () => {
          db.relay.setPaused(true);
          const giveUp = new AbortController();
          setTimeout(() => giveUp.abort(), 200);
          const call = sql.transaction(async (tx) => {
            await tx.query("INSERT INTO given_up VALUES (5)");
          }, { signal: giveUp.signal });
          assertEquals(await codeOf(call), "timeout");
          await new Promise((resolve) => setTimeout(resolve, 100));
          db.relay.setPaused(false);
          await new Promise((resolve) => setTimeout(resolve, 500));
          assertEquals(await sql.query("SELECT x FROM given_up ORDER BY x"), [{ x: 4 }]);
        },
      );
      await t.step("a single statement held past the deadline is not confirmed", async () => {
        // Sent, so it may still run (a database that resumes reads what reached it): unknown.
        db.relay.setPaused(true);
        const giveUp = new AbortController();
        setTimeout(() => giveUp.abort(), 200);
        const call = sql.query("INSERT INTO given_up VALUES (6)", [], { signal: giveUp.signal });
        assertEquals(await codeOf(call), "outcome_unknown");
        db.relay.setPaused(false);
      });
      await runKilledBackendSteps(t, sql, db.connect());
    } finally {
      await sql.close();
    }
  });
}

/**
 * The backend serving a call is ended under it (`pg_terminate_backend`, as a restart or an
 * operator would): the call says what that means — a statement sent alone may have run
 * (`outcome_unknown`), a transaction not yet at COMMIT did not (`unavailable`, rolled back) — and
 * the client serves the next call on a fresh connection.
 */
async function runKilledBackendSteps(
  t: Deno.TestContext,
  sql: SqlClient,
  admin: SqlClient,
): Promise<void> {
  // Waits (up to 5 s) until the backend has ended, so what the call sends next meets a closed
  // connection rather than racing the signal.
  const kill = (pid: number) => admin.query("SELECT pg_terminate_backend($1, 5000)", [pid]);
  const failure = async (call: Promise<unknown>) => {
    try {
      await call;
    } catch (error) {
      return storeFailure(error);
    }
    throw new Error("the call succeeded");
  };
  try {
    const [{ version }] = await sql.query<{ version: string }>("SELECT version()");
    if (version.includes("emscripten")) {
      // The PGlite fallback cannot end one of its connections, and serves one transaction at a
      // time: the kill would wait behind the transaction it is meant to end.
      console.warn("No PostgreSQL server: killed backends not tested.");
      return;
    }
    await sql.query("DELETE FROM given_up");
    await t.step("a statement whose backend is killed while it runs: outcome unknown", async () => {
      // Its failure is taken at once: the end can reach it before the kill's own answer does.
      const running = failure(sql.query("SELECT pg_sleep(5) AS killed_while_running"));
      running.catch(() => {});
      let found: { pid: number }[] = [];
      for (let tries = 0; found.length === 0; tries++) {
        assert(tries < 200, "the statement never showed as running");
        await new Promise((resolve) => setTimeout(resolve, 10));
        found = await admin.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE state = 'active' " +
            "AND query = 'SELECT pg_sleep(5) AS killed_while_running'",
        );
      }
      await kill(found[0].pid);
      const error = await running;
      assertEquals(error.code, "outcome_unknown", error.message);
      assertEquals(await sql.query("SELECT 1 AS one"), [{ one: 1 }]);
    });
    await t.step(
      "a transaction whose backend is killed before COMMIT: unavailable, nothing kept",
      async () => {
        const call = sql.transaction(async (tx) => {
          await tx.query("INSERT INTO given_up VALUES (7)");
          const [{ pid }] = await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
          await kill(pid);
          await tx.query("INSERT INTO given_up VALUES (8)");
        });
        const error = await failure(call);
        assertEquals(error.code, "unavailable", error.message);
        assertEquals(await sql.query("SELECT count(*)::int AS n FROM given_up"), [{ n: 0 }]);
      },
    );
  } finally {
    await admin.close();
  }
}

Deno.test("giving up stops the call: embedded PGlite", async (t) => {
  // A file database: stopping a statement restarts the worker, and the table must outlive that.
  const dir = await Deno.makeTempDir({ prefix: "give-up-" });
  const sql = await openPglite({ dir, timeoutMs: 10_000 });
  try {
    await runGiveUpSteps(t, sql);
  } finally {
    await sql.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("calls joined into one transaction take turns, so one failing does not undo another", async () => {
  await using db = await createTestDatabase();
  const database = databaseOver(db.connect(), { namespace: "joined", migrations: [] }, 5_000);
  try {
    await database.sql.query("CREATE TABLE joined_t (x int)");
    const outcome = await database.atomically(async () => {
      // Two transactions at once inside one write: each becomes a savepoint, in turn.
      const [first, second] = await Promise.allSettled([
        database.sql.transaction(async (tx) => {
          await tx.query("INSERT INTO joined_t VALUES (1)");
          await new Promise((resolve) => setTimeout(resolve, 50));
          throw new Error("the first part fails");
        }),
        database.sql.transaction(async (tx) => {
          await tx.query("INSERT INTO joined_t VALUES (2)");
        }),
      ]);
      return [first.status, second.status];
    });
    assertEquals(outcome, ["rejected", "fulfilled"]);
    assertEquals(await database.sql.query("SELECT x FROM joined_t"), [{ x: 2 }]);
  } finally {
    await database.close();
  }
});
