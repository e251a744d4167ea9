/**
 * The kit's store contract: one suite every backend must pass. Each backend's test file calls
 * {@linkcode runStoreContract} with a fresh, empty database.
 *
 * @module
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import type { Database } from "../../src/store/database.ts";
import { type SqlClient, StoreError } from "../../src/store/types.ts";

const MAX = 64 * 1024;
/** Who writes in these tests. */
const W = { tool: "contract", clientId: "tests" };

/** A value's JavaScript type, arrays element by element: `number`, `Date`, `[number,null]`. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(kindOf).join(",")}]`;
  return typeof value === "object" ? value.constructor.name : typeof value;
}

/** Each SQL expression or scalar subquery (selected `AS v`) and the JavaScript value every backend must give for it. */
const VALUES: Record<string, [sql: string, expected: unknown][]> = {
  "int8 (count(*), sum of ints) is a number": [
    ["SELECT count(*) FROM (VALUES (1), (2), (3)) AS t(x)", 3],
    ["SELECT sum(x) FROM (VALUES (1), (2)) AS t(x)", 3],
    ["9007199254740991::int8", Number.MAX_SAFE_INTEGER],
    ["-9007199254740991::int8", -Number.MAX_SAFE_INTEGER],
    ["ARRAY[1, NULL, 3]::int8[]", [1, null, 3]],
  ],
  "int2, int4, oid, float4, float8 are numbers": [
    ["7::int2", 7],
    ["(-2147483648)::int4", -2147483648],
    ["26::oid", 26],
    ["1.5::float4", 1.5],
    ["0.1::float8", 0.1],
    ["'NaN'::float8", NaN],
    ["'-Infinity'::float8", -Infinity],
    ["ARRAY[[1, 2], [3, 4]]::int4[]", [[1, 2], [3, 4]]],
    ["ARRAY[0.5, NULL]::float8[]", [0.5, null]],
    ["'{}'::int4[]", []],
  ],
  "numeric is its exact decimal text": [
    ["1.50::numeric", "1.50"],
    ["SELECT sum(x) FROM (VALUES (9007199254740993::int8)) AS t(x)", "9007199254740993"],
    ["SELECT avg(x) FROM (VALUES (1), (2)) AS t(x)", "1.5000000000000000"],
    ["ARRAY[1.5, NULL]::numeric[]", ["1.5", null]],
  ],
  "bool is a boolean": [
    ["true", true],
    ["false", false],
    ["ARRAY[true, NULL, false]", [true, null, false]],
  ],
  "json and jsonb are parsed": [
    [`'{"a": [1, {"b": null}], "c": "d"}'::jsonb`, { a: [1, { b: null }], c: "d" }],
    [`'{"z": 1, "a": 2}'::json`, { z: 1, a: 2 }],
    ["'3'::jsonb", 3],
    [`'"text"'::jsonb`, "text"],
    ["'[]'::jsonb", []],
    [`ARRAY['{"a": 1}', NULL]::jsonb[]`, [{ a: 1 }, null]],
  ],
  "timestamptz is a Date, to the millisecond": [
    ["'2024-01-02 03:04:05.678901+00'::timestamptz", new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))],
    ["'2024-01-02 03:04:05-08:00'::timestamptz", new Date(Date.UTC(2024, 0, 2, 11, 4, 5))],
    ["'0044-03-15 12:00:00+00 BC'::timestamptz", new Date("-000043-03-15T12:00:00Z")],
    ["'0099-12-31 00:00:00+00'::timestamptz", new Date("0099-12-31T00:00:00Z")],
    ["ARRAY['2024-01-02 03:04:05+00', NULL]::timestamptz[]", [
      new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
      null,
    ]],
  ],
  "date, timestamp, time and interval are PostgreSQL's text, the same on any machine": [
    ["'2024-01-02'::date", "2024-01-02"],
    ["'2024-01-02 03:04:05.678'::timestamp", "2024-01-02 03:04:05.678"],
    ["'12:34:56'::time", "12:34:56"],
    ["'1 day 2 hours'::interval", "1 day 02:00:00"],
    ["ARRAY['2024-01-02', NULL]::date[]", ["2024-01-02", null]],
  ],
  "text and other types are text; text arrays keep quoting and NULLs": [
    ["'a'::text", "a"],
    ["'00000000-0000-0000-0000-000000000001'::uuid", "00000000-0000-0000-0000-000000000001"],
    ["'(1,2)'::point", "(1,2)"],
    // An array of a type outside the table is its text (the driver has no parser for it).
    ["ARRAY['(1,1),(0,0)']::box[]", "{(1,1),(0,0)}"],
    [
      `ARRAY['plain', NULL, 'NULL', 'a,b', 'q"uote', 'back\\slash', '', '{x}']::text[]`,
      ["plain", null, "NULL", "a,b", 'q"uote', "back\\slash", "", "{x}"],
    ],
    ["ARRAY['00000000-0000-0000-0000-000000000001']::uuid[]", [
      "00000000-0000-0000-0000-000000000001",
    ]],
  ],
  "bytea is a Uint8Array": [
    ["'\\x00017fff'::bytea", new Uint8Array([0, 1, 127, 255])],
    ["''::bytea", new Uint8Array()],
    ["ARRAY['\\x01'::bytea, NULL]", [new Uint8Array([1]), null]],
  ],
  "NULL is null, whatever its type": [
    ["NULL", null],
    ["NULL::int8", null],
    ["NULL::numeric", null],
    ["NULL::jsonb", null],
    ["NULL::timestamptz", null],
    ["NULL::bytea", null],
    ["NULL::text[]", null],
  ],
};

