/**
 * Embedded PostgreSQL (PGlite) as a {@linkcode SqlClient}: the default backend, so the connector
 * runs with nothing installed.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import type { SqlClient, SqlTransaction } from "./types.ts";

/** Wraps an open PGlite database. */
export function pgliteClient(db: PGlite): SqlClient {
  return {
    query: async <Row>(sql: string, params?: unknown[]) => (await db.query<Row>(sql, params)).rows,
    transaction: <T>(fn: (tx: SqlTransaction) => Promise<T>) =>
      db.transaction(async (tx) =>
        await fn({
          query: async <Row>(sql: string, params?: unknown[]) =>
            (await tx.query<Row>(sql, params)).rows,
          exec: async (script: string) => {
            await tx.exec(script);
          },
        })
      ),
    close: () => db.close(),
  };
}

/** Opens (creating if needed) a PGlite database in `dir`, or in memory when `dir` is omitted. */
export async function openPglite(dir?: string): Promise<SqlClient> {
  if (dir) await Deno.mkdir(dir, { recursive: true });
  const db = new PGlite(dir);
  await db.waitReady;
  return pgliteClient(db);
}
