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
