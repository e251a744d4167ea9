/**
 * Times a save of a wide merge patch on both backends, with the first merge (one `jsonb_set` per
 * key, as first shipped: `tests/fixtures/legacy_schema.sql`, migration 1) and today's (one aggregate
 * per object level, `core_save_state`).
 *
 *     deno run -A bench/merge_patch.ts [--sizes 1000,8000,32000] [--before-max 8000]
 *
 * Per size N, on a fresh reader: `add` writes N new keys to an empty state; `mixed` then patches
 * those N keys again, every other one removed (null) and the rest replaced by a small object (so
 * the merge recurses N/2 times). The PostgreSQL run needs the local server (127.0.0.1:5432) and
 * goes through the Neon driver and relay, as production does; PGlite runs in its worker.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CORE_MIGRATIONS } from "../src/store/migrations.ts";
import { openPglite } from "../src/store/pglite.ts";
import type { SqlClient } from "../src/store/types.ts";
import { createTestDatabase } from "../tests/helpers/postgres.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sizes: { type: "string", default: "1000,8000,32000" },
    // The quadratic merge takes minutes at 32,000 keys; skip it above this size.
    "before-max": { type: "string", default: "8000" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const beforeMax = Number(values["before-max"]);
const NO_DEADLINE = 30 * 60_000;

type Row = { backend: string; merge: string; keys: number; addMs: number; mixedMs: number };

const LEGACY = await Deno.readTextFile(
  new URL("../tests/fixtures/legacy_schema.sql", import.meta.url),
);
/** The first shipped schema, up to (not including) its second migration. */
const FIRST_MERGE = LEGACY.slice(0, LEGACY.indexOf("-- migration 2:"));

async function timeSave(
  sql: SqlClient,
  fn: string,
  sub: string,
  patch: Record<string, unknown>,
) {
  const started = performance.now();
  const [row] = await sql.query<{ outcome: string }>(
    `SELECT outcome FROM ${fn}($1, $2::jsonb, NULL, $3)`,
    [sub, JSON.stringify(patch), 1 << 30],
  );
  if (row.outcome !== "saved") throw new Error(`save refused: ${row.outcome}`);
  return performance.now() - started;
}

async function measure(backend: string, sql: SqlClient): Promise<Row[]> {
  const rows: Row[] = [];
  const runs = [
    ["before", FIRST_MERGE, "rr_save_state"],
    ["after", CORE_MIGRATIONS[0].sql, "core_save_state"],
  ] as const;
  for (const [merge, script, fn] of runs) {
    await sql.transaction((tx) => tx.exec(script));
    for (const keys of sizes) {
      if (merge === "before" && keys > beforeMax) continue;
      const sub = `bench-${crypto.randomUUID()}`;
      const names = Array.from({ length: keys }, (_, i) => `key${i}`);
      const addMs = await timeSave(sql, fn, sub, Object.fromEntries(names.map((k, i) => [k, i])));
      const mixedMs = await timeSave(
        sql,
        fn,
        sub,
        Object.fromEntries(names.map((k, i) => [k, i % 2 ? null : { was: i }])),
      );
      const row = { backend, merge, keys, addMs, mixedMs };
      console.error(JSON.stringify(row));
      rows.push(row);
    }
  }
  return rows;
}

const rows: Row[] = [];
{
  const sql = await openPglite({ timeoutMs: NO_DEADLINE });
  try {
    rows.push(...await measure("PGlite (worker)", sql));
  } finally {
    await sql.close();
  }
}
{
  await using db = await createTestDatabase();
  const sql = db.connect();
  try {
    rows.push(...await measure("PostgreSQL (Neon driver)", sql));
  } finally {
    await sql.close();
  }
}

console.log("| backend | merge | keys | add N keys (ms) | N/2 removed + N/2 objects (ms) |");
console.log("|---|---|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.backend} | ${r.merge} | ${r.keys} | ${r.addMs.toFixed(0)} | ${r.mixedMs.toFixed(0)} |`,
  );
}
