/**
 * A probe pack whose read tool answers outside its output schema only once the person has data:
 * its list carries each row's `completed_at` as the database gives it (a `Date`), where the schema
 * says a string. Empty, it fits; after its write example, it does not.
 *
 * @module
 */
import { z } from "zod";
import { defineTool, type SqlClient } from "../../src/pack/mod.ts";
import { probePack } from "./probe_pack.ts";

type Store = { sql: SqlClient };
const tool = defineTool<Store>();

/** The pack: `domain_list_completed` (read, listed first) and `domain_complete` (write). */
export const datedProbePack = probePack<Store>([
  tool({
    name: "domain_list_completed",
    title: "List completed",
    description: "Lists what the person has completed, with when.",
    access: "read",
    inputSchema: z.object({}),
    outputSchema: z.object({
      completed: z.array(z.object({ lesson: z.string(), completed_at: z.string() })),
    }),
    example: {},
    run: async (_args, { store, identity, reply }) => {
      const completed = await store.sql.query<{ lesson: string; completed_at: string }>(
        "SELECT lesson, completed_at FROM probe_completed WHERE user_id = $1 ORDER BY lesson",
        [identity.sub],
      );
      return reply.success({ completed }, `${completed.length} completed.`);
    },
  }),
  tool({
    name: "domain_complete",
    title: "Complete a lesson",
    description: "Marks a lesson completed.",
    access: "write",
    idempotent: true,
    inputSchema: z.object({ lesson: z.string().min(1).max(40) }),
    outputSchema: z.object({ lesson: z.string() }),
    example: { lesson: "l1" },
    run: async ({ lesson }, { store, identity, reply }) => {
      await store.sql.query(
        "INSERT INTO probe_completed (user_id, lesson) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [identity.sub, lesson],
      );
      return reply.success({ lesson }, `Completed ${lesson}.`);
    },
  }),
], {
  migrations: [{
    version: 1,
    name: "completed",
    sql: "CREATE TABLE probe_completed (user_id text NOT NULL REFERENCES users(id) ON DELETE " +
      "CASCADE, lesson text NOT NULL, completed_at timestamptz NOT NULL DEFAULT now(), " +
      "PRIMARY KEY (user_id, lesson))",
  }],
  createStore: (sql) => ({ sql }),
  export: async (store, sub) => ({
    completed: await store.sql.query("SELECT lesson FROM probe_completed WHERE user_id = $1", [
      sub,
    ]),
  }),
  forget: async (tx, sub) => {
    await tx.query("DELETE FROM probe_completed WHERE user_id = $1", [sub]);
  },
});
