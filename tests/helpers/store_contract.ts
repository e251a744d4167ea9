/**
 * The kit's store contract: one suite every backend must pass. Each backend's test file calls
 * {@linkcode runStoreContract} with a fresh, empty database.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import type { Database } from "../../src/store/database.ts";

const MAX = 64 * 1024;
/** Who writes in these tests. */
const W = { tool: "contract", clientId: "tests" };

/** Runs the contract as steps of `t` against `database`. */
export async function runStoreContract(t: Deno.TestContext, database: Database): Promise<void> {
  const store = database.users;
  const reader = () => `reader-${crypto.randomUUID()}`;

  await t.step("ping answers once the schema is ready", async () => {
    await database.ping();
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
    assertEquals(await store.getUser(sub), null);
    await store.beginSession({ sub });
    assertEquals((await store.getUser(sub))?.profile.id, sub);
  });

  await t.step("savePatch applies RFC 7396 merge patches", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    let r = await store.savePatch(sub, { a: { b: 1, c: 2 }, list: [1, 2], keep: "x" }, {
      maxBytes: MAX,
      write: W,
    });
    assertEquals(r.outcome, "saved");
    r = await store.savePatch(sub, { a: { b: null, d: { e: true } }, list: [3], keep: null }, {
      maxBytes: MAX,
      write: W,
    });
    assert(r.outcome === "saved");
    assertEquals(r.saved.state, { a: { c: 2, d: { e: true } }, list: [3] });
    assertEquals(r.saved.version, 2);
    r = await store.savePatch(sub, { a: "scalar replaces object" }, { maxBytes: MAX, write: W });
    assert(r.outcome === "saved");
    assertEquals(r.saved.state.a, "scalar replaces object");
  });

  await t.step("RFC 7396 edge cases (the RFC's appendix A, under one key)", async () => {
    // [target, patch, result]; `undefined` result: the key is removed. The appendix's
    // {"e":null} target is left out: no merge patch can store a null member.
    const cases: [unknown, unknown, unknown][] = [
      [{ a: "b" }, { a: "c" }, { a: "c" }],
      [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
      [{ a: "b" }, { a: null }, {}],
      [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
      [{ a: ["b"] }, { a: "c" }, { a: "c" }],
      [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
      [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
      [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
      [["a", "b"], ["c", "d"], ["c", "d"]],
      [{ a: "b" }, ["c"], ["c"]],
      [{ a: "foo" }, null, undefined],
      [{ a: "foo" }, "bar", "bar"],
      [[1, 2], { a: "b", c: null }, { a: "b" }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
      // And ours: null removes a whole nested object, nulls inside arrays are kept, an object
      // replaces a scalar, a null for an absent key changes nothing, an empty patch is a no-op.
      [{ a: { b: { c: 1 } }, d: 1 }, { a: null }, { d: 1 }],
      [{ a: 1 }, { list: [null, { x: null }] }, { a: 1, list: [null, { x: null }] }],
      [{ a: "scalar" }, { a: { b: 1 } }, { a: { b: 1 } }],
      [{ a: 1 }, { missing: null }, { a: 1 }],
      [{ a: { b: 1 } }, {}, { a: { b: 1 } }],
    ];
    for (const [target, patch, result] of cases) {
      const sub = reader();
      await store.beginSession({ sub });
      const before = await store.savePatch(sub, { v: target }, { maxBytes: MAX, write: W });
      assert(before.outcome === "saved");
      assertEquals(before.saved.state, { v: target });
      const after = await store.savePatch(sub, { v: patch }, { maxBytes: MAX, write: W });
      assert(after.outcome === "saved");
      assertEquals(
        after.saved.state,
        result === undefined ? {} : { v: result },
        `${JSON.stringify(target)} + ${JSON.stringify(patch)}`,
      );
      assertEquals((await store.getUser(sub))?.saved.state, after.saved.state);
    }
  });

  await t.step("a patch 32 levels deep merges at every level", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    const nest = (depth: number, leaf: Record<string, unknown>): Record<string, unknown> =>
      depth === 0 ? leaf : { [`l${depth}`]: nest(depth - 1, leaf), [`keep${depth}`]: depth };
    await store.savePatch(sub, nest(32, { old: 1, gone: true }), { maxBytes: MAX, write: W });
    const r = await store.savePatch(sub, nest(32, { gone: null, added: "deep" }), {
      maxBytes: MAX,
      write: W,
    });
    assert(r.outcome === "saved");
    assertEquals(r.saved.state, nest(32, { old: 1, added: "deep" }));
  });

  await t.step("a 32,000-key patch merges correctly, in linear time", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    const keys = Array.from({ length: 32_000 }, (_, i) => `key${i}`);
    const maxBytes = 4 * 1024 * 1024;
    let started = performance.now();
    const first = await store.savePatch(
      sub,
      Object.fromEntries(keys.map((k, i) => [k, i])),
      { maxBytes, write: W },
    );
    const firstMs = performance.now() - started;
    assert(first.outcome === "saved");
    assertEquals(Object.keys(first.saved.state).length, 32_000);
    // Every other key removed, the rest changed: both halves of the merge at full width.
    started = performance.now();
    const second = await store.savePatch(
      sub,
      Object.fromEntries(keys.map((k, i) => [k, i % 2 ? null : { was: i }])),
      { maxBytes, write: W },
    );
    const secondMs = performance.now() - started;
    assert(second.outcome === "saved");
    assertEquals(
      second.saved.state,
      Object.fromEntries(
        keys.filter((_, i) => i % 2 === 0).map((k) => [k, { was: Number(k.slice(3)) }]),
      ),
    );
    // A sanity bound only, loose enough for a loaded machine (the quadratic merge took minutes
    // here); the numbers are in bench/merge_patch.ts.
    assert(firstMs < 10_000 && secondMs < 10_000, `took ${firstMs} ms and ${secondMs} ms`);
  });

  await t.step("expected_version: a stale write is refused with the current version", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    const first = await store.savePatch(sub, { n: 1 }, {
      expectedVersion: 0,
      maxBytes: MAX,
      write: W,
    });
    assertEquals(first.outcome, "saved");
    const stale = await store.savePatch(sub, { n: 2 }, {
      expectedVersion: 0,
      maxBytes: MAX,
      write: W,
    });
    assert(stale.outcome === "version_conflict");
    assertEquals(stale.current.version, 1);
    assertEquals(stale.current.state, { n: 1 });
  });

  await t.step("state over the cap is refused and nothing changes", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    await store.savePatch(sub, { small: true }, { maxBytes: MAX, write: W });
    const big = await store.savePatch(sub, { blob: "x".repeat(2000) }, {
      maxBytes: 1024,
      write: W,
    });
    assert(big.outcome === "too_large");
    assert(big.sizeBytes > 1024);
    assertEquals((await store.getUser(sub))?.saved.state, { small: true });
    assertEquals((await store.getUser(sub))?.saved.version, 1);
  });

  await t.step("50 concurrent patches on distinct keys all survive", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    const results = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) => store.savePatch(sub, { [`k${i}`]: i }, { maxBytes: MAX, write: W }),
      ),
    );
    assert(results.every((r) => r.outcome === "saved"));
    const final = (await store.getUser(sub))!.saved;
    assertEquals(Object.keys(final.state).length, 50);
    assertEquals(final.version, 50);
  });

  await t.step("sessions starting while saves run for the same person: all succeed", async () => {
    // One person, two chats: one keeps saving while the other starts sessions. The start and the
    // save must lock the person's rows in one order, or the database breaks a deadlock (after a
    // second) by failing one of them.
    const sub = reader();
    await store.beginSession({ sub });
    const started = performance.now();
    const results = await Promise.allSettled(
      Array.from(
        { length: 40 },
        (_, i) =>
          i % 2 === 0
            ? store.savePatch(sub, { [`k${i}`]: i }, { maxBytes: MAX, write: W })
            : store.beginSession({ sub }),
      ),
    );
    const failed = results.filter((r) => r.status === "rejected");
    assertEquals(failed.map((r) => String((r as PromiseRejectedResult).reason)), []);
    assertEquals((await store.getUser(sub))!.saved.version, 20);
    assert(performance.now() - started < 5_000, "the calls waited on each other for seconds");
  });

  await t.step("two writers with the same expected_version: exactly one wins", async () => {
    const sub = reader();
    await store.beginSession({ sub });
    const results = await Promise.all(
      ["left", "right"].map((side) =>
        store.savePatch(sub, { side }, { expectedVersion: 0, maxBytes: MAX, write: W })
      ),
    );
    assertEquals(results.filter((r) => r.outcome === "saved").length, 1);
    assertEquals(results.filter((r) => r.outcome === "version_conflict").length, 1);
  });

  await t.step("readers never see each other's state", async () => {
    const [a, b] = [reader(), reader()];
    await store.beginSession({ sub: a });
    await store.beginSession({ sub: b });
    await store.savePatch(a, { secret: "a's" }, { maxBytes: MAX, write: W });
    assertEquals((await store.getUser(b))?.saved.state, {});
  });
}
