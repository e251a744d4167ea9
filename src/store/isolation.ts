/**
 * Isolation by construction: one person's rows are unreachable from another's calls, whatever a
 * pack's SQL says — enforced by PostgreSQL's row-level security, not by each query's care.
 *
 * A pack's **personal tables** are found, not declared: every table of the pack (its id as the
 * name's prefix) with a `user_id` column referencing `users(id)`. At preparation the kit turns on
 * row-level security on them (`ENABLE` and `FORCE`) and on the kit's own per-person tables, with
 * one policy: a row is visible, and may be written, only when its `user_id` is the verified `sub`
 * of the call. Every statement a pack runs for a person runs as the role {@linkcode PERSON_ROLE}
 * (never the table owner, never a superuser, never `BYPASSRLS` — Neon's default role has that), in
 * a transaction that carries the `sub` in the setting {@linkcode SUB_SETTING}; both end with the
 * transaction, so a pooled connection never carries one person's identity into another's call.
 *
 * What must see everyone's rows — migrations and content copies at start-up — is the kit's own
 * work as the owner, marked as such ({@linkcode EVERYONE_SETTING}, honoured only for a role other
 * than the person role). Shared data meant for everyone (a catalog, slots) lives in tables
 * without a `user_id`: those the database does not guard per person.
 *
 * @module
 */
import { StartupError } from "../errors.ts";
import { type SqlClient, type SqlTransaction, StoreError } from "./types.ts";

/** The role every pack statement for a person runs as: subject to row-level security. */
export const PERSON_ROLE = "kit_person";
/** The transaction-local setting holding the verified `sub` of the call. */
export const SUB_SETTING = "kit.sub";
/** The transaction-local setting marking the kit's own work over everyone's rows. */
export const EVERYONE_SETTING = "kit.everyone";
/** The policy's name on every guarded table. */
const POLICY = "kit_person_rows";
/**
 * Recorded once the database is guarded this way; a different value means guard it again.
 * (Bump it when the policy or the grants change.)
 */
export const ISOLATION_VERSION = "rls-2";

/** A pack's table holding one person's rows. */
export interface PersonalTable {
  /** The table's name. */
  table: string;
}

/** A pack's tables that reference people but cannot be guarded as they are: start-up stops. */
export class IsolationError extends StartupError<"personal_table"> {}

/** The kit's own per-person tables and the column naming the person. */
const CORE_TABLES: readonly { table: string; column: string }[] = [
  { table: "users", column: "id" },
  { table: "user_state", column: "user_id" },
  { table: "user_history", column: "user_id" },
];

/** One foreign key or `user_id` column of a pack table, as the catalog says. */
interface ColumnFact {
  table: string;
  column: string;
  /** Whether it references `users(id)`; its ON DELETE action when it does (`c` = cascade). */
  references_users: boolean;
  on_delete: string | null;
}

/**
 * The personal tables of the pack `namespace` (see the module's rule), or why its tables cannot be
 * guarded: a column referencing `users(id)` that is not `user_id`, a `user_id` that does not
 * reference `users(id)`, or a reference that does not cascade on delete (forgetting a person must
 * take their rows).
 */
export async function personalTables(
  sql: SqlClient | SqlTransaction,
  namespace: string,
): Promise<PersonalTable[]> {
  const facts = await sql.query<ColumnFact>(
    `SELECT c.relname AS table, a.attname AS column,
            (f.oid IS NOT NULL) AS references_users,
            f.confdeltype::text AS on_delete
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_constraint f ON f.conrelid = c.oid AND f.contype = 'f'
            AND f.confrelid = to_regclass('users') AND a.attnum = ANY (f.conkey)
      WHERE c.relkind IN ('r', 'p') AND starts_with(c.relname, $1)
        AND (a.attname = 'user_id' OR f.oid IS NOT NULL)
      ORDER BY c.relname, a.attname`,
    [`${namespace}_`],
  );
  const problems: string[] = [];
  const tables: PersonalTable[] = [];
  for (const fact of facts) {
    const { table, column } = fact;
    if (column !== "user_id") {
      problems.push(
        `${table}.${column} references users(id), but the kit guards a table's rows per person ` +
          `by its user_id column: rename ${column} to user_id (a personal table), or drop the ` +
          "reference if the rows are not one person's.",
      );
    } else if (!fact.references_users) {
      problems.push(
        `${table}.user_id does not reference users(id): declare it ` +
          "user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE, so the kit can guard " +
          "its rows per person (or name the column otherwise if it is not a person).",
      );
    } else if (fact.on_delete !== "c") {
      problems.push(
        `${table}.user_id references users(id) without ON DELETE CASCADE: forgetting a person ` +
          "must take their rows; add ON DELETE CASCADE in a new migration.",
      );
    } else tables.push({ table });
  }
  problems.push(...await bypasses(sql, namespace, tables));
  if (problems.length > 0) {
    throw new IsolationError(
      "personal_table",
      `the ${namespace} pack's tables cannot be kept per person:\n- ${problems.join("\n- ")}`,
    );
  }
  return tables;
}

