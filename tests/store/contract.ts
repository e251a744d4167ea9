/**
 * The store contract: one suite every backend must pass. Each backend's test file calls
 * {@linkcode runStoreContract} with a factory for a fresh, empty store.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { ReadingStore } from "../../src/store/types.ts";

const MAX = 64 * 1024;

/** Runs the contract as steps of `t` against stores from `open`. */
export async function runStoreContract(t: Deno.TestContext, store: ReadingStore): Promise<void> {
  const reader = () => `reader-${crypto.randomUUID()}`;

  await t.step("ping answers once the schema is ready", async () => {
    await store.ping();
  });

  await t.step("beginSession creates a reader on first sight, with empty state", async () => {
    const sub = reader();
    const { profile, saved } = await store.beginSession({ sub, email: "r@example.com" });
    assertEquals(profile.id, sub);
    assertEquals(profile.email, "r@example.com");
    assertEquals(profile.previousVisit, null);
    assertEquals(saved.state, {});
    assertEquals(saved.version, 0);
    assert(!Number.isNaN(Date.parse(profile.memberSince)));
  });

  await t.step(
    "a second beginSession remembers the previous visit and keeps the email",
    async () => {
      const sub = reader();
      await store.beginSession({ sub, email: "first@example.com" });
      const { profile } = await store.beginSession({ sub });
      assert(profile.previousVisit !== null);
      assertEquals(profile.email, "first@example.com");
    },
  );

  await t.step("getReader is null for a stranger and matches after a session", async () => {
    const sub = reader();
    assertEquals(await store.getReader(sub), null);
    await store.beginSession({ sub });
    assertEquals((await store.getReader(sub))?.profile.id, sub);
  });

  await t.step("savePatch applies RFC 7396 merge patches", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    let r = await store.savePatch(sub, { a: { b: 1, c: 2 }, list: [1, 2], keep: "x" }, {
      maxBytes: MAX,
    });
    assertEquals(r.outcome, "saved");
    r = await store.savePatch(sub, { a: { b: null, d: { e: true } }, list: [3], keep: null }, {
      maxBytes: MAX,
    });
    assert(r.outcome === "saved");
    assertEquals(r.saved.state, { a: { c: 2, d: { e: true } }, list: [3] });
    assertEquals(r.saved.version, 2);
    r = await store.savePatch(sub, { a: "scalar replaces object" }, { maxBytes: MAX });
    assert(r.outcome === "saved");
    assertEquals(r.saved.state.a, "scalar replaces object");
  });

  await t.step("expected_version: a stale write is refused with the current version", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    const first = await store.savePatch(sub, { n: 1 }, { expectedVersion: 0, maxBytes: MAX });
    assertEquals(first.outcome, "saved");
    const stale = await store.savePatch(sub, { n: 2 }, { expectedVersion: 0, maxBytes: MAX });
    assert(stale.outcome === "version_conflict");
    assertEquals(stale.current.version, 1);
    assertEquals(stale.current.state, { n: 1 });
  });

  await t.step("state over the cap is refused and nothing changes", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    await store.savePatch(sub, { small: true }, { maxBytes: MAX });
    const big = await store.savePatch(sub, { blob: "x".repeat(2000) }, { maxBytes: 1024 });
    assert(big.outcome === "too_large");
    assert(big.sizeBytes > 1024);
    assertEquals((await store.getReader(sub))?.saved.state, { small: true });
    assertEquals((await store.getReader(sub))?.saved.version, 1);
  });

  await t.step("50 concurrent patches on distinct keys all survive", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    const results = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) => store.savePatch(sub, { [`k${i}`]: i }, { maxBytes: MAX }),
      ),
    );
    assert(results.every((r) => r.outcome === "saved"));
    const final = (await store.getReader(sub))!.saved;
    assertEquals(Object.keys(final.state).length, 50);
    assertEquals(final.version, 50);
  });

  await t.step("two writers with the same expected_version: exactly one wins", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    const results = await Promise.all(
      ["left", "right"].map((side) =>
        store.savePatch(sub, { side }, { expectedVersion: 0, maxBytes: MAX })
      ),
    );
    assertEquals(results.filter((r) => r.outcome === "saved").length, 1);
    assertEquals(results.filter((r) => r.outcome === "version_conflict").length, 1);
  });

  await t.step("readers never see each other's state", async () => {
    const [a, b] = [reader(), reader()];
    await store.beginSession({ sub: a });
    await store.beginSession({ sub: b });
    await store.savePatch(a, { secret: "a's" }, { maxBytes: MAX });
    assertEquals((await store.getReader(b))?.saved.state, {});
  });

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
}
