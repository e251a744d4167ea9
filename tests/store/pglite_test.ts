import { databaseOver } from "../../src/store/database.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { runStoreContract } from "./contract.ts";

Deno.test("store contract: embedded PGlite", async (t) => {
  const database = databaseOver(await openPglite(), { namespace: "test", migrations: [] }, 10_000);
  try {
    await runStoreContract(t, database);
  } finally {
    await database.close();
  }
});
