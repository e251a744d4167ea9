/**
 * What the Reading Room keeps: the library (search, read, overview) and each reader's shelf. The
 * articles are fixed content: reading one and the overview come from memory; search and the
 * shelf go to the database through the kit's SQL client (which bounds every call and fails closed
 * on its own).
 *
 * @module
 */
import { isoTime, type SqlClient } from "../../pack/mod.ts";
import type { Article } from "./catalog.ts";
import { articleTokens, queryTerms, snippetOf } from "./snippet.ts";

/**
 * A person's query as web-search syntax PostgreSQL can always parse. A `-` excludes the word it
 * touches (`-compost`); anywhere else it means nothing, and is dropped: PostgreSQL keeps each one
 * as an operator waiting for its word, and 33 of them in a row (`- - - …`, `-!-!-!…`) overflow
 * its query stack ("tsquery stack too small"), which would make a typo look like an outage.
 */
export function searchSyntax(query: string): string {
  return query.replace(
    /-+/g,
    (dashes, at: number, all: string) =>
      /^[\p{L}\p{N}"]/u.test(all.slice(at + dashes.length)) ? "-" : " ",
  );
}

/** One ranked search result. */
export interface SearchHit {
  id: string;
  title: string;
  author: string;
  tags: string[];
  /** Relevance, higher is better. */
  rank: number;
  /** Matching passage with matched words between « and ». */
  snippet: string;
}

/** What the library holds, for an empty or fruitless search. */
export interface CatalogOverview {
  articleCount: number;
  /** Tags by number of articles, most first. */
  tags: { tag: string; count: number }[];
}

/** An article's place on a reader's shelf. */
export interface ShelfEntry {
  title: string;
  shelvedAt?: string;
  readAt?: string;
}

/** What changes a shelf. */
export type ShelfAction = "shelve" | "unshelve" | "mark_read";

/** The Reading Room's store. */
export interface ReadingRoomStore {
  /** Ranked full-text search. */
  searchArticles(query: string, limit: number): Promise<SearchHit[]>;
  /** One article, or `null`. */
  getArticle(id: string): Promise<Article | null>;
  /** Counts and tags of the library. */
  catalogOverview(): Promise<CatalogOverview>;
  /** The reader's shelf, by article id. */
  getShelf(sub: string): Promise<Record<string, ShelfEntry>>;
  /**
   * Shelves, unshelves or marks read an existing article; returns the article's entry afterwards
   * (`null` when off the shelf), or `undefined` when there is no such article.
   */
  changeShelf(
    sub: string,
    action: ShelfAction,
    articleId: string,
  ): Promise<{ title: string; entry: ShelfEntry | null } | undefined>;
}

type ShelfRow = {
  article_id: string;
  title: string;
  shelved_at: Date | string | null;
  read_at: Date | string | null;
};

function entryFrom(row: ShelfRow): ShelfEntry {
  const entry: ShelfEntry = { title: row.title };
  if (row.shelved_at !== null) entry.shelvedAt = isoTime(row.shelved_at)!;
  if (row.read_at !== null) entry.readAt = isoTime(row.read_at)!;
  return entry;
}

/** Builds the store over the database and the library's articles (as loaded, frozen). */
export function createReadingRoomStore(
  sql: SqlClient,
  articles: readonly Article[],
): ReadingRoomStore {
  const byId = new Map(articles.map((a) => [a.id, a]));
  const overview = overviewOf(articles);
  const tokensOf = articleTokens(sql);
  return {
    async searchArticles(query, limit) {
      const rows = await sql.query<
        Omit<SearchHit, "snippet"> & { rank: number | string; q: string }
      >(
        `SELECT a.id, a.title, a.author, a.tags, ts_rank(a.search, q) AS rank, q::text AS q
           FROM reading_room_articles a, websearch_to_tsquery('english', $1) q
          WHERE a.search @@ q
          ORDER BY rank DESC, a.id
          LIMIT $2`,
        [searchSyntax(query), limit],
      );
      if (rows.length === 0) return [];
      const terms = queryTerms(rows[0].q);
      const texts = await tokensOf(rows.map((r) => r.id));
      return rows.map(({ q: _q, ...r }) => ({
        ...r,
        rank: Number(r.rank),
        snippet: snippetOf(texts.get(r.id) ?? [], terms),
      }));
    },

    getArticle: (id) => Promise.resolve(byId.get(id) ?? null),

    catalogOverview: () => Promise.resolve(overview),

    async getShelf(sub) {
      const rows = await sql.query<ShelfRow>(
        `SELECT s.article_id, coalesce(a.title, s.article_id) AS title, s.shelved_at, s.read_at
           FROM reading_room_shelf s LEFT JOIN reading_room_articles a ON a.id = s.article_id
          WHERE s.user_id = $1
          ORDER BY coalesce(s.shelved_at, s.read_at), s.article_id`,
        [sub],
      );
      return Object.fromEntries(rows.map((row) => [row.article_id, entryFrom(row)]));
    },

    async changeShelf(sub, action, articleId) {
      // One statement: the article must exist, and the change is made and read back atomically.
      const rows = await sql.query<ShelfRow & { found: boolean; kept: boolean }>(
        `WITH article AS (SELECT id, title FROM reading_room_articles WHERE id = $2::text),
              removed AS (
                DELETE FROM reading_room_shelf
                 WHERE $3::text = 'unshelve' AND user_id = $1::text AND article_id IN (SELECT id FROM article)
              ),
              upserted AS (
                INSERT INTO reading_room_shelf AS s (user_id, article_id, shelved_at, read_at)
                SELECT $1::text, id, CASE WHEN $3::text = 'shelve' THEN now() END,
                       CASE WHEN $3::text = 'mark_read' THEN now() END
                  FROM article WHERE $3::text <> 'unshelve'
                ON CONFLICT (user_id, article_id) DO UPDATE SET
                  shelved_at = CASE WHEN $3::text = 'shelve' THEN now() ELSE s.shelved_at END,
                  read_at = CASE WHEN $3::text = 'mark_read' THEN now() ELSE s.read_at END
                RETURNING article_id, shelved_at, read_at
              )
         SELECT a.id AS article_id, a.title, u.shelved_at, u.read_at, true AS found,
                u.article_id IS NOT NULL AS kept
           FROM article a LEFT JOIN upserted u ON u.article_id = a.id`,
        [sub, articleId, action],
      );
      if (rows.length === 0) return undefined;
      const row = rows[0];
      return { title: row.title, entry: row.kept ? entryFrom(row) : null };
    },
  };
}

/** Article and tag counts, tags most used first (then by name). */
function overviewOf(articles: readonly Article[]): CatalogOverview {
  const counts = new Map<string, number>();
  for (const article of articles) {
    for (const tag of new Set(article.tags)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  const tags = [...counts].map(([tag, count]) => ({ tag, count }))
    .sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  return Object.freeze({
    articleCount: articles.length,
    tags: Object.freeze(tags),
  }) as CatalogOverview;
}
