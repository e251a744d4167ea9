/**
 * The {@linkcode ReadingStore} in SQL, shared by both backends (Neon and PGlite). Every call has a
 * deadline: a database that is slower than that counts as down, and the caller fails closed.
 *
 * @module
 */
import { PARAGRAPH_BREAK, upsertArticles } from "./catalog_seed.ts";
import { applyMigrations } from "./migrations.ts";
import {
  type Article,
  type CatalogOverview,
  type Profile,
  type ReadingStore,
  type SavedState,
  type SaveOutcome,
  type SearchHit,
  type SqlClient,
  StoreError,
} from "./types.ts";

/** Options of {@linkcode createPostgresStore}. */
export interface PostgresStoreOptions {
  /** Per-call deadline in milliseconds. */
  timeoutMs: number;
  /** Catalog content to upsert when the schema is prepared. */
  articles: Article[];
}

type StateRow = {
  state: Record<string, unknown>;
  version: string | number;
  updated_at: Date | string;
};

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

function savedFrom(row: StateRow): SavedState {
  return { state: row.state, version: Number(row.version), updatedAt: iso(row.updated_at)! };
}

function profileFrom(json: Record<string, string | null>): Profile {
  return {
    id: json.id!,
    email: json.email ?? null,
    memberSince: iso(json.memberSince)!,
    previousVisit: iso(json.previousVisit),
  };
}

/**
 * Builds the store over a SQL client. Migrations and the catalog upsert run on first use (and again
 * after any failed call), so the server starts even while the database is down and recovers when it
 * returns, or when the embedded database comes back from a restart without its schema.
 */
export function createPostgresStore(sql: SqlClient, options: PostgresStoreOptions): ReadingStore {
  let ready: Promise<void> | undefined;
  const prepare = () => {
    ready ??= (async () => {
      await applyMigrations(sql);
      await upsertArticles(sql, options.articles);
    })();
    ready.catch(() => (ready = undefined));
    return ready;
  };

  /**
   * Runs `work` after preparation, under the deadline; failures become {@linkcode StoreError}. The
   * deadline covers waiting for a backend that is reopening (the embedded database after a
   * restart): a call then fails closed in time rather than waiting out the whole open, and the
   * calls after the reopen succeed.
   */
  async function run<T>(what: string, work: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new StoreError("timeout", `${what}: no answer within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        );
      });
      const opened = sql.ready?.();
      opened?.catch(() => {}); // Past the deadline its failure is nobody's to hear.
      return await Promise.race([
        (opened ?? Promise.resolve()).then(() => prepare()).then(work),
        deadline,
      ]);
    } catch (error) {
      // A failure can mean the backend was restarted (a worker that missed its deadline; an
      // in-memory database then has no schema): prepare again next time, it is idempotent and cheap.
      ready = undefined;
      if (error instanceof StoreError) throw error;
      throw new StoreError("unavailable", `${what}: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    beginSession: ({ sub, email }) =>
      run("begin session", async () => {
        const [row] = await sql.query<StateRow & { profile: Record<string, string | null> }>(
          "SELECT profile, state, version, updated_at FROM rr_begin_session($1, $2)",
          [sub, email ?? null],
        );
        return { profile: profileFrom(row.profile), saved: savedFrom(row) };
      }),

    getReader: (sub) =>
      run("read profile", async () => {
        const rows = await sql.query<
          StateRow & { id: string; email: string | null; created_at: Date; last_seen_at: Date }
        >(
          `SELECT u.id, u.email, u.created_at, u.last_seen_at, s.state, s.version, s.updated_at
             FROM users u JOIN user_state s ON s.user_id = u.id WHERE u.id = $1`,
          [sub],
        );
        if (rows.length === 0) return null;
        const row = rows[0];
        return {
          profile: {
            id: row.id,
            email: row.email,
            memberSince: iso(row.created_at)!,
            previousVisit: iso(row.last_seen_at),
          },
          saved: savedFrom(row),
        };
      }),

    savePatch: (sub, patch, { expectedVersion, maxBytes }) =>
      run("save state", async (): Promise<SaveOutcome> => {
        const [row] = await sql.query<StateRow & { outcome: string; size_bytes: number | null }>(
          "SELECT outcome, state, version, updated_at, size_bytes FROM rr_save_state($1, $2::jsonb, $3, $4)",
          [sub, JSON.stringify(patch), expectedVersion ?? null, maxBytes],
        );
        const saved = savedFrom(row);
        if (row.outcome === "saved") return { outcome: "saved", saved };
        if (row.outcome === "too_large") {
          return { outcome: "too_large", current: saved, sizeBytes: Number(row.size_bytes) };
        }
        return { outcome: "version_conflict", current: saved };
      }),

    searchArticles: (query, limit) =>
      run("search", async () => {
        const rows = await sql.query<SearchHit & { rank: number | string }>(
          `SELECT a.id, a.title, a.author, a.tags, ts_rank(a.search, q) AS rank,
                  ts_headline('english', a.summary || ' ' || a.body, q,
                    'StartSel=«, StopSel=», MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "') AS snippet
             FROM articles a, websearch_to_tsquery('english', $1) q
            WHERE a.search @@ q
            ORDER BY rank DESC, a.id
            LIMIT $2`,
          [query, limit],
        );
        return rows.map((r) => ({ ...r, rank: Number(r.rank) }));
      }),

    getArticle: (id) =>
      run("read article", async () => {
        const rows = await sql.query<
          Omit<Article, "body"> & { body: string; published: Date | string | null }
        >(
          "SELECT id, title, author, tags, published, summary, body FROM articles WHERE id = $1",
          [id],
        );
        if (rows.length === 0) return null;
        const row = rows[0];
        return {
          ...row,
          published: row.published === null ? null : iso(row.published)!.slice(0, 10),
          body: row.body.split(PARAGRAPH_BREAK),
        };
      }),

    catalogOverview: () =>
      run("catalog overview", async (): Promise<CatalogOverview> => {
        const [row] = await sql.query<
          { article_count: number | string; tags: { tag: string; count: number }[] }
        >(
          `SELECT (SELECT count(*) FROM articles) AS article_count,
                  coalesce((SELECT jsonb_agg(jsonb_build_object('tag', tag, 'count', n) ORDER BY n DESC, tag)
                              FROM (SELECT tag, count(*) AS n FROM articles, unnest(tags) AS tag GROUP BY tag) t),
                           '[]'::jsonb) AS tags`,
        );
        return { articleCount: Number(row.article_count), tags: row.tags };
      }),

    ping: () =>
      run("ping", async () => {
        await sql.query("SELECT 1");
      }),

    close: () => sql.close(),
  };
}
