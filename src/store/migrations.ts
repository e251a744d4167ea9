/**
 * The schema, as ordered migrations per namespace — the kit's own (`core`) and each pack's (its
 * id) — applied at start-up. Each runs once, recorded as (namespace, version) in
 * `kit_migrations`, inside one transaction holding an advisory lock, so several instances starting
 * together apply each migration exactly once.
 *
 * A database made before packs existed recorded versions 1 and 2 in `schema_migrations` and held
 * the kit's tables and a pack's together. Every migration here is written to run on such a
 * database as well as on an empty one (`IF NOT EXISTS`, `CREATE OR REPLACE`), so it moves forward
 * with nothing to adopt by hand; the old bookkeeping table is left as it was.
 *
 * @module
 */
import { StartupError } from "../errors.ts";
import type { Migration } from "../pack/migration.ts";
import { AS_EVERYONE_SQL, guardTables, ISOLATION_VERSION, personalTables } from "./isolation.ts";
import type { SqlClient, SqlTransaction } from "./types.ts";

export type { Migration };

/** The kit's own namespace; no pack may take this id. */
export const CORE_NAMESPACE = "core";

/** The kit's migrations, in order. Never edit one that has shipped: add the next. */
export const CORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "people and their saved state",
    sql: `
CREATE TABLE IF NOT EXISTS users (
  id text PRIMARY KEY CHECK (id <> ''),
  email text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS user_state (
  user_id text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  state jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(state) = 'object'),
  version bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- RFC 7396 JSON merge patch in time linear in the keys. Per object level: the target's members
-- the patch does not name, plus the patch's non-null members (merged recursively where the patch
-- value is an object), built in one aggregate. A plain UNION, not a join by key: each recursion
-- level must stay light on stack, since the embedded database has little of it.
CREATE OR REPLACE FUNCTION core_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
  LANGUAGE plpgsql IMMUTABLE
  AS $fn$
BEGIN
  IF jsonb_typeof(patch) IS DISTINCT FROM 'object' THEN
    RETURN patch;
  END IF;
  IF jsonb_typeof(target) IS DISTINCT FROM 'object' THEN
    target := '{}'::jsonb;
  ELSE
    -- A large stored state arrives compressed; without this copy every target -> key below
    -- would decompress all of it again, which made the merge quadratic once more.
    target := target || '{}'::jsonb;
  END IF;
  RETURN (
    SELECT coalesce(jsonb_object_agg(m.key, m.value), '{}'::jsonb)
      FROM (
        SELECT t.key, t.value FROM jsonb_each(target) t WHERE NOT patch ? t.key
        UNION ALL
        SELECT p.key,
               CASE WHEN jsonb_typeof(p.value) = 'object'
                    THEN core_merge_patch(target -> p.key, p.value)
                    ELSE p.value END
          FROM jsonb_each(patch) p
         WHERE jsonb_typeof(p.value) <> 'null'
      ) m
  );
END
$fn$;

-- One round trip for begin_session: record the visit (creating the person on first sight) and
-- return profile and state.
CREATE OR REPLACE FUNCTION core_begin_session(p_user text, p_email text)
  RETURNS TABLE (profile jsonb, state jsonb, version bigint, updated_at timestamptz)
  LANGUAGE plpgsql
  AS $fn$
DECLARE
  previous timestamptz;
BEGIN
  SELECT u.last_seen_at INTO previous FROM users u WHERE u.id = p_user FOR UPDATE;
  INSERT INTO users AS u (id, email) VALUES (p_user, p_email)
    ON CONFLICT (id) DO UPDATE SET last_seen_at = now(), email = coalesce(excluded.email, u.email);
  INSERT INTO user_state (user_id) VALUES (p_user) ON CONFLICT (user_id) DO NOTHING;
  RETURN QUERY
    SELECT jsonb_build_object('id', u.id, 'email', u.email, 'memberSince', u.created_at,
             'previousVisit', previous),
           s.state, s.version, s.updated_at
      FROM users u JOIN user_state s ON s.user_id = u.id
     WHERE u.id = p_user;
END
$fn$;

-- One round trip, atomic under a row lock: apply a merge patch unless the expected version is
-- stale or the result is over the size cap.
CREATE OR REPLACE FUNCTION core_save_state(p_user text, p_patch jsonb, p_expected bigint, p_max_bytes int)
  RETURNS TABLE (outcome text, state jsonb, version bigint, updated_at timestamptz, size_bytes int)
  LANGUAGE plpgsql
  AS $fn$
DECLARE
  cur user_state%ROWTYPE;
  next_state jsonb;
  next_size int;
BEGIN
  SELECT * INTO cur FROM user_state s WHERE s.user_id = p_user FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO users (id) VALUES (p_user) ON CONFLICT (id) DO NOTHING;
    INSERT INTO user_state (user_id) VALUES (p_user) ON CONFLICT (user_id) DO NOTHING;
    SELECT * INTO cur FROM user_state s WHERE s.user_id = p_user FOR UPDATE;
  END IF;
  IF p_expected IS NOT NULL AND p_expected <> cur.version THEN
    RETURN QUERY SELECT 'version_conflict'::text, cur.state, cur.version, cur.updated_at, NULL::int;
    RETURN;
  END IF;
  next_state := core_merge_patch(cur.state, p_patch);
  next_size := octet_length(next_state::text);
  IF next_size > p_max_bytes THEN
    RETURN QUERY SELECT 'too_large'::text, cur.state, cur.version, cur.updated_at, next_size;
    RETURN;
  END IF;
  UPDATE user_state s SET state = next_state, version = cur.version + 1, updated_at = now()
   WHERE s.user_id = p_user;
  RETURN QUERY SELECT 'saved'::text, next_state, cur.version + 1, now(), next_size;
END
$fn$;
`,
    // The text that first shipped also dropped the first schema's functions, under the default
    // pack's earlier names; that step is now the default pack's own (its migration 3).
    replaces: ["6c22bb5e34bc56342e7751416f4ed1fd0e58d539112f1bc708c885a4578a44b8"],
  },
  {
    version: 2,
    name: "history of every change",
    sql: `
-- Every successful write of a person's data, with the state as it stood after it (so any
-- version still kept can be restored) and a summary of what changed.
CREATE TABLE user_history (
  id bigserial PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  version bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  tool text NOT NULL,
  client_id text,
  change jsonb NOT NULL,
  summary jsonb NOT NULL,
  state jsonb,
  size_bytes int NOT NULL
);
CREATE INDEX user_history_user_idx ON user_history (user_id, id DESC);

-- Top-level keys added, changed and removed between two states (at most 20 named per kind, with
-- the full counts). One pass over both: a lookup per key into a large stored state would unpack
-- it again each time, which is quadratic.
CREATE FUNCTION core_state_summary(before jsonb, after jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE
  AS $fn$
  WITH j AS (
    SELECT coalesce(a.key, b.key) AS key, a.value AS av, b.value AS bv
      FROM jsonb_each(after) a FULL JOIN jsonb_each(before) b ON a.key = b.key
  ), kinds AS (
    SELECT key, CASE WHEN bv IS NULL THEN 'added' WHEN av IS NULL THEN 'removed'
                     WHEN av <> bv THEN 'changed' END AS kind
      FROM j
  ), ranked AS (
    SELECT key, kind, row_number() OVER (PARTITION BY kind ORDER BY key) AS n,
           count(*) OVER (PARTITION BY kind) AS total
      FROM kinds WHERE kind IS NOT NULL
  )
  SELECT jsonb_build_object(
    'added', coalesce(jsonb_agg(key ORDER BY key) FILTER (WHERE kind = 'added' AND n <= 20), '[]'),
    'changed', coalesce(jsonb_agg(key ORDER BY key) FILTER (WHERE kind = 'changed' AND n <= 20), '[]'),
    'removed', coalesce(jsonb_agg(key ORDER BY key) FILTER (WHERE kind = 'removed' AND n <= 20), '[]'),
    'counts', jsonb_build_object(
      'added', coalesce(max(total) FILTER (WHERE kind = 'added'), 0),
      'changed', coalesce(max(total) FILTER (WHERE kind = 'changed'), 0),
      'removed', coalesce(max(total) FILTER (WHERE kind = 'removed'), 0)))
    FROM ranked
$fn$;

-- Appends one entry and prunes, in the caller's transaction. Kept: the last p_keep entries, and
-- any younger than p_keep_days, but never more than five times p_keep, and never more than
-- p_budget bytes in all (the newest entry always stays).
CREATE FUNCTION core_record_change(p_user text, p_version bigint, p_tool text, p_client text,
    p_change jsonb, p_summary jsonb, p_state jsonb, p_keep int, p_keep_days int, p_budget bigint)
  RETURNS void
  LANGUAGE plpgsql
  AS $fn$
DECLARE
  newest bigint;
BEGIN
  INSERT INTO user_history (user_id, version, tool, client_id, change, summary, state, size_bytes)
  VALUES (p_user, p_version, p_tool, p_client, p_change, p_summary, p_state,
          octet_length(p_change::text) + coalesce(octet_length(p_state::text), 0))
  RETURNING id INTO newest;
  DELETE FROM user_history h
   WHERE h.user_id = p_user
     AND h.id < coalesce((SELECT min(x.id) FROM (SELECT id FROM user_history
                            WHERE user_id = p_user ORDER BY id DESC LIMIT p_keep) x), 0)
     AND (h.changed_at < now() - make_interval(days => p_keep_days)
          OR h.id < coalesce((SELECT min(y.id) FROM (SELECT id FROM user_history
                                WHERE user_id = p_user ORDER BY id DESC LIMIT p_keep * 5) y), 0));
  DELETE FROM user_history h
   WHERE h.id IN (SELECT r.id FROM (SELECT id, sum(size_bytes) OVER (ORDER BY id DESC) AS running
                                      FROM user_history WHERE user_id = p_user) r
                   WHERE r.running > p_budget AND r.id <> newest);
END
$fn$;

-- The state write of migration 1, now recording itself: one round trip, atomic under a row lock.
-- Unlike migration 1's, it never creates the person: only begin_session does, so a save racing a
-- forget cannot bring a forgotten person back. (Migration 1's four-argument form stays for
-- instances of the previous release during a rolling deploy.)
CREATE FUNCTION core_save_state(p_user text, p_patch jsonb, p_expected bigint, p_max_bytes int,
    p_tool text, p_client text, p_keep int, p_keep_days int, p_budget bigint)
  RETURNS TABLE (outcome text, state jsonb, version bigint, updated_at timestamptz, size_bytes int)
  LANGUAGE plpgsql
  AS $fn$
DECLARE
  cur user_state%ROWTYPE;
  next_state jsonb;
  next_size int;
BEGIN
  SELECT * INTO cur FROM user_state s WHERE s.user_id = p_user FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'missing'::text, '{}'::jsonb, 0::bigint, now(), NULL::int;
    RETURN;
  END IF;
  IF p_expected IS NOT NULL AND p_expected <> cur.version THEN
    RETURN QUERY SELECT 'version_conflict'::text, cur.state, cur.version, cur.updated_at, NULL::int;
    RETURN;
  END IF;
  next_state := core_merge_patch(cur.state, p_patch);
  next_size := octet_length(next_state::text);
  IF next_size > p_max_bytes THEN
    RETURN QUERY SELECT 'too_large'::text, cur.state, cur.version, cur.updated_at, next_size;
    RETURN;
  END IF;
  UPDATE user_state s SET state = next_state, version = cur.version + 1, updated_at = now()
   WHERE s.user_id = p_user;
  PERFORM core_record_change(p_user, cur.version + 1, p_tool, p_client, p_patch,
    core_state_summary(cur.state, next_state), next_state, p_keep, p_keep_days, p_budget);
  RETURN QUERY SELECT 'saved'::text, next_state, cur.version + 1, now(), next_size;
END
$fn$;

-- Restores the state as it was at p_version (0: empty) as a new version; nothing is rewritten.
CREATE FUNCTION core_restore_state(p_user text, p_version bigint, p_expected bigint,
    p_max_bytes int, p_tool text, p_client text, p_keep int, p_keep_days int, p_budget bigint)
  RETURNS TABLE (outcome text, state jsonb, version bigint, updated_at timestamptz, size_bytes int)
  LANGUAGE plpgsql
  AS $fn$
DECLARE
  cur user_state%ROWTYPE;
  target jsonb;
  next_size int;
BEGIN
  SELECT * INTO cur FROM user_state s WHERE s.user_id = p_user FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'missing'::text, '{}'::jsonb, 0::bigint, now(), NULL::int;
    RETURN;
  END IF;
  IF p_expected IS NOT NULL AND p_expected <> cur.version THEN
    RETURN QUERY SELECT 'version_conflict'::text, cur.state, cur.version, cur.updated_at, NULL::int;
    RETURN;
  END IF;
  IF p_version = 0 THEN
    target := '{}'::jsonb;
  ELSE
    SELECT h.state INTO target FROM user_history h
     WHERE h.user_id = p_user AND h.version = p_version AND h.state IS NOT NULL
     ORDER BY h.id DESC LIMIT 1;
  END IF;
  IF target IS NULL THEN
    RETURN QUERY SELECT 'unknown_version'::text, cur.state, cur.version, cur.updated_at, NULL::int;
    RETURN;
  END IF;
  next_size := octet_length(target::text);
  IF next_size > p_max_bytes THEN
    RETURN QUERY SELECT 'too_large'::text, cur.state, cur.version, cur.updated_at, next_size;
    RETURN;
  END IF;
  UPDATE user_state s SET state = target, version = cur.version + 1, updated_at = now()
   WHERE s.user_id = p_user;
  PERFORM core_record_change(p_user, cur.version + 1, p_tool, p_client,
    jsonb_build_object('restoredVersion', p_version), core_state_summary(cur.state, target),
    target, p_keep, p_keep_days, p_budget);
  RETURN QUERY SELECT 'saved'::text, target, cur.version + 1, now(), next_size;
END
$fn$;
`,
  },
  {
    version: 3,
    name: "begin_session locks in the order a save does",
    sql: `
-- A save locks the state row, then (recording history, whose rows reference the person) the
-- person's row; migration 1's begin_session locked the person first and then met the state row,
-- so a save and a session start for one person could deadlock, and PostgreSQL failed one of them
-- after a second. Same result, state row first.
CREATE OR REPLACE FUNCTION core_begin_session(p_user text, p_email text)
  RETURNS TABLE (profile jsonb, state jsonb, version bigint, updated_at timestamptz)
  LANGUAGE plpgsql
  AS $fn$
DECLARE
  previous timestamptz;
BEGIN
  PERFORM 1 FROM user_state s WHERE s.user_id = p_user FOR UPDATE;
  SELECT u.last_seen_at INTO previous FROM users u WHERE u.id = p_user FOR UPDATE;
  INSERT INTO users AS u (id, email) VALUES (p_user, p_email)
    ON CONFLICT (id) DO UPDATE SET last_seen_at = now(), email = coalesce(excluded.email, u.email);
  INSERT INTO user_state (user_id) VALUES (p_user) ON CONFLICT (user_id) DO NOTHING;
  RETURN QUERY
    SELECT jsonb_build_object('id', u.id, 'email', u.email, 'memberSince', u.created_at,
             'previousVisit', previous),
           s.state, s.version, s.updated_at
      FROM users u JOIN user_state s ON s.user_id = u.id
     WHERE u.id = p_user;
END
$fn$;
`,
  },
];

