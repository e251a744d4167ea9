import { assert, assertEquals, assertRejects } from "@std/assert";
import { applyMigrations, CORE_MIGRATIONS, CORE_NAMESPACE } from "./migrations.ts";
import { openPglite } from "./pglite.ts";
import { type SqlClient, StoreError } from "./types.ts";

const DEADLINE_MS = 1_000;
/** What "by the deadline" allows on a shared, busy machine. */
const SLACK_MS = 1_000;

/** Counts timer ticks on this (the server's) thread: a blocked event loop shows as no ticks. */
function tickCounter(): { ticks(): number } & Disposable {
  let ticks = 0;
  const interval = setInterval(() => ticks++, 10);
  return { ticks: () => ticks, [Symbol.dispose]: () => clearInterval(interval) };
}

/**
 * Runs `wedge` with two plain queries sent right behind it and checks all three settle by the
 * deadline while timers keep firing on this thread. Returns how each ended.
 */
async function expectBoundedWedge(
  sql: SqlClient,
  wedge: () => Promise<unknown>,
): Promise<PromiseSettledResult<unknown>[]> {
  using counter = tickCounter();
  const started = performance.now();
  const settled = await Promise.allSettled([
    wedge(),
    sql.query("SELECT 1 AS one"),
    sql.query("SELECT 2 AS two"),
  ]);
  const elapsedMs = performance.now() - started;
  assert(elapsedMs < DEADLINE_MS + SLACK_MS, `calls settled only after ${elapsedMs} ms`);
  const ticks = counter.ticks();
  assert(
    ticks >= Math.floor(elapsedMs / 10 / 4),
    `${ticks} timer ticks in ${elapsedMs} ms: event loop blocked`,
  );
  if (settled.some(isTimeout)) {
    assert(elapsedMs >= DEADLINE_MS - 50, `timed out early, after ${elapsedMs} ms`);
  }
  return settled;
}

const isTimeout = (result: PromiseSettledResult<unknown>): boolean =>
  result.status === "rejected" && result.reason instanceof StoreError &&
  result.reason.code === "timeout";

Deno.test("embedded database in a worker: a wedged statement fails by its deadline, the main thread keeps running, a fresh worker answers next", async (t) => {
  let started = performance.now();
  const sql = await openPglite({ timeoutMs: DEADLINE_MS });
  console.log(`first open: ${(performance.now() - started).toFixed(0)} ms`);
  try {
    await applyMigrations(sql, [{ namespace: CORE_NAMESPACE, migrations: CORE_MIGRATIONS }]);

    await t.step("a deeply nested patch wedges PGlite; only its worker stops", async () => {
      await sql.query("CREATE TABLE before_wedge (n int)");
      // Nested 20,000 deep: PGlite's stack guard fails on the first one, and a later statement
      // then spins for good. PostgreSQL itself answers "stack depth limit exceeded".
      const deep = '{"a":'.repeat(20_000) + "1" + "}".repeat(20_000);
      let wedged = false;
      for (let attempt = 0; attempt < 4 && !wedged; attempt++) {
        // The deep patch itself, or a statement after it, may be the one that spins.
        const settled = await expectBoundedWedge(
          sql,
          () =>
            sql.query(
              "SELECT outcome FROM core_save_state($1, $2::jsonb, NULL, $3)",
              [
                "deep",
                deep,
                100_000_000,
              ],
            ),
        );
        wedged = settled.some(isTimeout);
      }
      assert(wedged, "no deep patch wedged the embedded database: is the wedge still real?");
      started = performance.now();
      // In memory: the fresh worker has a fresh, empty database.
      const [row] = await sql.query<{ gone: boolean }>(
        "SELECT to_regclass('before_wedge') IS NULL AS gone",
      );
      console.log(`restart, first answer: ${(performance.now() - started).toFixed(0)} ms`);
      assertEquals(row.gone, true);
    });

    await t.step(
      "a statement past the deadline (pg_sleep) fails and the next succeeds",
      async () => {
        const [sleep, ...queued] = await expectBoundedWedge(
          sql,
          () => sql.query("SELECT pg_sleep(30)"),
        );
        assert(isTimeout(sleep), "pg_sleep(30) did not time out");
        // Calls queued behind it fail too, unsent: their callers' deadlines have passed.
        assert(queued.every(isTimeout));
        assertEquals(await sql.query("SELECT 41 + 1 AS n"), [{ n: 42 }]);
      },
    );

    await t.step("an SQL error is an ordinary failure: no restart", async () => {
      await assertRejects(() => sql.query("SELECT * FROM no_such_table"), Error, "no_such_table");
      assertEquals(await sql.query("SELECT 'still here' AS s"), [{ s: "still here" }]);
    });
  } finally {
    await sql.close();
  }
  await assertRejects(() => sql.query("SELECT 1"), StoreError, "closed");
});

Deno.test("embedded database in a worker: a transaction cut by a restart leaves nothing behind, and a file database reopens with its data", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pglite-worker-test-" });
  const sql = await openPglite({ dir, timeoutMs: DEADLINE_MS });
  try {
    await sql.query("CREATE TABLE kept (n int)");
    await sql.query("INSERT INTO kept VALUES (1)");
    let ranAfterWedge = false;
    await assertRejects(
      () =>
        sql.transaction(async (tx) => {
          await tx.query("INSERT INTO kept VALUES (2)");
          await tx.query("SELECT pg_sleep(30)").catch(() => {});
          // The worker is gone: the rest of this transaction must not run on its successor.
          await tx.query("INSERT INTO kept VALUES (3)");
          ranAfterWedge = true;
        }),
      StoreError,
    );
    assert(!ranAfterWedge);
    const rows = await sql.query<{ n: number }>("SELECT n FROM kept ORDER BY n");
    assertEquals(rows.map((r) => r.n), [1]);
  } finally {
    await sql.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("embedded database in a worker: closing while a restart is under way ends cleanly", async () => {
  const sql = await openPglite({ timeoutMs: 300 });
  await assertRejects(() => sql.query("SELECT pg_sleep(30)"), StoreError, "no answer within");
  // The replacement worker is opening now; close must end it (the test sanitizers check).
  await sql.close();
  await assertRejects(() => sql.query("SELECT 1"), StoreError, "closed");
});
