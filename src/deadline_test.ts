/**
 * The call budget: one deadline for everything a tool call does, carried with the call, and what
 * the store calls inside it make of it (KV with its lock-retry loop, the database with its
 * write-outcome rule).
 *
 * @module
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { BUDGET_SPENT_MS, remaining, withBudget } from "./deadline.ts";
import { boundedKv, KvTimeoutError } from "./kv/bounded_kv.ts";
import { databaseOver } from "./store/database.ts";
import { StoreError } from "./store/types.ts";
import { createTestDatabase } from "../tests/helpers/postgres.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function elapsed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

Deno.test("withBudget: one deadline for everything the call does", async (t) => {
  await t.step("outside a budget, a store call keeps its own deadline", () => {
    assertEquals(remaining(5_000), 5_000);
  });
  await t.step("inside, what is left, never more than the store's own deadline", async () => {
    await withBudget(10_000, () => assertEquals(remaining(800), 800));
    await withBudget(300, async () => {
      assert(remaining(5_000) <= 300);
      await pause(100);
      const left = remaining(5_000);
      assert(left <= 200 && left > 100, `left ${left}`);
    });
  });
  await t.step("it travels through awaits, timers and parallel work", async () => {
    const seen = await withBudget(400, async () => {
      await Promise.resolve();
      const inTimer = await new Promise<number>((resolve) =>
        setTimeout(() => resolve(remaining(5_000)), 10)
      );
      const [a, b] = await Promise.all([
        pause(1).then(() => remaining(5_000)),
        pause(1).then(() => remaining(5_000)),
      ]);
      return [inTimer, a, b];
    });
    for (const left of seen) assert(left <= 400 && left > 300, `left ${left}`);
  });
  await t.step("calls running side by side each have their own", async () => {
    const [short, long] = await Promise.all([
      withBudget(100, async () => (await pause(5), remaining(5_000))),
      withBudget(2_000, async () => (await pause(5), remaining(5_000))),
    ]);
    assert(short <= 100, `short ${short}`);
    assert(long > 1_900, `long ${long}`);
  });
  await t.step("a budget inside another cannot outlast it", async () => {
    await withBudget(
      200,
      () => withBudget(5_000, () => assert(remaining(5_000) <= 200, `${remaining(5_000)}`)),
    );
    await withBudget(
      5_000,
      () => withBudget(200, () => assert(remaining(5_000) <= 200, `${remaining(5_000)}`)),
    );
  });
  await t.step("spent, it answers the floor: the call fails at once", async () => {
    await withBudget(20, async () => {
      await pause(40);
      assertEquals(remaining(5_000), BUDGET_SPENT_MS);
    });
  });
});

/** A KV whose file is write-locked by another process for good: every call is refused at once. */
function lockedKv(): { kv: Deno.Kv; calls: () => number } {
  let calls = 0;
  const refuse = () => {
    calls++;
    return Promise.reject(new Error("database is locked"));
  };
  const kv = { get: refuse, set: refuse } as unknown as Deno.Kv;
  return { kv, calls: () => calls };
}

/** A KV that never answers (a write waiting on the lock inside SQLite). */
function hangingKv(): { kv: Deno.Kv; calls: () => number } {
  let calls = 0;
  const wait = () => {
    calls++;
    return new Promise<never>(() => {});
  };
  return { kv: { get: wait, set: wait } as unknown as Deno.Kv, calls: () => calls };
}

