/**
 * Snippets made from the kept tokens against what `ts_headline` gave before, over the seed
 * library on both backends: the same hits in the same order with the same ranks, a snippet with
 * marks exactly when `ts_headline`'s had them, and every marked word one `ts_headline` marks.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import type { SqlClient } from "../../pack/mod.ts";
import { BACKENDS, openTestDatabase } from "../../pack/testing.ts";
import { loadSeedArticles } from "./catalog.ts";
import { readingRoomPack } from "./pack.ts";
import { articleTokens, queryTerms, snippetOf, type Token } from "./snippet.ts";
import { createReadingRoomStore, searchSyntax } from "./store.ts";

const ARTICLES = await loadSeedArticles();

const QUERIES = [
  "light",
  "bread",
  "garden soil",
  '"night sky"',
  "sleep -coffee",
  "history of maps",
  "e-mail",
  "slow-wave",
  "solid-state",
  "nineteenth-century",
  "iron-rich soil",
  "walking",
  "the",
  "water",
  "memory habits",
  "fermentation",
];

const marked = (text: string) =>
  new Set([...text.matchAll(/«([^»]*)»/g)].map((m) => m[1].toLowerCase()));

async function compare(sql: SqlClient): Promise<void> {
  const store = createReadingRoomStore(sql, ARTICLES);
  let hits = 0;
  let hyphenatedMarks = 0;
  for (const query of QUERIES) {
    const before = await sql.query<
      { id: string; rank: number | string; snippet: string; all: string }
    >(
      `SELECT a.id, ts_rank(a.search, q) AS rank,
              ts_headline('english', a.summary || ' ' || a.body, q,
                'StartSel=«, StopSel=», MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "') AS snippet,
              ts_headline('english', a.summary || ' ' || a.body, q, 'StartSel=«, StopSel=», HighlightAll=true') AS all
         FROM reading_room_articles a, websearch_to_tsquery('english', $1) q
        WHERE a.search @@ q
        ORDER BY rank DESC, a.id
        LIMIT 10`,
      [searchSyntax(query)],
    );
    const after = await store.searchArticles(query, 10);
    assertEquals(
      after.map((h) => [h.id, h.rank]),
      before.map((r) => [r.id, Number(r.rank)]),
      query,
    );
    for (const [i, hit] of after.entries()) {
      hits += 1;
      const old = before[i];
      assertEquals(
        marked(hit.snippet).size > 0,
        marked(old.snippet).size > 0,
        `${query}: ${hit.id}`,
      );
      if (query.includes("-") && marked(hit.snippet).size > 0) hyphenatedMarks += 1;
      const allowed = marked(old.all);
      for (const word of marked(hit.snippet)) {
        assert(allowed.has(word), `${query}: ${hit.id} marks ${word}`);
      }
      const words = hit.snippet.split(" … ").map((p) => p.split(/\s+/).length);
      assert(words.every((n) => n <= 30), `${query}: ${hit.id}: ${words}`);
    }
  }
  assert(hits > 30, `${hits} hits compared`);
  assert(hyphenatedMarks >= 3, `${hyphenatedMarks} hyphenated queries marked`);
  // The tokens are the text: nothing dropped or doubled (hyphenated words, URLs).
  const rows = await sql.query<{ id: string; text: string }>(
    "SELECT id, summary || ' ' || body AS text FROM reading_room_articles ORDER BY id",
  );
  const kept = await tokensOf(sql, rows.map((r) => r.id));
  for (const row of rows) {
    assertEquals(kept.get(row.id)!.map((t) => t.text).join(""), row.text, row.id);
  }
}

/** The tokens as the store keeps them. */
function tokensOf(sql: SqlClient, ids: string[]): Promise<Map<string, readonly Token[]>> {
  return articleTokens(sql)(ids);
}

Deno.test("snippets: a tsquery's operands, negated ones too; phrases only where they stand", () => {
  assertEquals(queryTerms("'night' <-> 'sky' & !'compost' & 'light' | 'o''neil' <2> 'x'"), [
    [{ lexeme: "night", distance: 0 }, { lexeme: "sky", distance: 1 }],
    [{ lexeme: "compost", distance: 0 }],
    [{ lexeme: "light", distance: 0 }],
    [{ lexeme: "o'neil", distance: 0 }, { lexeme: "x", distance: 2 }],
  ]);
  const tokens: Token[] = [
    { text: "Lights", lexemes: ["light"] },
    { text: " " },
    { text: "out", lexemes: [] },
    { text: ", " },
    { text: "night", lexemes: ["night"] },
    { text: " " },
    { text: "falls", lexemes: ["fall"] },
  ];
  assertEquals(snippetOf(tokens, queryTerms("'light'")), "«Lights» out, night falls");
  assertEquals(snippetOf(tokens, queryTerms("'dark'")), "Lights out, night falls");
  assertEquals(snippetOf(tokens, queryTerms("'night' <-> 'sky'")), "Lights out, night falls");
  assertEquals(snippetOf(tokens, queryTerms("'night' <-> 'fall'")), "Lights out, «night» «falls»");
});

for (const backend of BACKENDS) {
  Deno.test(`snippets match ts_headline's marks: ${backend}`, async () => {
    // The pack's own content: the seed library.
    await using database = await openTestDatabase(readingRoomPack, { backend });
    await compare(database.sql);
  });
}
