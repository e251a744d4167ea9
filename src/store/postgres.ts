/**
 * PostgreSQL through the configured driver (`DATABASE_DRIVER`): `pg` over TCP (tcp.ts) or the
 * Neon driver over a WebSocket (neon.ts), the same pool over either (pg_pool.ts). Only the one
 * configured is loaded: each takes tens of milliseconds to evaluate.
 *
 * @module
 */
import type { PostgresConfig } from "../config.ts";
import type { PgPoolOptions } from "./pg_pool.ts";
import type { SqlClient } from "./types.ts";

/** Pool settings a caller may choose beyond the configuration (the connection string is its). */
export type PostgresOptions = Omit<PgPoolOptions, "connectionString">;

/**
 * Opens a pool to `config.url` through `config.driver`. Nothing connects until the first query;
 * `options.timeoutMs` defaults to the configured store deadline.
 */
export async function openPostgres(
  config: PostgresConfig,
  options: PostgresOptions = {},
): Promise<SqlClient> {
  const pool = {
    timeoutMs: config.timeoutMs,
    preparedStatements: config.preparedStatements,
    ...options,
    connectionString: config.url,
  };
  if (config.driver === "neon") {
    return (await import("./neon.ts")).openNeon({ ...pool, wsProxy: config.wsProxy });
  }
  return (await import("./tcp.ts")).openTcp(pool);
}
