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
import type { ReadingStore, SqlClient } from "./types.ts";

/** An opened store and the SQL client under it (exposed for fault-injection tests). */
export interface OpenedStore {
  store: ReadingStore;
  sql: SqlClient;
}

/**
 * Opens the configured store: Neon when `DATABASE_URL` is set, embedded PGlite otherwise. Both
 * backends bound each statement by the store deadline, so a runaway statement cannot outlive it.
 */
export async function openStore(database: DatabaseConfig): Promise<OpenedStore> {
  const articles = await loadSeedArticles();
  const { timeoutMs } = database;
  const sql = database.kind === "neon"
    ? openNeon({ connectionString: database.url, wsProxy: database.wsProxy, timeoutMs })
    : await openPglite({ dir: database.dir, timeoutMs });
  return { store: createPostgresStore(sql, { timeoutMs, articles }), sql };
}
