import { assertEquals } from "@std/assert";
import { applyMigrations, MIGRATIONS } from "../../src/store/migrations.ts";
import { createPostgresStore } from "../../src/store/postgres_store.ts";
import { createTestDatabase } from "../helpers/postgres.ts";
import { runStoreContract } from "./contract.ts";
import { FIXTURE_ARTICLES } from "./fixture_articles.ts";

Deno.test("store contract: PostgreSQL through the Neon driver", async (t) => {
  await using db = await createTestDatabase();
  const store = createPostgresStore(db.connect(), {
    timeoutMs: 10_000,
    articles: FIXTURE_ARTICLES,
  });
  try {
    await runStoreContract(t, store);
  } finally {
    await store.close();
  }
});

Deno.test("migrations are idempotent and safe to run from several instances at once", async () => {
  await using db = await createTestDatabase();
  const clients = Array.from({ length: 4 }, () => db.connect());
  try {
    const applied = await Promise.all(clients.map((c) => applyMigrations(c)));
    const all = MIGRATIONS.map((m) => m.version);
    assertEquals(applied.flat().sort((a, b) => a - b), all);
    assertEquals(await applyMigrations(clients[0]), []);
    const rows = await clients[0].query<{ version: number }>(
      "SELECT version FROM schema_migrations",
    );
    assertEquals(rows.map((r) => Number(r.version)).sort((a, b) => a - b), all);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});
