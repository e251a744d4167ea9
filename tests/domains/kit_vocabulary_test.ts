/**
 * The kit speaks of no pack: its words come from the selected pack's brand. This walks every file
 * of the kit (everything under `src/` but `src/domains/`, `main.ts` and `scripts/`) for the shipped
 * packs' own words, spaced, hyphenated, joined or abbreviated.
 *
 * @module
 */
import { assertEquals } from "@std/assert";

const PACK_WORDS =
  /reading[-_ ]?room|librar|article|shelf|venue|booking|reservation|willowbank|\bwbk?\b/i;

/**
 * The default pack's name on the wire (`reading-room:…`, `rr_…`, `rr-…`, `rrt_…`): the kit's own
 * token types, claims, cookies and ids name no pack either.
 */
const WIRE_WORDS = /reading[-_]room|\brr[-_t]/i;

/**
 * Where the earlier wire names must stay, each for a reason: what was issued under them is still
 * read (one file, `compat/earlier_names.ts`, with how long each is kept).
 */
const EARLIER_NAMES: [file: string, text: string][] = [
  ["compat/earlier_names.ts", '"rr'],
];
const ROOT = new URL("../../", import.meta.url);
const SRC = new URL("src/", ROOT);

async function* kitFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory && url.href !== new URL("domains/", SRC).href) yield* kitFiles(url);
    else if (entry.isFile && entry.name.endsWith(".ts")) yield url;
  }
}

Deno.test("no pack's words in the kit, nor the default pack's name on its wire", async () => {
  const found: string[] = [];
  const files = [new URL("main.ts", ROOT)];
  for await (const file of kitFiles(SRC)) files.push(file);
  for await (const file of kitFiles(new URL("scripts/", ROOT))) files.push(file);
  for (const file of files) {
    (await Deno.readTextFile(file)).split("\n").forEach((line, i) => {
      const path = file.pathname.slice(ROOT.pathname.length).replace(/^src\//, "");
      const earlier = EARLIER_NAMES.some(([f, text]) => path === f && line.includes(text));
      if ((PACK_WORDS.test(line) || WIRE_WORDS.test(line)) && !earlier) {
        found.push(`${path}:${i + 1}: ${line}`);
      }
    });
  }
  assertEquals(found, []);
});
