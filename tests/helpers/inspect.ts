/**
 * Looks at the database itself, for tests that must prove something is gone.
 *
 * @module
 */
import type { SqlClient } from "../../src/store/types.ts";

/** Rows anywhere in the public schema whose text mentions `needle`, counted by table. */
export async function rowsMentioning(
  sql: SqlClient,
  needle: string,
): Promise<Record<string, number>> {
  const tables = await sql.query<{ name: string }>(
    "SELECT quote_ident(table_name) AS name FROM information_schema.tables " +
      "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
  );
  const found: Record<string, number> = {};
  for (const { name } of tables) {
    const [{ n }] = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${name} t WHERE t::text LIKE '%' || $1 || '%'`,
      [needle],
    );
    if (n > 0) found[name] = n;
  }
  return found;
}