/** Checks the values `sql` gives, by JavaScript type first (the clearer failure), then deeply. */
async function expectValues(sql: SqlClient, cases: [string, unknown][]): Promise<void> {
  for (const [expression, expected] of cases) {
    const [{ v }] = await sql.query<{ v: unknown }>(`SELECT (${expression}) AS v`);
    assertEquals(kindOf(v), kindOf(expected), `the type of ${expression}`);
    assertEquals(v, expected, expression);
  }
}

/** Runs the contract as steps of `t` against `database`. */
export async function runStoreContract(t: Deno.TestContext, database: Database): Promise<void> {
  const store = database.users;

  await t.step("SQL values are the same JavaScript values on every backend", async (t) => {
    const sql = database.sql;
    for (const [behaviour, cases] of Object.entries(VALUES)) {
      await t.step(behaviour, () => expectValues(sql, cases));
    }

    await t.step("timestamptz in any session time zone is the same instant", async () => {
      await sql.transaction(async (tx) => {
        // Offsets in minutes (+05:45) and in seconds (Amsterdam's local mean time, +00:19:32).
        await tx.query("SET LOCAL TIME ZONE 'Asia/Kathmandu'");
        const [{ v, w }] = await tx.query<{ v: Date; w: Date }>(
          "SELECT '2024-01-02 03:04:05+00'::timestamptz AS v, " +
            "'1850-01-01 00:00:00+00'::timestamptz AS w",
        );
        assertEquals(v, new Date(Date.UTC(2024, 0, 2, 3, 4, 5)));
        await tx.query("SET LOCAL TIME ZONE 'Europe/Amsterdam'");
        const [again] = await tx.query<{ w: Date }>(
          "SELECT '1850-01-01 00:00:00+00'::timestamptz AS w",
        );
        assertEquals([w, again.w], [
          new Date(Date.UTC(1850, 0, 1)),
          new Date(Date.UTC(1850, 0, 1)),
        ]);
      });
    });

    await t.step("a value no JavaScript type holds exactly fails, naming the cast", async () => {
      for (const expression of ["9007199254740992::int8", "'infinity'::timestamptz"]) {
        const error = await assertRejects(
          () => sql.query(`SELECT ${expression} AS v`),
          StoreError,
          "::text",
        ) as StoreError;
        assertEquals([error.code, error.sqlstate], ["broken", "42804"], expression);
      }
      // Inside a transaction too; it rolls back and the backend keeps serving.
      await assertRejects(
        () => sql.transaction((tx) => tx.query("SELECT ARRAY[1, 9007199254740993]::int8[] AS v")),
        StoreError,
        "::text",
      );
      await expectValues(sql, [["9007199254740993::int8::text", "9007199254740993"]]);
    });

    await t.step(
      "parameters: a Date is sent as UTC; a JSON array must be stringified",
      async () => {
        const at = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
        const [row] = await sql.query<{ instant: Date; wall: string; day: string }>(
          // One parameter each: typed timestamptz once, $1 would reach the others through the
          // server's time zone instead of as sent.
          "SELECT $1::timestamptz AS instant, $2::timestamp::text AS wall, $3::date::text AS day",
          [at, at, at],
        );
        assertEquals(row, { instant: at, wall: "2024-01-02 03:04:05.006", day: "2024-01-02" });
        // The driver sends a JavaScript array as a PostgreSQL array, which json refuses.
        await assertRejects(() => sql.query("SELECT $1::jsonb AS v", [[1, 2]]), StoreError);
        const [json] = await sql.query<{ v: unknown }>("SELECT $1::jsonb AS v", [
          JSON.stringify([1, 2]),
        ]);
        assertEquals(json.v, [1, 2]);
      },
    );
  });
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
