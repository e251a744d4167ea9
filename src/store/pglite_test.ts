import { assertEquals } from "@std/assert";
import { databaseOver } from "./database.ts";
import { openPglite } from "./pglite.ts";
import { runStoreContract } from "../../tests/helpers/store_contract.ts";

Deno.test("store contract: embedded PGlite", async (t) => {
  const database = databaseOver(await openPglite(), { namespace: "test", migrations: [] }, 10_000);
  try {
    await runStoreContract(t, database);
  } finally {
    await database.close();
  }
});

Deno.test("embedded PGlite: an array of a type a migration made is its text, before and after a reopen", async () => {
  // PGlite parses the arrays of every type that exists when it opens; the driver in production
  // has no parser for an enum's array, so it must stay text here too, whenever the type was made.
  const dir = await Deno.makeTempDir();
  try {
    let sql = await openPglite({ dir });
    const select = "SELECT ARRAY['ok', 'low']::reopen_mood[] AS v";
    try {
      await sql.query("CREATE TYPE reopen_mood AS ENUM ('ok', 'low')");
      assertEquals(await sql.query(select), [{ v: "{ok,low}" }]);
    } finally {
      await sql.close();
    }
    sql = await openPglite({ dir });
    try {
      assertEquals(await sql.query(select), [{ v: "{ok,low}" }]);
    } finally {
      await sql.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
