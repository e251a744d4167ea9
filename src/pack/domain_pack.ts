/**
 * The domain pack contract: what a pack gives the kit, and the only way a subject enters it.
 *
 * The kit is the skeleton every connector shares — one gateway, the resource server and sign-in,
 * sessions, users and their versioned saved state, the `user_*` and `config_*` tools, `health`,
 * fail-closed results. A pack gives it a subject: its name and voice (brand, guidance), its tables
 * (migrations under its own id), its fixed content (loaded once, served from memory, copied into
 * its tables when it changes), a store over the kit's SQL client, and its
 * `domain_*` tools with an example call each (the kit's contract tests run every pack through
 * them). The kit never imports a pack; `main.ts` picks one from `src/domains/registry.ts`.
 *
 * @example A minimal pack
 * ```ts
 * import { z } from "zod";
 * import { type DomainPack } from "../../pack/domain_pack.ts";
 * import { defineTool } from "../../pack/tool.ts";
 *
 * type Store = { count(): Promise<number> };
 * export const pack: DomainPack<Store> = {
 *   id: "counter",
 *   brand: {
 *     productName: "Counter",
 *     serverName: "counter",
 *     userNoun: "person",
 *     memoryName: "counter memory",
 *     tagline: "A counter for your AI assistant",
 *     pitch: "count things for you",
 *     instructions: "Counter: call begin_session first.",
 *     scopeDescription: "read the count",
 *     firstRequest: "ask for the count",
 *   },
 *   guidanceDir: new URL("../../../seed/counter/", import.meta.url),
 *   migrations: [{ version: 1, name: "counter", sql: "CREATE TABLE counter_hits (n int)" }],
 *   createStore: (sql) => ({
 *     count: async () => (await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM counter_hits"))[0].n,
 *   }),
 *   tools: [defineTool<Store>()({
 *     name: "domain_count",
 *     title: "Count",
 *     description: "Returns the count.",
 *     access: "read",
 *     inputSchema: z.object({ session: z.string() }).strict(),
 *     outputSchema: z.object({ count: z.number(), reminder: z.string() }),
 *     annotations: { readOnlyHint: true },
 *     run: async (_args, { store, reply }) => {
 *       const count = await store.count();
 *       return reply.success({ count }, `The count is ${count}.`);
 *     },
 *   })],
 *   examples: { domain_count: {} },
 *   export: async () => ({}),
 *   forget: async () => {},
 * };
 * ```
 *
 * @module
 */
import type { ToolDefinition } from "./tool.ts";
import type { Migration } from "../store/migrations.ts";
import type { SqlClient, SqlTransaction } from "../store/types.ts";
import type { Identity } from "../auth/identity.ts";
import type { z } from "zod";
import type { PackBrand } from "./brand.ts";
import type { FixedContent } from "./fixed_content.ts";

export type { FixedContent, PackBrand };

/** What `begin_session` adds for the pack: the person's domain data the model should start from. */
export interface SessionContribution<Store> {
  /** The shape of the `domain` field of `begin_session`'s output. */
  schema: z.ZodObject;
  /** Loads it for the verified caller; a sentence or two for the text rendering comes with it. */
  load(store: Store, identity: Identity): Promise<{ data: Record<string, unknown>; text: string }>;
}

/**
 * A domain pack. `Store` is whatever its `createStore` returns; its tools receive it. `Content` is
 * its fixed content, if it has any.
 */
export interface DomainPack<Store = unknown, Content = unknown> {
  /** Lower-case id, `[a-z][a-z0-9_]*`: the `DOMAIN` value, the migration namespace, the seed folder. */
  id: string;
  /** Names and voice. */
  brand: PackBrand;
  /** Folder holding `rules.md` and `persona.md` (by convention `seed/<id>/`). */
  guidanceDir: URL;
  /**
   * The pack's own schema changes, in order, recorded as (`id`, version). Never edit one that has
   * shipped; add the next. Its tables should carry the pack's id as a prefix.
   */
  migrations: readonly Migration[];
  /**
   * Content that is the same for everyone and fixed per deploy (a catalogue, a price list). Loaded once
   * at start-up and frozen; the store gets it and answers reads of it from memory, with no database
   * round trip. Its tables get a copy (after the migrations, only when the content's hash changed)
   * for what needs the database: search, joins, integrity. Optional.
   */
  content?: FixedContent<Content>;
  /**
   * Builds the pack's store over the kit's SQL client and the loaded fixed content (`undefined`
   * without one). That client already bounds every call by the store deadline and turns any
   * failure into the fail-closed error, so the store cannot forget to fail closed: it just queries.
   */
  createStore(sql: SqlClient, content: Content): Store;
  /** The `domain_*` tools. Every one needs a session; each declares `access`. */
  tools: readonly ToolDefinition<Store>[];
  /**
   * One valid call per tool (arguments without `session`), used by the kit's contract tests: it
   * must succeed for a fresh person with a valid session on a fresh database.
   */
  examples: Readonly<Record<string, Record<string, unknown>>>;
  /** What `begin_session` hands back besides the saved state. Optional. */
  session?: SessionContribution<Store>;
  /** Everything the pack keeps about one person, for `user_export` (JSON-ready). */
  export(store: Store, sub: string): Promise<Record<string, unknown>>;
  /**
   * Deletes every row the pack keeps about one person. Runs inside the kit's forgetting
   * transaction, before the person's own row goes: all of it happens, or none. (Tables that
   * reference `users(id) ON DELETE CASCADE` would go anyway; say so explicitly here.)
   */
  forget(tx: SqlTransaction, sub: string): Promise<void>;
}

/** Declares a pack with its store type checked against its tools (and its content, if any). */
export function definePack<Store, Content = undefined>(
  pack: DomainPack<Store, Content>,
): DomainPack<Store, Content> {
  return pack;
}
