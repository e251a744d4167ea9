/**
 * Picks the backend from the configuration and builds the store.
 *
 * @module
 */
import type { DatabaseConfig } from "../config.ts";
import { loadSeedArticles } from "./catalog_seed.ts";
import { openNeon } from "./neon.ts";
import { openPglite } from "./pglite.ts";
import { createPostgresStore } from "./postgres_store.ts";
import type { ReadingStore } from "./types.ts";

/** Opens the configured store: Neon when `DATABASE_URL` is set, embedded PGlite otherwise. */
export async function openStore(database: DatabaseConfig): Promise<ReadingStore> {
  const articles = await loadSeedArticles();
  const sql = database.kind === "neon"
    ? openNeon({ connectionString: database.url, wsProxy: database.wsProxy })
    : await openPglite(database.dir);
  return createPostgresStore(sql, { timeoutMs: database.timeoutMs, articles });
}
