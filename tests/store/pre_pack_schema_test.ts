/**
 * A database made by the kit before packs existed (when the Reading Room was the kit) opens under
 * the packs: the core migrations take over its tables and functions, and the Reading Room's
 * migrations move every shelf out of the saved state into its own table. The kit's upgrade path,
 * so the kit's test (the pack's own store tests are beside it, `src/domains/reading_room/`).
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { writeArticles } from "../../src/domains/reading_room/catalog.ts";
import { FIXTURE_ARTICLES } from "../../src/domains/reading_room/fixture_articles.ts";
import { READING_ROOM_MIGRATIONS } from "../../src/domains/reading_room/migrations.ts";
import { createReadingRoomStore } from "../../src/domains/reading_room/store.ts";
import type { SqlTransaction } from "../../src/pack/mod.ts";
import { databaseOver } from "../../src/store/database.ts";
import { createTestDatabase } from "../helpers/postgres.ts";

const SCHEMA = {
  namespace: "reading_room",
  migrations: READING_ROOM_MIGRATIONS,
  content: { hash: "fixture", seed: (tx: SqlTransaction) => writeArticles(tx, FIXTURE_ARTICLES) },
};

const LEGACY_SCHEMA = await Deno.readTextFile(
  new URL("../fixtures/legacy_schema.sql", import.meta.url),
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
