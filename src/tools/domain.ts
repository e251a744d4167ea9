/**
 * `domain_*`: the library itself — search, read, and the reader's shelf.
 *
 * @module
 */
import { z } from "zod";
import type { Article } from "../store/types.ts";
import { defineTool } from "./definition.ts";
import { refused, success, withReminder } from "./results.ts";
import { READ_ONLY, sessionArg } from "./schemas.ts";

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

const ShelfEntrySchema = z.object({
  shelvedAt: z.string().optional(),
  readAt: z.string().optional(),
});

const articleId = z.string().min(1).max(32).describe("Article id, e.g. a7");

/** The library tools. */
export const domainTools = [
  defineTool({
    name: "domain_search",
    title: "Search the library",
    description:
      "Full-text search of the Reading Room's articles, best matches first, each with a " +
      "snippet where matched words are marked «like this». Use plain words; quotes for a phrase, " +
      "-word to exclude, OR for alternatives. An empty query lists the subjects the library covers. " +
      "Recommend only articles found here.",
    inputSchema: z.object({
      session: sessionArg,
      query: z.string().max(QUERY_MAX).describe("Words to look for (at most 500 characters)"),
      limit: z.number().int().min(1).max(20).optional().describe(
        "How many results, 1-20 (default 5)",
      ),
    }).strict(),
    outputSchema: withReminder({
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
      hint: z.string().optional(),
    }),
    annotations: READ_ONLY,
    gated: true,
    run: async ({ query, limit }, { deps }) => {
      const words = query.trim();
      const results = words === "" ? [] : await deps.store.searchArticles(words, limit ?? 5);
      if (results.length > 0) {
        const lines = results.map((r, i) =>
          `${i + 1}. [${r.id}] ${r.title} — ${r.author}\n   ${r.snippet}`
        );
        return success(
          { query: words, results },
          `Found ${results.length} for "${words}":\n${
            lines.join("\n")
          }\nOpen one with domain_get_item.`,
        );
      }
      const overview = await deps.store.catalogOverview();
      const subjects = overview.tags.slice(0, 12);
      const hint = words === ""
        ? "No query given. Ask the person what they would like to read about, or search one of these subjects."
        : `Nothing in the library matches "${words}". Try fewer or simpler words, or one of these subjects.`;
      const list = subjects.map((s) => `${s.tag} (${s.count})`).join(", ");
      return success(
        { query: words, results: [], subjects, hint },
        `${hint}\nThe library has ${overview.articleCount} articles on: ${list}.`,
      );
    },
  }),

  defineTool({
    name: "domain_get_item",
    title: "Read an article",
    description: "Returns one whole article of the library by its id (like a7), as found by " +
      "domain_search. Quote and summarise from this text rather than from memory.",
    inputSchema: z.object({ session: sessionArg, id: articleId }).strict(),
    outputSchema: withReminder({ article: ArticleSchema }),
    annotations: READ_ONLY,
    gated: true,
    run: async ({ id }, { deps }) => {
      const article = await deps.store.getArticle(id);
      if (!article) return notFound(id);
      return success({ article }, renderArticle(article));
    },
  }),

  defineTool({
    name: "domain_do_action",
    title: "Shelve, unshelve or mark an article read",
    description: "Changes the reader's shelf: `shelve` saves an article for later, `unshelve` " +
      "removes it from the shelf, `mark_read` records that the reader finished it. The shelf is " +
      "part of the reader's saved state (under `shelf`) and comes back in every new begin_session.",
    inputSchema: z.object({
      session: sessionArg,
      action: z.enum(["shelve", "unshelve", "mark_read"]),
      id: articleId,
    }).strict(),
    outputSchema: withReminder({
      action: z.enum(["shelve", "unshelve", "mark_read"]),
      id: z.string(),
      title: z.string(),
      shelfEntry: ShelfEntrySchema.nullable().describe(
        "The article's shelf entry now; null if off the shelf",
      ),
      version: z.number().int().describe("The state version after the change"),
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    gated: true,
    run: async ({ action, id }, { deps, identity }) => {
      const article = await deps.store.getArticle(id);
      if (!article) return notFound(id);
      const now = new Date().toISOString();
      const entry = action === "unshelve"
        ? null
        : action === "shelve"
        ? { shelvedAt: now }
        : { readAt: now };
      const result = await deps.store.savePatch(identity.sub, { shelf: { [id]: entry } }, {
        maxBytes: deps.stateMaxBytes,
      });
      if (result.outcome !== "saved") {
        return refused(
          `the reader's saved state is full (limit ${deps.stateMaxBytes} bytes); remove something with user_save_state first.`,
        );
      }
      const shelf = (result.saved.state.shelf ?? {}) as Record<
        string,
        z.infer<typeof ShelfEntrySchema>
      >;
      const verb =
        { shelve: "Shelved", unshelve: "Took off the shelf", mark_read: "Marked as read" }[action];
      return success(
        {
          action,
          id,
          title: article.title,
          shelfEntry: shelf[id] ?? null,
          version: result.saved.version,
        },
        `${verb}: [${id}] ${article.title}.`,
      );
    },
  }),
];

function notFound(id: string) {
  return refused(`there is no article with id "${id}". Find ids with domain_search.`);
}

function renderArticle(a: Article): string {
  return [
    `[${a.id}] ${a.title}`,
    `by ${a.author}${a.published ? `, ${a.published}` : ""} · ${a.tags.join(", ")}`,
    "",
    ...a.body,
  ].join("\n");
}
