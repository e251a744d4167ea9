/**
 * The Reading Room's store on both backends, over a small fixture catalog. (Its migrations forward
 * from the kit's schema before packs are the kit's test: `tests/store/pre_pack_schema_test.ts`.)
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { SqlClient } from "../../pack/mod.ts";
import { BACKENDS, openTestDatabase } from "../../pack/testing.ts";
import { writeArticles } from "./catalog.ts";
import { FIXTURE_ARTICLES } from "./fixture_articles.ts";
import { readingRoomPack } from "./pack.ts";
import { createReadingRoomStore } from "./store.ts";

for (const backend of BACKENDS) {
  Deno.test(`reading room store: ${backend}`, async (t) => {
    await using database = await openTestDatabase(readingRoomPack, {
      backend,
      seed: (tx) => writeArticles(tx, FIXTURE_ARTICLES),
    });
    await runStoreSteps(t, database.sql, () => database.addPerson());
  });
}

async function runStoreSteps(
  t: Deno.TestContext,
  sql: SqlClient,
  person: () => Promise<string>,
): Promise<void> {
  const store = createReadingRoomStore(sql, FIXTURE_ARTICLES);

  await t.step("search ranks by relevance and highlights matches", async () => {
    const hits = await store.searchArticles("fermentation", 10);
    assertEquals(hits.map((h) => h.id), ["a1", "a2"]);
    assert(hits[0].rank > hits[1].rank);
    assertStringIncludes(hits[0].snippet, "«");
    assertEquals((await store.searchArticles("sourdough yeast", 1)).map((h) => h.id), ["a1"]);
    assertEquals((await store.searchArticles('"night sky" -compost', 10)).map((h) => h.id), ["a3"]);
    assertEquals((await store.searchArticles("Marlow", 10)).length, 2);
  });

  await t.step("junk queries find nothing instead of failing", async () => {
    for (const junk of ["!!!", "the and of", "zzqxjv", "'); DROP TABLE articles; --", "a & | !"]) {
      assertEquals(await store.searchArticles(junk, 10), []);
    }
  });

  await t.step("runs of minus signs are a query, not a database failure", async () => {
    // PostgreSQL's parser overflowed its stack on 33 stray operators ("tsquery stack too small").
    for (const q of ["-".repeat(40), "- ".repeat(250), "-!".repeat(250), "-(".repeat(250)]) {
      assertEquals(await store.searchArticles(q, 10), [], JSON.stringify(q.slice(0, 6)));
    }
    assertEquals(
      await store.searchArticles("-".repeat(60) + "compost", 10),
      await store.searchArticles("-compost", 10),
    );
    const nightSky = await store.searchArticles(`"night sky" ---compost ${"- ".repeat(40)}`, 10);
    assertEquals(nightSky.map((h) => h.id), ["a3"]);
    assertEquals((await store.searchArticles("fermentation --- -", 10)).length, 2);
  });

  await t.step("getArticle returns the whole article, null for unknown ids", async () => {
    const article = await store.getArticle("a1");
    assertEquals(article?.title, "Sourdough starters and wild yeast");
    assertEquals(article?.body.length, 2);
    assertEquals(article?.published, "2024-03-01");
    assertEquals((await store.getArticle("a3"))?.published, null);
    assertEquals(await store.getArticle("a999"), null);
  });

  await t.step("catalogOverview counts articles and tags", async () => {
    const overview = await store.catalogOverview();
    assertEquals(overview.articleCount, 3);
    assertEquals(overview.tags.length, 5);
    assert(overview.tags.every((t) => t.count === 1));
  });

  await t.step(
    "a shelf: shelve, mark read, unshelve; unknown articles change nothing",
    async () => {
      const sub = await person();
      assertEquals(await store.getShelf(sub), {});
      const shelved = await store.changeShelf(sub, "shelve", "a1");
      assertEquals(shelved?.title, "Sourdough starters and wild yeast");
      assert(shelved?.entry?.shelvedAt && !shelved.entry.readAt);
      const read = await store.changeShelf(sub, "mark_read", "a1");
      assert(read?.entry?.shelvedAt && read.entry.readAt, "marking read keeps the shelving time");
      await store.changeShelf(sub, "mark_read", "a3");
      assertEquals(Object.keys(await store.getShelf(sub)).sort(), ["a1", "a3"]);
      assertEquals(await store.changeShelf(sub, "shelve", "a999"), undefined);
      const off = await store.changeShelf(sub, "unshelve", "a1");
      assertEquals(off, { title: "Sourdough starters and wild yeast", entry: null });
      assertEquals(Object.keys(await store.getShelf(sub)), ["a3"]);
      assertEquals(await store.changeShelf(sub, "unshelve", "a999"), undefined);
    },
  );

  await t.step("readers never see each other's shelves", async () => {
    const [a, b] = [await person(), await person()];
    await store.changeShelf(a, "shelve", "a2");
    assertEquals(await store.getShelf(b), {});
  });

  await t.step("20 concurrent shelf changes for one reader all land", async () => {
    const sub = await person();
    await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) => store.changeShelf(sub, i % 2 ? "mark_read" : "shelve", ["a1", "a2", "a3"][i % 3]),
      ),
    );
    assertEquals(Object.keys(await store.getShelf(sub)).sort(), ["a1", "a2", "a3"]);
  });
}
