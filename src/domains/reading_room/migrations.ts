/**
 * The Reading Room's tables, under its own namespace (`reading_room`). Both migrations also run on
 * a database made before packs existed, where the catalog was a table `articles` and each reader's
 * shelf lived in their saved state under the key `shelf`: the first renames that table, the second
 * moves every shelf into its own table, the third drops that schema's functions.
 *
 * @module
 */
import type { Migration } from "../../pack/mod.ts";

/** The pack's migrations, in order. Never edit one that has shipped: add the next. */
export const READING_ROOM_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "catalog",
    sql: `
-- array_to_string is only STABLE; tags are plain text, so this wrapper is safely IMMUTABLE and
-- may appear in the generated search column.
CREATE OR REPLACE FUNCTION rr_tags_text(tags text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce(array_to_string(tags, ' '), '') $fn$;

DO $do$
BEGIN
  -- A database from before packs holds the catalog under its old name: keep its rows.
  IF to_regclass('articles') IS NOT NULL AND to_regclass('reading_room_articles') IS NULL THEN
    ALTER TABLE articles RENAME TO reading_room_articles;
    ALTER INDEX IF EXISTS articles_search_idx RENAME TO reading_room_articles_search_idx;
  END IF;
END
$do$;

CREATE TABLE IF NOT EXISTS reading_room_articles (
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
CREATE INDEX IF NOT EXISTS reading_room_articles_search_idx
  ON reading_room_articles USING gin (search);
`,
  },
  {
    version: 2,
    name: "shelves in their own table",
    sql: `
CREATE TABLE reading_room_shelf (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  article_id text NOT NULL,
  shelved_at timestamptz,
  read_at timestamptz,
  PRIMARY KEY (user_id, article_id),
  CHECK (shelved_at IS NOT NULL OR read_at IS NOT NULL)
);

-- Saved state was written by models: a timestamp in it may be anything. Unreadable ones are
-- dropped rather than failing the migration (and with it the server's start).
CREATE FUNCTION pg_temp.shelf_time(value jsonb) RETURNS timestamptz
  LANGUAGE plpgsql IMMUTABLE
  AS $fn$
BEGIN
  IF jsonb_typeof(value) <> 'string' THEN
    RETURN NULL;
  END IF;
  RETURN (value #>> '{}')::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$fn$;

-- Carry every shelf over from the saved state (where it lived before packs), then take it out of
-- the state, so clearing the state can no longer clear the shelf.
INSERT INTO reading_room_shelf (user_id, article_id, shelved_at, read_at)
SELECT s.user_id, e.key, pg_temp.shelf_time(e.value -> 'shelvedAt'),
       pg_temp.shelf_time(e.value -> 'readAt')
  FROM user_state s, jsonb_each(s.state -> 'shelf') e
 WHERE jsonb_typeof(s.state -> 'shelf') = 'object'
   AND jsonb_typeof(e.value) = 'object'
   AND length(e.key) BETWEEN 1 AND 32
   AND (pg_temp.shelf_time(e.value -> 'shelvedAt') IS NOT NULL
        OR pg_temp.shelf_time(e.value -> 'readAt') IS NOT NULL)
ON CONFLICT DO NOTHING;

UPDATE user_state
   SET state = state - 'shelf', version = version + 1, updated_at = now()
 WHERE jsonb_typeof(state -> 'shelf') = 'object';
`,
  },
  {
    version: 3,
    name: "the first schema's functions gone",
    // Before packs, the saved-state functions carried this product's prefix; the kit's own
    // (core_…) replaced them, and nothing calls these any more.
    sql: `
DROP FUNCTION IF EXISTS rr_save_state(text, jsonb, bigint, int);
DROP FUNCTION IF EXISTS rr_begin_session(text, text);
DROP FUNCTION IF EXISTS rr_merge_patch(jsonb, jsonb);
`,
  },
];