/**
 * What would read people's rows past the policy: a view over a personal table that checks its
 * owner's rights rather than the caller's (without `security_invoker`: an owner that bypasses
 * row-level security — a superuser, Neon's default role — would show everyone's), a materialized
 * view over one (a stored copy has no policy), and a pack function that runs as its owner
 * (`SECURITY DEFINER`).
 */
async function bypasses(
  sql: SqlClient | SqlTransaction,
  namespace: string,
  tables: readonly PersonalTable[],
): Promise<string[]> {
  const guarded = [...tables.map((t) => t.table), ...CORE_TABLES.map((t) => t.table)];
  const views = await sql.query<{ view: string; kind: string; invoker: boolean }>(
    `SELECT DISTINCT v.relname AS view, v.relkind::text AS kind,
            coalesce(v.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on',
              'security_invoker=1', 'security_invoker=yes'], false) AS invoker
       FROM pg_rewrite r
       JOIN pg_class v ON v.oid = r.ev_class
       JOIN pg_namespace n ON n.oid = v.relnamespace AND n.nspname = current_schema()
       JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass
            AND d.refclassid = 'pg_class'::regclass
       JOIN pg_class t ON t.oid = d.refobjid AND t.oid <> v.oid
      WHERE v.relkind IN ('v', 'm') AND t.relname = ANY ($1)
      ORDER BY 1`,
    [guarded],
  );
  const functions = await sql.query<{ name: string }>(
    `SELECT p.proname AS name FROM pg_proc p
       JOIN pg_namespace n ON n.oid = p.pronamespace AND n.nspname = current_schema()
      WHERE p.prosecdef AND starts_with(p.proname, $1) ORDER BY 1`,
    [`${namespace}_`],
  );
  return [
    ...views.filter((v) => v.kind === "m").map((v) =>
      `${v.view} is a materialized view over a personal table: a stored copy has no per-person ` +
      "policy. Make it a view WITH (security_invoker = true), or query the table."
    ),
    ...views.filter((v) => v.kind === "v" && !v.invoker).map((v) =>
      `${v.view} reads a personal table with its owner's rights, past the per-person policy: ` +
      `declare it CREATE VIEW ${v.view} WITH (security_invoker = true) AS … (in a new migration).`
    ),
    ...functions.map((f) =>
      `${f.name} is SECURITY DEFINER: it runs as its owner, past the per-person policy. Make it ` +
      "SECURITY INVOKER (the default)."
    ),
  ];
}

/** `user_id`-style policy text: the verified person, or the kit's own work over everyone. */
function policyFor(column: string): string {
  const person = `${column} = current_setting('${SUB_SETTING}', true)`;
  const everyone = `(current_setting('${EVERYONE_SETTING}', true) = 'on' ` +
    `AND current_user <> '${PERSON_ROLE}')`;
  return `(${person} OR ${everyone})`;
}

/**
 * Guards the database for the pack `namespace` (in the migrations' transaction, under their lock):
 * the person role exists and may use the pack's and the kit's tables; each personal table and each
 * of the kit's per-person tables has row-level security on, with the one policy. Idempotent.
 */
