/**
 * The schema, as ordered migrations applied at start-up. Each runs once (recorded in
 * `schema_migrations`), inside one transaction holding an advisory lock, so several instances
 * starting together apply each migration exactly once.
 *
 * @module
 */
import type { SqlClient } from "./types.ts";

/** A versioned schema change. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, in order. Never edit one that has shipped: add the next. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "readers, state and catalog",
    sql: `
CREATE TABLE users (
  id text PRIMARY KEY CHECK (id <> ''),
  email text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_state (
  user_id text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  state jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(state) = 'object'),
  version bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- array_to_string is only STABLE; tags are plain text, so this wrapper is safely IMMUTABLE and
-- may appear in the generated search column.
CREATE FUNCTION rr_tags_text(tags text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce(array_to_string(tags, ' '), '') $fn$;

CREATE TABLE articles (
  id text PRIMARY KEY,
  title text NOT NULL,
  author text NOT NULL,
  tags text[] NOT NULL DEFAULT '{}',
  published date,
  summary text NOT NULL DEFAULT '',
  body text NOT NULL,
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') ||
    setweight(to_tsvector('english', author || ' ' || rr_tags_text(tags)), 'B') ||
    setweight(to_tsvector('english', summary), 'B') ||
    setweight(to_tsvector('english', body), 'C')
  ) STORED
);
CREATE INDEX articles_search_idx ON articles USING gin (search);

-- RFC 7396 JSON merge patch: objects merge recursively, null removes, anything else replaces.
CREATE FUNCTION rr_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
  LANGUAGE plpgsql IMMUTABLE
  AS $fn$
DECLARE
  k text;
  v jsonb;
  result jsonb;
BEGIN
  IF jsonb_typeof(patch) IS DISTINCT FROM 'object' THEN
    RETURN patch;
  END IF;
  result := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
  FOR k, v IN SELECT key, value FROM jsonb_each(patch) LOOP
    IF jsonb_typeof(v) = 'null' THEN
      result := result - k;
    ELSE
      result := jsonb_set(result, ARRAY[k], rr_merge_patch(result -> k, v));
    END IF;
  END LOOP;
  RETURN result;
END
$fn$;

-- One round trip for begin_session: record the visit (creating the reader on first sight) and
-- return profile and state.
CREATE FUNCTION rr_begin_session(p_user text, p_email text)
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
CREATE FUNCTION rr_save_state(p_user text, p_patch jsonb, p_expected bigint, p_max_bytes int)
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
  next_state := rr_merge_patch(cur.state, p_patch);
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
  },
  {
    version: 2,
    name: "linear merge patch",
    sql: `
-- RFC 7396 JSON merge patch in time linear in the keys: one jsonb_set per key (migration 1)
-- copied the whole object each time, so a 32,000-key patch took over a minute under a row lock.
-- Per object level: the target's members the patch does not name, plus the patch's non-null
-- members (merged recursively where the patch value is an object), built in one aggregate.
-- A plain UNION, not a join by key: each recursion level must stay light on stack, since the
-- embedded database has little of it.
CREATE OR REPLACE FUNCTION rr_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
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
                    THEN rr_merge_patch(target -> p.key, p.value)
                    ELSE p.value END
          FROM jsonb_each(patch) p
         WHERE jsonb_typeof(p.value) <> 'null'
      ) m
  );
END
$fn$;
`,
  },
];

/** Applies every migration not yet applied. Idempotent; safe to run from several instances at once. */
export async function applyMigrations(sql: SqlClient): Promise<number[]> {
  return await sql.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('reading-room:migrations'))");
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, " +
        "applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Set(
      (await tx.query<{ version: number }>("SELECT version FROM schema_migrations")).map((r) =>
        Number(r.version)
      ),
    );
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
