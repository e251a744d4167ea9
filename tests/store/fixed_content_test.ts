/**
 * A pack's fixed content: loaded once, frozen, hashed; copied into the database only when the
 * hash is new to it, inside the preparation transaction (so a failed copy records nothing).
 *
 * @module
 */
import { assert, assertEquals, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import { libraryContent, writeArticles } from "../../src/domains/reading_room/catalog.ts";
import { READING_ROOM_MIGRATIONS } from "../../src/domains/reading_room/migrations.ts";
import { createReadingRoomStore } from "../../src/domains/reading_room/store.ts";
import { loadFixedContent } from "../../src/pack/fixed_content.ts";
import { databaseOver } from "../../src/store/database.ts";
import type { SqlTransaction } from "../../src/store/types.ts";
import { createTestDatabase } from "../helpers/postgres.ts";
import { FIXTURE_ARTICLES } from "../../src/domains/reading_room/fixture_articles.ts";

Deno.test("loaded content is frozen all the way down and hashed by its JSON", async () => {
  const source = { load: () => Promise.resolve({ list: [{ name: "a" }] }), seed: async () => {} };
  const loaded = await loadFixedContent(source);
  assertThrows(() => (loaded.value.list[0] as { name: string }).name = "changed", TypeError);
  assertThrows(() => loaded.value.list.push({ name: "b" }), TypeError);
  assertEquals((await loadFixedContent(source)).hash, loaded.hash, "same content, same hash");
  assertEquals(loaded.hash.length, 64);
  const other = await loadFixedContent({
    load: () => Promise.resolve({ list: [{ name: "b" }] }),
    seed: async () => {},
  });
  assertNotEquals(other.hash, loaded.hash);
});

Deno.test("the shipped library loads, and a broken file stops the start naming the problem", async () => {
  const library = await loadFixedContent(libraryContent());
  assert(library.value.length >= 10);
  const broken = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(broken, JSON.stringify([{ id: "a1", title: "" }]));
    await assertRejects(
      () => loadFixedContent(libraryContent(new URL(`file://${broken}`))),
      Error,
      "articles.json: 0.title",
    );
  } finally {
    await Deno.remove(broken);
  }
});

Deno.test("the database takes a copy only when the content's hash is new to it", async (t) => {
  await using db = await createTestDatabase();
  const seeded: string[] = [];
  const open = (hash: string, articles = FIXTURE_ARTICLES, fail = false) =>
    databaseOver(db.connect(), {
      namespace: "reading_room",
      migrations: READING_ROOM_MIGRATIONS,
      content: {
        hash,
        seed: async (tx: SqlTransaction) => {
          seeded.push(hash);
          await writeArticles(tx, articles);
          if (fail) throw new Error("copy failed half way");
        },
      },
    }, 10_000);
  const recorded = async () =>
    (await db.connect().query<{ hash: string }>(
      "SELECT hash FROM kit_content WHERE namespace = 'reading_room'",
    )).map((r) => r.hash);

  await t.step("first start copies; later starts with the same content do not", async () => {
    for (let i = 0; i < 3; i++) {
      const database = open("h1");
      await database.ping();
      await database.close();
    }
    assertEquals(seeded, ["h1"]);
    assertEquals(await recorded(), ["h1"]);
  });

  await t.step("two instances starting together copy once", async () => {
    const [a, b] = [open("h2"), open("h2")];
    await Promise.all([a.ping(), b.ping()]);
    await Promise.all([a.close(), b.close()]);
    assertEquals(seeded, ["h1", "h2"]);
  });

  await t.step("a failed copy records nothing and leaves the old copy whole", async () => {
    const fewer = FIXTURE_ARTICLES.slice(0, 1);
    const database = open("h3", fewer, true);
    await assertRejects(() => database.ping());
    await database.close();
    assertEquals(await recorded(), ["h2"]);
    const count = await db.connect().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM reading_room_articles",
    );
    assertEquals(count[0].n, FIXTURE_ARTICLES.length);
  });

  await t.step("new content replaces the copy: gone articles are no longer found", async () => {
    const fewer = FIXTURE_ARTICLES.filter((a) => a.id !== "a2");
    const database = open("h4", fewer);
    try {
      const store = createReadingRoomStore(database.sql, fewer);
      assertEquals((await store.searchArticles("fermentation", 10)).map((h) => h.id), ["a1"]);
      assertEquals(await store.getArticle("a2"), null);
      assertEquals((await store.catalogOverview()).articleCount, fewer.length);
    } finally {
      await database.close();
    }
    assertEquals(await recorded(), ["h4"]);
  });
});