export async function guardTables(
  tx: SqlTransaction,
  namespace: string,
  tables: readonly PersonalTable[],
): Promise<void> {
  // Roles belong to the whole cluster: another database here may have made it already, or an
  // administrator (when the kit's role may not create roles). Either way the kit must be able to
  // act as it, or no statement could be a person's: said at start, with the statements to run.
  await tx.exec(
    `DO $$ BEGIN CREATE ROLE ${PERSON_ROLE} NOLOGIN NOBYPASSRLS NOINHERIT;
     EXCEPTION WHEN duplicate_object OR unique_violation OR insufficient_privilege THEN NULL; END $$;
     DO $$ BEGIN EXECUTE format('GRANT ${PERSON_ROLE} TO %I', current_user);
     EXCEPTION WHEN others THEN NULL; END $$`,
  );
  // Being a member is not enough (PostgreSQL 16 can grant membership without SET): try it.
  const [{ owner }] = await tx.query<{ owner: string }>("SELECT current_user AS owner");
  let canAct = true;
  await tx.exec("SAVEPOINT kit_person_probe");
  try {
    await tx.query(`SELECT set_config('role', '${PERSON_ROLE}', true)`);
  } catch {
    canAct = false;
  }
  await tx.exec("ROLLBACK TO SAVEPOINT kit_person_probe");
  if (!canAct) {
    throw new IsolationError(
      "personal_table",
      `the database role ${owner} cannot act as ${PERSON_ROLE}, the role the kit runs every ` +
        "person's statements as (row-level security), and may not create it. Run once as an " +
        `administrator: CREATE ROLE ${PERSON_ROLE} NOLOGIN NOBYPASSRLS; GRANT ${PERSON_ROLE} TO ` +
        `${owner}; then start again.`,
    );
  }
  await tx.exec(`GRANT USAGE ON SCHEMA public TO ${PERSON_ROLE}`);
  // The pack's tables and the kit's per-person ones (those that exist: a store test may run a
  // pack's migrations alone), and every sequence (their values are nobody's data).
  const owned = await tx.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
      WHERE c.relkind IN ('r', 'p', 'v', 'm')
        AND (starts_with(c.relname, $1) OR c.relname = ANY ($2))`,
    [`${namespace}_`, CORE_TABLES.map((t) => t.table)],
  );
  const names = new Set(owned.map((r) => r.name));
  const statements = [
    // nextval() needs USAGE only; UPDATE would let one person's call setval() everyone's ids.
    `REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA public FROM ${PERSON_ROLE}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${PERSON_ROLE}`,
    ...owned.map(({ name }) =>
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ${ident(name)} TO ${PERSON_ROLE}`
    ),
  ];
  const guarded = [
    ...CORE_TABLES.filter((t) => names.has(t.table)).map((t) => ({ ...t, force: false })),
    ...tables.map((t) => ({ table: t.table, column: "user_id", force: true })),
  ];
  for (const { table, column, force } of guarded) {
    const name = ident(table);
    statements.push(
      `ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY`,
      // The kit's tables: the owner is the kit itself. A pack's: the owner obeys the policy too.
      force
        ? `ALTER TABLE ${name} FORCE ROW LEVEL SECURITY`
        : `ALTER TABLE ${name} NO FORCE ROW LEVEL SECURITY`,
      `DROP POLICY IF EXISTS ${POLICY} ON ${name}`,
      `CREATE POLICY ${POLICY} ON ${name} USING ${policyFor(column)} WITH CHECK ${
        policyFor(column)
      }`,
    );
  }
  await tx.exec(statements.join(";\n"));
}

/**
 * The statements that open a transaction for the context's calls, as one script: read-only first
 * (it must precede any query) when `readOnly`, then one person's — role and `sub`, local to the
 * transaction — when `sub` is given. One script, so a backend sends it with `BEGIN` in a single
 * round trip; the `sub` is therefore a literal, escaped whatever `standard_conforming_strings` says.
 *
 * @throws {StoreError} `rejected` for a `sub` holding a NUL character (PostgreSQL text cannot).
 */
export function transactionSetup(readOnly: boolean, sub: string | undefined): string {
  const statements = readOnly ? ["SET TRANSACTION READ ONLY"] : [];
  if (sub !== undefined) {
    if (sub.includes("\u0000")) {
      throw new StoreError("rejected", "a subject holding a NUL character", { sqlstate: "22021" });
    }
    statements.push(
      `SELECT set_config('role', '${PERSON_ROLE}', true), set_config('${SUB_SETTING}', ${
        literal(sub)
      }, true)`,
    );
  }
  return statements.join(";\n");
}

/** `text` as an escaped string constant (`E'…'`: backslashes and quotes doubled). */
export function literal(text: string): string {
  return `E'${text.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** The statement that marks the rest of a transaction as the kit's own work over everyone's rows. */
export const AS_EVERYONE_SQL = `SELECT set_config('${EVERYONE_SETTING}', 'on', true)`;

/** `name` as an SQL identifier. */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