Deno.test("KV calls in a budget share it: the lock-retry loop, then the calls after", async (t) => {
  const timeoutMs = 300;
  await t.step("outside a budget each call has its own deadline", async () => {
    const { kv } = hangingKv();
    const bounded = boundedKv(kv, timeoutMs);
    const ms = await elapsed(async () => {
      await assertRejects(() => bounded.get(["a"]));
      await assertRejects(() => bounded.set(["a"], 1));
    });
    assert(ms > 1.5 * timeoutMs, `two calls took ${Math.round(ms)} ms`);
  });
  await t.step("inside, the retries stop at the budget, the next call with them", async () => {
    const { kv } = lockedKv();
    const bounded = boundedKv(kv, timeoutMs);
    const ms = await withBudget(timeoutMs, () =>
      elapsed(async () => {
        await assertRejects(() => bounded.get(["a"]), Error, "database is locked");
        await assertRejects(() => bounded.set(["a"], 1));
      }));
    assert(ms < timeoutMs + 50, `two calls took ${Math.round(ms)} ms`);
  });
  await t.step("with the budget spent, a call is not even tried", async () => {
    const { kv, calls } = lockedKv();
    const bounded = boundedKv(kv, timeoutMs);
    await withBudget(10, async () => {
      await pause(20);
      await assertRejects(() => bounded.set(["a"], 1), KvTimeoutError);
    });
    assertEquals(calls(), 0);
  });
  await t.step("a call that hangs fails at what is left, the next one at once", async () => {
    const { kv, calls } = hangingKv();
    const bounded = boundedKv(kv, 5_000);
    const ms = await withBudget(timeoutMs, () =>
      elapsed(async () => {
        await assertRejects(() => bounded.get(["a"]), KvTimeoutError);
        await assertRejects(() => bounded.set(["a"], 1), KvTimeoutError);
      }));
    assert(ms < timeoutMs + 100, `took ${Math.round(ms)} ms`);
    assertEquals(calls(), 1, "the call after the budget was sent");
  });
});

Deno.test("database calls in a budget share it, and a write sent past it is still unknown", async (t) => {
  await using db = await createTestDatabase();
  const database = databaseOver(db.connect(), { namespace: "budget", migrations: [] }, 1_000);
  try {
    await database.prepared();
    await database.sql.query("CREATE TABLE budget_t (x int)");
    const count = async () =>
      (await database.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM budget_t"))[0].n;

    await t.step("outside a budget, each call has its own deadline", async () => {
      await database.sql.query("SELECT pg_sleep(0.3)");
      await database.sql.query("SELECT pg_sleep(0.3)");
    });
    await t.step("inside, the second slow call gets only what the first left", async () => {
      const ms = await withBudget(500, () =>
        elapsed(async () => {
          await database.sql.query("SELECT pg_sleep(0.3)");
          const error = await assertRejects(
            () => database.sql.query("SELECT pg_sleep(0.3)"),
            StoreError,
          );
          // A read sent and cut off: whether it ran is unknown, and it changed nothing.
          assertEquals((error as StoreError).code, "outcome_unknown");
        }));
      assert(ms < 500 + 150, `took ${Math.round(ms)} ms`);
    });
    await t.step(
      "a write sent and not answered by the budget's end is outcome_unknown",
      async () => {
        const error = await withBudget(200, () =>
          assertRejects(
            () => database.sql.query("INSERT INTO budget_t SELECT 1 FROM pg_sleep(1)"),
            StoreError,
          ));
        assertEquals((error as StoreError).code, "outcome_unknown");
      },
    );
    await t.step(
      "a transaction cut off by the budget before COMMIT: timeout, nothing kept",
      async () => {
        const before = await count();
        const error = await withBudget(200, () =>
          assertRejects(
            () =>
              database.sql.transaction(async (tx) => {
                await tx.query("INSERT INTO budget_t VALUES (2)");
                await tx.query("SELECT pg_sleep(1)");
              }),
            StoreError,
          ));
        assertEquals((error as StoreError).code, "timeout");
        assertEquals(await count(), before);
      },
    );
    await t.step("with the budget spent, a write is never sent: timeout", async () => {
      const before = await count();
      const error = await withBudget(10, async () => {
        await pause(30);
        return await assertRejects(
          () => database.sql.query("INSERT INTO budget_t VALUES (3)"),
          StoreError,
        );
      });
      assertEquals((error as StoreError).code, "timeout");
      assertEquals(await count(), before);
    });
    await t.step("a joined write (atomically) is one call under the budget", async () => {
      const ms = await withBudget(400, () =>
        elapsed(() =>
          assertRejects(
            () =>
              database.atomically(async () => {
                await database.sql.query("INSERT INTO budget_t VALUES (4)");
                await database.sql.query("SELECT pg_sleep(0.25)");
                await database.sql.query("SELECT pg_sleep(0.25)");
              }),
            StoreError,
          )
        ));
      assert(ms < 400 + 150, `took ${Math.round(ms)} ms`);
    });
  } finally {
    await database.close();
  }
});
