/**
 * Looks at the database itself, for tests that must prove something is gone.
 *
 * @module
 */
import { AS_EVERYONE_SQL } from "../../src/store/isolation.ts";
import type { SqlClient } from "../../src/store/types.ts";

/**
 * Rows anywhere in the public schema whose text mentions `needle`, counted by table — everyone's,
 * looked at as the kit's own work (a policy on a personal table holds an owner that is no
 * superuser too).
 */
export async function rowsMentioning(
  sql: SqlClient,
  needle: string,
): Promise<Record<string, number>> {
  return await sql.transaction(async (tx) => {
    await tx.query(AS_EVERYONE_SQL);
    const tables = await tx.query<{ name: string }>(
      "SELECT quote_ident(table_name) AS name FROM information_schema.tables " +
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    const found: Record<string, number> = {};
    for (const { name } of tables) {
      const [{ n }] = await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${name} t WHERE t::text LIKE '%' || $1 || '%'`,
        [needle],
      );
      if (n > 0) found[name] = n;
    }
    return found;
  });
}
