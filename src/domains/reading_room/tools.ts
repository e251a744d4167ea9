/**
 * The Reading Room's `domain_*` tools: search the library, read an article, keep a shelf.
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "../../pack/mod.ts";
import type { Article } from "./catalog.ts";
import type { ReadingRoomStore } from "./store.ts";

const QUERY_MAX = 500;

const ArticleSchema = z.object({
  id: z.string(),
  title: z.string(),
  author: z.string(),
  tags: z.array(z.string()),
  published: z.string().nullable(),
  summary: z.string(),
  body: z.array(z.string()).describe("Paragraphs"),
});

/** An article's place on the shelf, as tools return it. */
export const ShelfEntrySchema = z.object({
  title: z.string().optional(),
  shelvedAt: z.string().optional(),
  readAt: z.string().optional(),
});

const articleId = z.string().min(1).max(32).describe("Article id, e.g. a7");

const tool = defineTool<ReadingRoomStore>();

/** The library tools. */
export const readingRoomTools = [
  tool({
    name: "domain_search",
    title: "Search the library",
    description:
      "Full-text search of the Reading Room's articles, best matches first, each with a " +
      "snippet where matched words are marked «like this». Use plain words; quotes for a phrase, " +
      "-word to exclude, OR for alternatives. An empty query lists the subjects the library covers. " +
      "Recommend only articles found here.",
    access: "read",
    inputSchema: z.object({
      query: z.string().max(QUERY_MAX).describe("Words to look for (at most 500 characters)"),
      limit: z.number().int().min(1).max(20).optional().describe(
        "How many results, 1-20 (default 5)",
      ),
    }),
    outputSchema: z.object({
      query: z.string(),
      results: z.array(z.object({
        id: z.string(),
        title: z.string(),
        author: z.string(),
        tags: z.array(z.string()),
        rank: z.number(),
        snippet: z.string(),
      })),
      subjects: z.array(z.object({ tag: z.string(), count: z.number() })).optional().describe(
        "What the library covers, given when the search found nothing",
      ),
    }),
    example: { query: "light" },
    run: async ({ query, limit }, { store, reply }) => {
      const words = query.trim();
      const results = words === "" ? [] : await store.searchArticles(words, limit ?? 5);
      if (results.length > 0) {
        const lines = results.map((r, i) =>
          `${i + 1}. [${r.id}] ${r.title} — ${r.author}\n   ${r.snippet}`
        );
        return reply.success(
          { query: words, results },
          `Found ${results.length} for "${words}":\n${lines.join("\n")}`,
          ["Open one with domain_get_item."],
        );
      }
      const overview = await store.catalogOverview();
      const subjects = overview.tags.slice(0, 12);
      // What was found goes in the text; what to do next, as in every answer, in the guidance.
      const [found, advice] = words === ""
        ? [
          "No query given.",
          "Ask the person what they would like to read about, or search one of these subjects.",
        ]
        : [
          `Nothing in the library matches "${words}".`,
          "Try fewer or simpler words, or one of these subjects.",
        ];
      const list = subjects.map((s) => `${s.tag} (${s.count})`).join(", ");
      return reply.success(
        { query: words, results: [], subjects },
        `${found}\nThe library has ${overview.articleCount} articles on: ${list}.`,
        [advice],
      );
    },
  }),

  tool({
    name: "domain_get_item",
    title: "Read an article",
    description: "Returns one whole article of the library by its id (like a7), as found by " +
      "domain_search. Quote and summarise from this text rather than from memory.",
    access: "read",
    inputSchema: z.object({ id: articleId }),
    outputSchema: z.object({ article: ArticleSchema }),
    example: { id: "a1" },
    run: async ({ id }, { store, reply }) => {
      const article = await store.getArticle(id);
      if (!article) return reply.refused(notFound(id));
      return reply.success({ article }, renderArticle(article));
    },
  }),

  tool({
    name: "domain_do_action",
    title: "Shelve, unshelve or mark an article read",
    description: "Changes the reader's shelf: `shelve` saves an article for later, `unshelve` " +
      "removes it from the shelf, `mark_read` records that the reader finished it. The shelf is " +
      "kept apart from the saved state and comes back in every new begin_session (under " +
      "`domain.shelf`).",
    access: "write",
    inputSchema: z.object({
      action: z.enum(["shelve", "unshelve", "mark_read"]),
      id: articleId,
    }),
    outputSchema: z.object({
      action: z.enum(["shelve", "unshelve", "mark_read"]),
      id: z.string(),
      title: z.string(),
      shelfEntry: ShelfEntrySchema.nullable().describe(
        "The article's shelf entry now; null if off the shelf",
      ),
    }),
    example: { action: "shelve", id: "a2" },
    run: async ({ action, id }, { store, identity, reply }) => {
      const changed = await store.changeShelf(identity.sub, action, id);
      if (!changed) return reply.refused(notFound(id));
      const verb =
        { shelve: "Shelved", unshelve: "Took off the shelf", mark_read: "Marked as read" }[action];
      const { title: _title, ...entry } = changed.entry ?? { title: "" };
      return reply.success(
        { action, id, title: changed.title, shelfEntry: changed.entry ? entry : null },
        `${verb}: [${id}] ${changed.title}.`,
      );
    },
  }),
];

function notFound(id: string): string {
  return `there is no article with id "${id}". Find ids with domain_search.`;
}

function renderArticle(a: Article): string {
  return [
    `[${a.id}] ${a.title}`,
    `by ${a.author}${a.published ? `, ${a.published}` : ""} · ${a.tags.join(", ")}`,
    "",
    ...a.body,
  ].join("\n");
}
