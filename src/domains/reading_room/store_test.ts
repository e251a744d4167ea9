/**
 * The Reading Room's store on both backends, and its migrations forward from a database made
 * before packs existed.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { writeArticles } from "./catalog.ts";
import { READING_ROOM_MIGRATIONS } from "./migrations.ts";
import { createReadingRoomStore } from "./store.ts";
import { type Database, databaseOver } from "../../store/database.ts";
import { openPglite } from "../../store/pglite.ts";
import type { SqlTransaction } from "../../pack/mod.ts";
import { createTestDatabase } from "../../../tests/helpers/postgres.ts";
import { FIXTURE_ARTICLES } from "../../../tests/domains/reading_room/fixture_articles.ts";

const SCHEMA = {
  namespace: "reading_room",
  migrations: READING_ROOM_MIGRATIONS,
  content: { hash: "fixture", seed: (tx: SqlTransaction) => writeArticles(tx, FIXTURE_ARTICLES) },
};

async function runStoreSteps(t: Deno.TestContext, database: Database): Promise<void> {
  const store = createReadingRoomStore(database.sql, FIXTURE_ARTICLES);
  const person = async () => {
    const sub = `reader-${crypto.randomUUID()}`;
    await database.users.beginSession({ sub });
    return sub;
  };

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

Deno.test("reading room store: PostgreSQL through the Neon driver", async (t) => {
  await using db = await createTestDatabase();
  const database = databaseOver(db.connect(), SCHEMA, 10_000);
  try {
    await runStoreSteps(t, database);
  } finally {
    await database.close();
  }
});

Deno.test("reading room store: embedded PGlite", async (t) => {
  const database = databaseOver(await openPglite(), SCHEMA, 10_000);
  try {
    await runStoreSteps(t, database);
  } finally {
    await database.close();
  }
});

const LEGACY_SCHEMA = await Deno.readTextFile(
  new URL("../../../tests/fixtures/legacy_schema.sql", import.meta.url),
);

Deno.test("a database made before packs opens under the packs with every shelf in its table", async () => {
  await using db = await createTestDatabase();
  const raw = db.connect();
  // The old schema, an article, and readers whose shelves live in their saved state.
  await raw.transaction((tx) => tx.exec(LEGACY_SCHEMA));
  await raw.query(
    `INSERT INTO articles (id, title, author, tags, summary, body)
     VALUES ('a1', 'Old title', 'Someone', '{old}', '', 'Old body')`,
  );
  const legacy = async (id: string, state: unknown, version: number) => {
    await raw.query("INSERT INTO users (id, email) VALUES ($1, $2)", [id, `${id}@example.com`]);
    await raw.query(
      "INSERT INTO user_state (user_id, state, version) VALUES ($1, $2::jsonb, $3)",
      [id, JSON.stringify(state), version],
    );
  };
  await legacy("ann", {
    shelf: {
      a1: { shelvedAt: "2025-01-02T03:04:05.000Z", readAt: "2025-02-03T04:05:06.000Z" },
      a2: { shelvedAt: "2025-03-04T05:06:07.000Z" },
      a9: { shelvedAt: "not a time" },
      a8: "not an entry",
    },
    preferences: { length: "short" },
  }, 7);
  await legacy("bo", { shelf: "a string I asked to keep", note: 1 }, 2);
  await legacy("cy", { note: "no shelf" }, 1);

  const database = databaseOver(raw, SCHEMA, 10_000);
  try {
    await database.ping();
    const store = createReadingRoomStore(database.sql, FIXTURE_ARTICLES);
    const shelf = await store.getShelf("ann");
    assertEquals(Object.keys(shelf).sort(), ["a1", "a2"], "readable entries carried over");
    assertEquals(shelf.a1.shelvedAt, "2025-01-02T03:04:05.000Z");
    assertEquals(shelf.a1.readAt, "2025-02-03T04:05:06.000Z");
    assertEquals(shelf.a2.shelvedAt, "2025-03-04T05:06:07.000Z");

    const ann = await database.users.getUser("ann");
    assertEquals(
      ann?.saved.state,
      { preferences: { length: "short" } },
      "the shelf left the state",
    );
    assertEquals(ann?.saved.version, 8, "moving it is a new version");
    const bo = await database.users.getUser("bo");
    assertEquals(bo?.saved.state, { shelf: "a string I asked to keep", note: 1 });
    assertEquals(bo?.saved.version, 2, "a state without a shelf object is left alone");
    assertEquals((await database.users.getUser("cy"))?.saved.version, 1);

    // The catalog kept its table under its new name and took the content; search works on it.
    assertEquals((await store.getArticle("a1"))?.title, "Sourdough starters and wild yeast");
    assertEquals((await store.searchArticles("fermentation", 5)).length, 2);
    // The kit's functions work on the old rows; the old ones are gone.
    const saved = await database.users.savePatch("ann", { more: true }, {
      maxBytes: 65_536,
      write: { tool: "test" },
    });
    assertEquals(saved.outcome, "saved");
    const old = await raw.query("SELECT 1 FROM pg_proc WHERE proname = 'rr_save_state'");
    assertEquals(old.length, 0);
    const recorded = await raw.query<{ namespace: string; version: number }>(
      "SELECT namespace, version FROM kit_migrations ORDER BY namespace, version",
    );
    assertEquals(recorded.map((r) => `${r.namespace}:${r.version}`), [
      "core:1",
      "core:2",
      "core:3",
      "reading_room:1",
      "reading_room:2",
      "reading_room:3",
    ]);
    // Opening again changes nothing more.
    const again = databaseOver(db.connect(), SCHEMA, 10_000);
    await again.ping();
    assertEquals(
      Object.keys(await createReadingRoomStore(again.sql, FIXTURE_ARTICLES).getShelf("ann")).length,
      2,
    );
    await again.close();
  } finally {
    await database.close();
  }
});
