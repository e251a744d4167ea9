/**
 * The kit speaks of no pack: its words come from the selected pack's brand. This walks every file
 * of the kit (everything under `src/` but `src/domains/`) for the shipped packs' own words.
 *
 * @module
 */
import { assertEquals } from "@std/assert";

const PACK_WORDS = /reading room|librar|article|shelf|venue|booking|reservation|willowbank/i;
const SRC = new URL("../../src/", import.meta.url);

async function* kitFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory && url.href !== new URL("domains/", SRC).href) yield* kitFiles(url);
    else if (entry.isFile && entry.name.endsWith(".ts")) yield url;
  }
}

Deno.test("no pack's words in the kit", async () => {
  const found: string[] = [];
  for await (const file of kitFiles(SRC)) {
    (await Deno.readTextFile(file)).split("\n").forEach((line, i) => {
      if (PACK_WORDS.test(line)) found.push(`${file.pathname.split("/src/")[1]}:${i + 1}: ${line}`);
    });
  }
  assertEquals(found, []);
});
