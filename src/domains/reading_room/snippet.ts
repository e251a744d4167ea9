/**
 * Search snippets made here instead of by `ts_headline` in every search: `ts_headline` parses and
 * stems each hit's whole text again on every query, which was most of a search's cost. Each
 * article's words and their lexemes are asked of PostgreSQL once (`ts_debug`, the same parser
 * and dictionary the search column uses) and kept; a search then only names the lexemes its query
 * holds, and the snippet marks the words whose lexeme is one of them — what `ts_headline` marks
 * (negated words included, as there) — in up to two passages of at most 30 words.
 *
 * @module
 */
import type { SqlClient } from "../../pack/mod.ts";

/** One token of an article's searchable text: its characters and whether it is a word. */
export interface Token {
  text: string;
  /** The word's lexemes (empty for a stop word); `undefined` for spaces and punctuation. */
  lexemes?: readonly string[];
}

/** How a snippet is cut: as `ts_headline` was asked to (MaxWords, MinWords, MaxFragments). */
export const SNIPPET = { maxWords: 30, minWords: 12, maxPassages: 2, delimiter: " … " };

/**
 * A query's operands from its `tsquery` text (`'night' <-> 'sky' & !'compost'`), negated ones
 * too: each is a word, or a phrase of words at set distances (`<->` is 1, `<2>` is 2).
 */
export type QueryTerms = { lexeme: string; distance: number }[][];

/** Reads the operands of a `tsquery`'s text (see {@linkcode QueryTerms}). */
export function queryTerms(tsquery: string): QueryTerms {
  const terms: QueryTerms = [];
  let distance: number | undefined;
  for (const match of tsquery.matchAll(/'((?:[^']|'')*)'(?::\*?[A-D]*)?|<(-|\d+)>|[&|!()]/g)) {
    if (match[1] !== undefined) {
      const lexeme = match[1].replaceAll("''", "'");
      if (distance !== undefined && terms.length > 0) terms.at(-1)!.push({ lexeme, distance });
      else terms.push([{ lexeme, distance: 0 }]);
      distance = undefined;
    } else if (match[2] !== undefined) distance = match[2] === "-" ? 1 : Number(match[2]);
    else distance = undefined;
  }
  return terms;
}

/**
 * The snippet of `tokens` for a query's terms: the words it matches (a lone word wherever it
 * stands, a phrase only where its words stand at its distances) between « and ».
 */
export function snippetOf(tokens: readonly Token[], terms: QueryTerms): string {
  const words: number[] = [];
  tokens.forEach((token, i) => {
    if (token.lexemes !== undefined) words.push(i);
  });
  const has = (w: number, lexeme: string) =>
    w < words.length && tokens[words[w]].lexemes!.includes(lexeme);
  const hit = new Set<number>();
  for (let w = 0; w < words.length; w++) {
    for (const term of terms) {
      let at = w;
      const places: number[] = [];
      for (const { lexeme, distance } of term) {
        at += distance;
        if (!has(at, lexeme)) break;
        places.push(at);
      }
      if (places.length === term.length) places.forEach((p) => hit.add(p));
    }
  }
  // Marks sit on words with text (a hyphenated word's whole form is kept without text, for
  // positions only).
  const matched = [...hit].filter((w) => tokens[words[w]].text !== "").sort((a, b) => a - b);
  const passages: [number, number][] = [];
  let next = 0;
  while (passages.length < SNIPPET.maxPassages && next < matched.length) {
    // A passage opens a few words before its first match and takes in every match that fits.
    const start = Math.max(0, matched[next] - 4);
    let last = matched[next];
    while (next < matched.length && matched[next] < start + SNIPPET.maxWords) {
      last = matched[next++];
    }
    const end = Math.min(
      words.length - 1,
      start + SNIPPET.maxWords - 1,
      Math.max(last + 4, start + SNIPPET.minWords - 1),
    );
    passages.push([start, end]);
    while (next < matched.length && matched[next] <= end) next++;
  }
  if (words.length === 0) return "";
  if (passages.length === 0) passages.push([0, Math.min(words.length, SNIPPET.minWords) - 1]);
  return passages.map(([start, end]) => {
    let text = "";
    for (let w = start; w <= end; w++) {
      const from = words[w];
      const to = w + 1 < words.length ? words[w + 1] : tokens.length;
      for (let i = from; i < to; i++) {
        const token = tokens[i];
        if (w === end && i > from) break;
        text += i === from && hit.has(w) && token.text !== "" ? `«${token.text}»` : token.text;
      }
    }
    return text.trim();
  }).join(SNIPPET.delimiter);
}

/** Token types the parser gives whole and then again in parts. */
const WHOLE_BEFORE_PARTS = new Set(["asciihword", "hword", "numhword", "url"]);

/**
 * Each article's tokens, asked of the database the first time the article is a hit and kept while
 * they fit in `budget` tokens in all (an article a search uses moves to the back of the line; past
 * the budget the longest unused go, and are asked for again when next needed).
 */
export function articleTokens(sql: SqlClient, budget = 500_000) {
  const kept = new Map<string, readonly Token[]>();
  let size = 0;
  return async (ids: readonly string[]): Promise<Map<string, readonly Token[]>> => {
    const found = new Map<string, readonly Token[]>();
    for (const id of ids) {
      const tokens = kept.get(id);
      if (tokens === undefined) continue;
      found.set(id, tokens);
      kept.delete(id);
      kept.set(id, tokens);
    }
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      const rows = await sql.query<
        { id: string; alias: string; token: string; lexemes: string[] | null }
      >(
        `SELECT a.id, d.alias, d.token, d.lexemes
           FROM reading_room_articles a,
                ts_debug('english', a.summary || ' ' || a.body) WITH ORDINALITY
                  AS d(alias, description, token, dictionaries, dictionary, lexemes, n)
          WHERE a.id = ANY($1::text[])
          ORDER BY a.id, d.n`,
        [missing],
      );
      const byId = new Map<string, Token[]>(missing.map((id) => [id, []]));
      for (const row of rows) {
        // A hyphenated word or a URL comes whole and then in its parts: the parts are the text,
        // and the whole keeps its place among the words (phrases count it) without text.
        const text = WHOLE_BEFORE_PARTS.has(row.alias) ? "" : row.token;
        byId.get(row.id)?.push(
          row.alias === "blank" ? { text } : { text, lexemes: row.lexemes ?? [] },
        );
      }
      for (const [id, tokens] of byId) {
        found.set(id, tokens);
        if (kept.has(id)) continue;
        kept.set(id, tokens);
        size += tokens.length;
      }
      for (const [id, tokens] of kept) {
        if (size <= budget) break;
        kept.delete(id);
        size -= tokens.length;
      }
    }
    return found;
  };
}
