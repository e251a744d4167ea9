import { openPglite } from "../../src/store/pglite.ts";
import { createPostgresStore } from "../../src/store/postgres_store.ts";
import { runStoreContract } from "./contract.ts";
import { FIXTURE_ARTICLES } from "./fixture_articles.ts";

Deno.test("store contract: embedded PGlite", async (t) => {
  const store = createPostgresStore(await openPglite(), {
    timeoutMs: 10_000,
    articles: FIXTURE_ARTICLES,
  });
  try {
    await runStoreContract(t, store);
  } finally {
    await store.close();
  }
});