/** One namespace's migrations, and the fixed content its tables hold a copy of. */
export interface MigrationSet {
  /** `core`, or a pack's id. */
  namespace: string;
  migrations: readonly Migration[];
  /** The pack's fixed content: written after the migrations whenever its hash is new here. */
  content?: ContentCopy;
}

/** What the database needs to hold a pack's fixed content. */
export interface ContentCopy {
  /** Identifies the content; a different hash means the copy must be rewritten. */
  hash: string;
  /** Writes the content into the pack's tables. */
  seed(tx: SqlTransaction): Promise<void>;
}

/**
 * A migration that already ran here was changed since (or removed): its tables no longer match
 * what the code expects, and running on would break the pack in ways no call can explain.
 */
export class MigrationDriftError extends StartupError<"migration_drift"> {}

/** A migration failed to run: the database refused its SQL. Nothing of the preparation is kept. */
export class MigrationFailedError extends StartupError<"migration_failed"> {}

/** Hex SHA-256 of a migration's SQL: what is recorded when it runs, and compared at every start. */
export async function migrationChecksum(sql: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(sql));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function owner(namespace: string): string {
  return namespace === CORE_NAMESPACE ? "the kit" : `pack "${namespace}"`;
}

function driftMessage(namespace: string, problems: string[]): string {
  const fix = namespace === CORE_NAMESPACE
    ? "Restore the kit's migrations as shipped."
    : `Put the shipped text of ${owner(namespace)}'s migration back and make the change as the ` +
      "next version instead (a new migration runs on every database, old and new). On a " +
      "development database you may instead start it afresh with `deno task db:reset` (it keeps " +
      "the signing key and registered clients).";
  return `${owner(namespace)}: migrations that already ran on this database were changed:\n` +
    problems.map((p) => `  ${p}`).join("\n") + `\n${fix}`;
}

