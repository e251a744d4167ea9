/**
 * The library's content: `seed/reading_room/articles.json`, validated once at start-up. It is the
 * pack's fixed content: reads are answered from memory, and the articles table holds a copy for
 * full-text search, written when the content changes.
 *
 * @module
 */
import { z } from "zod";
import type { FixedContent, SqlTransaction } from "../../pack/mod.ts";

const ArticleSchema = z.object({
  id: z.string().regex(/^a[1-9][0-9]*$/),
  title: z.string().min(1).max(200),
  author: z.string().min(1).max(100),
  tags: z.array(z.string().regex(/^[a-z0-9-]+$/)).min(1).max(10),
  published: z.iso.date().nullable(),
  summary: z.string().max(400),
  body: z.array(z.string().min(1)).min(1),
}).strict();

/** An article of the library. */
export type Article = z.infer<typeof ArticleSchema>;

/** Parses the seed file's content; throws naming the first bad article. */
export function parseArticles(json: unknown): Article[] {
  const parsed = z.array(ArticleSchema).min(1).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`seed/reading_room/articles.json: ${issue.path.join(".")}: ${issue.message}`);
  }
  const ids = new Set<string>();
  for (const article of parsed.data) {
    if (ids.has(article.id)) {
      throw new Error(`seed/reading_room/articles.json: duplicate id ${article.id}`);
    }
    ids.add(article.id);
  }
  return parsed.data;
}

/** Reads and parses the seed file. */
export async function loadSeedArticles(
  url = new URL("../../../seed/reading_room/articles.json", import.meta.url),
): Promise<Article[]> {
  return parseArticles(JSON.parse(await Deno.readTextFile(url)));
}

/** Paragraph separator inside the stored `body`. */
export const PARAGRAPH_BREAK = "\n\n";

/**
 * Makes the articles table hold exactly `articles`: changed rows are rewritten (their search
 * vector with them), unchanged ones left alone, and articles no longer in the library removed
 * (shelves keep their entries; they show the id where the title was).
 */
export async function writeArticles(
  tx: Pick<SqlTransaction, "query">,
  articles: readonly Article[],
): Promise<void> {
  const rows = articles.map((a) => ({ ...a, body: a.body.join(PARAGRAPH_BREAK) }));
  await tx.query(
    "DELETE FROM reading_room_articles WHERE NOT (id = ANY($1::text[]))",
    [articles.map((a) => a.id)],
  );
  await tx.query(
    `INSERT INTO reading_room_articles AS a (id, title, author, tags, published, summary, body)
     SELECT r.id, r.title, r.author, r.tags, r.published, r.summary, r.body
       FROM jsonb_to_recordset($1::jsonb)
         AS r(id text, title text, author text, tags text[], published date, summary text, body text)
     ON CONFLICT (id) DO UPDATE SET
       title = excluded.title, author = excluded.author, tags = excluded.tags,
       published = excluded.published, summary = excluded.summary, body = excluded.body
     WHERE (a.title, a.author, a.tags, a.published, a.summary, a.body)
       IS DISTINCT FROM (excluded.title, excluded.author, excluded.tags, excluded.published,
                         excluded.summary, excluded.body)`,
    [JSON.stringify(rows)],
  );
}

/** The library as fixed content: read from `url` (the shipped seed file by default). */
export function libraryContent(url?: URL): FixedContent<readonly Article[]> {
  return {
    load: () => loadSeedArticles(url),
    seed: (tx, articles) => writeArticles(tx, articles),
  };
}