/**
 * Versions of `namespace` recorded (as `namespace:version` ids) but no longer listed, below the
 * highest listed: drift. One above it is the database being ahead of this code (a newer instance
 * ran it; this one is older, or rolled back), not drift.
 */
function unlistedVersions(
  namespace: string,
  migrations: readonly Migration[],
  recordedIds: Iterable<string>,
): number[] {
  const listed = new Set(migrations.map((m) => m.version));
  const highest = Math.max(0, ...listed);
  const unlisted: number[] = [];
  for (const id of recordedIds) {
    if (!id.startsWith(`${namespace}:`)) continue;
    const version = Number(id.slice(namespace.length + 1));
    if (!listed.has(version) && version < highest) unlisted.push(version);
  }
  return unlisted;
}

/**
 * Whether the database already holds exactly what `sets` would make: each migration recorded with
 * its checksum, no recorded version missing below the highest listed, each content hash current.
 * `false` on any doubt, including tables that do not exist yet.
 */
async function alreadyCurrent(sql: SqlClient, sets: readonly MigrationSet[]): Promise<boolean> {
  let rows: { kind: string; namespace: string; version: number | null; value: string | null }[];
  try {
    rows = await sql.query(
      `SELECT 'migration' AS kind, namespace, version, checksum AS value FROM kit_migrations
       UNION ALL
       SELECT 'content', namespace, NULL, hash FROM kit_content`,
    );
  } catch {
    return false;
  }
  const recorded = new Map<string, string | null>();
  const contents = new Map<string, string | null>();
  for (const row of rows) {
    if (row.kind === "content") contents.set(row.namespace, row.value);
    else recorded.set(`${row.namespace}:${Number(row.version)}`, row.value);
  }
  for (const { namespace, migrations, content } of sets) {
    for (const migration of migrations) {
      const id = `${namespace}:${migration.version}`;
      if (recorded.get(id) !== await migrationChecksum(migration.sql)) return false;
    }
    if (unlistedVersions(namespace, migrations, recorded.keys()).length > 0) return false;
    if (content && contents.get(namespace) !== content.hash) return false;
    if (
      namespace !== CORE_NAMESPACE && contents.get(isolationKey(namespace)) !== ISOLATION_VERSION
    ) {
      return false;
    }
  }
  return true;
}

/** Where `kit_content` records that a pack's tables are guarded per person (see isolation.ts). */
function isolationKey(namespace: string): string {
  return `${namespace}:isolation`;
}

/**
 * Applies every migration not yet applied, set by set in the order given (the kit's first, so a
 * pack's tables may reference `users`), then rewrites each set's fixed content whose hash the
 * database has not recorded. All in one transaction under one advisory lock: idempotent, and safe
 * to run from several instances at once. Returns what it did, as `namespace:version` and
 * `namespace:content`.
 */
export async function applyMigrations(
  sql: SqlClient,
  sets: readonly MigrationSet[],
): Promise<string[]> {
  // A start with nothing to do (every migration recorded with its checksum, every content hash
  // current) is told by one read, without the lock and the transaction; anything else — a new
  // database, a migration or content to apply, drift to report — takes the full path below.
  if (await alreadyCurrent(sql, sets)) return [];
  return await sql.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('kit:migrations'))");
    // The kit's own work over everyone's rows, not a person's: migrations and content copies may
    // read and write every person's rows of a guarded table (see isolation.ts).
    await tx.query(AS_EVERYONE_SQL);
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS kit_migrations (namespace text NOT NULL, version int NOT NULL, " +
        "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), " +
        "PRIMARY KEY (namespace, version));" +
        // Recorded from when the kit started checking; a row without one gets it on first sight.
        "ALTER TABLE kit_migrations ADD COLUMN IF NOT EXISTS checksum text;" +
        "CREATE TABLE IF NOT EXISTS kit_content (namespace text PRIMARY KEY, hash text NOT NULL, " +
        "seeded_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Map(
      (await tx.query<{ namespace: string; version: number; checksum: string | null }>(
        "SELECT namespace, version, checksum FROM kit_migrations",
      )).map((r) => [`${r.namespace}:${Number(r.version)}`, r.checksum]),
    );
    const applied: string[] = [];
    for (const { namespace, migrations } of sets) {
      const drifted: string[] = [];
      for (const migration of migrations) {
        const id = `${namespace}:${migration.version}`;
        const checksum = await migrationChecksum(migration.sql);
        if (done.has(id)) {
          const recorded = done.get(id);
          if (recorded === null || (recorded && migration.replaces?.includes(recorded))) {
            await tx.query(
              "UPDATE kit_migrations SET checksum = $3 WHERE namespace = $1 AND version = $2",
              [namespace, migration.version, checksum],
            );
          } else if (recorded !== checksum) {
            drifted.push(
              `version ${migration.version} ("${migration.name}") is not the text that ran`,
            );
          }
          continue;
        }
        if (drifted.length > 0) break;
        try {
          await tx.exec(migration.sql);
        } catch (error) {
          const { code, message } = error as { code?: string; message?: string };
          throw new MigrationFailedError(
            "migration_failed",
            `${owner(namespace)}: migration ${migration.version} ("${migration.name}") failed` +
              `${code ? ` with SQLSTATE ${code}` : ""}: ${message ?? error}\nNothing of it was ` +
              "kept. Fix its SQL if it has never run on any database; if it has, add the next version.",
            { cause: error },
          );
        }
        await tx.query(
          "INSERT INTO kit_migrations (namespace, version, name, checksum) VALUES ($1, $2, $3, $4)",
          [namespace, migration.version, migration.name, checksum],
        );
        applied.push(id);
      }
      for (const version of unlistedVersions(namespace, migrations, done.keys())) {
        drifted.push(`version ${version} ran here but is no longer listed`);
      }
      if (drifted.length > 0) {
        throw new MigrationDriftError("migration_drift", driftMessage(namespace, drifted));
      }
    }
    const seeded = new Map(
      (await tx.query<{ namespace: string; hash: string }>(
        "SELECT namespace, hash FROM kit_content",
      )).map((r) => [r.namespace, r.hash]),
    );
    for (const { namespace, content } of sets) {
      if (!content || seeded.get(namespace) === content.hash) continue;
      await content.seed(tx);
      await tx.query(
        `INSERT INTO kit_content (namespace, hash) VALUES ($1, $2)
         ON CONFLICT (namespace) DO UPDATE SET hash = excluded.hash, seeded_at = now()`,
        [namespace, content.hash],
      );
      applied.push(`${namespace}:content`);
    }
    // Every pack's personal tables guarded by the database, after whatever the migrations made.
    for (const { namespace } of sets) {
      if (namespace === CORE_NAMESPACE) continue;
      // Guarded already, and nothing of the schema changed since: nothing to do.
      const changed = applied.some((id) =>
        id.startsWith(`${namespace}:`) || id.startsWith("core:")
      );
      if (!changed && seeded.get(isolationKey(namespace)) === ISOLATION_VERSION) continue;
      await guardTables(tx, namespace, await personalTables(tx, namespace));
      await tx.query(
        `INSERT INTO kit_content (namespace, hash) VALUES ($1, $2)
         ON CONFLICT (namespace) DO UPDATE SET hash = excluded.hash, seeded_at = now()`,
        [isolationKey(namespace), ISOLATION_VERSION],
      );
    }
    return applied;
  });
}
