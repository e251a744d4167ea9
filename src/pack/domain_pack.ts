/**
 * The domain pack contract: what a pack gives the kit, and the only way a subject enters it.
 *
 * The kit is the skeleton every connector shares — one gateway, the resource server and sign-in,
 * sessions, users and their versioned saved state, the `user_*` and `config_*` tools, `health`,
 * fail-closed results. A pack gives it a subject: its name and voice (brand, guidance), its tables
 * (migrations under its own id), its fixed content (loaded once, served from memory, copied into
 * its tables when it changes), a store over the kit's SQL client, and its
 * `domain_*` tools, each with an example call (the kit's contract tests run every pack through
 * them). The kit never imports a pack; the configuration's `DOMAIN` picks one from
 * `src/domains/registry.ts`. A pack imports nothing of the kit but this folder (`pack/mod.ts`).
 *
 * @example A minimal pack
 * ```ts
 * import { z } from "zod";
 * import { definePack, defineTool } from "./mod.ts"; // in a pack: "../../pack/mod.ts"
 *
 * type Store = { count(): Promise<number> };
 * export const counterPack = definePack({
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
 *   createStore: (sql): Store => ({
 *     count: async () => (await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM counter_hits"))[0].n,
 *   }),
 *   tools: [defineTool<Store>()({
 *     name: "domain_count",
 *     title: "Count",
 *     description: "Returns the count.",
 *     access: "read",
 *     inputSchema: z.object({}),
 *     outputSchema: z.object({ count: z.number() }),
 *     example: {},
 *     run: async (_args, { store, reply }) => {
 *       const count = await store.count();
 *       return reply.success({ count }, `The count is ${count}.`);
 *     },
 *   })],
 *   export: async () => ({}),
 *   forget: async () => {},
 * });
 * ```
 *
 * @module
 */
import type { PackBrand } from "./brand.ts";
import { type FixedContent, loadFixedContent } from "./fixed_content.ts";
import type { Identity } from "./identity.ts";
import type { Migration } from "./migration.ts";
import type { ToolResult } from "./reply.ts";
import type { SqlClient, SqlTransaction } from "./sql.ts";
import type { ObjectSchema, ToolContext, ToolDeclaration, ToolDefinition } from "./tool.ts";

/** What `begin_session` adds for the pack: the person's domain data the model should start from. */
export interface SessionContribution<Store> {
  /** The shape of the `domain` field of `begin_session`'s output, `z.object({ … })`. */
  schema: ObjectSchema;
  /** Loads it for the verified caller; a sentence or two for the text rendering comes with it. */
  load(store: Store, identity: Identity): Promise<{ data: Record<string, unknown>; text: string }>;
}

/**
 * A domain pack as its author writes it. `Store` is whatever its `createStore` returns; its tools
 * receive it. `Content` is its fixed content, if it has any.
 */
export interface DomainPack<Store, Content = undefined> {
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
  /**
   * The `domain_*` tools, each built with `defineTool`. Every one needs a session (the kit adds
   * the argument and checks it first), declares `access` and carries one example call.
   */
  tools: readonly ToolDefinition<Store>[];
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

/**
 * A pack as `definePack` hands it to the kit: what it declares, with its store and content types
 * kept inside (the kit never needs to know them, so nothing is cast on the way). What the kit runs
 * it with is reached through the kit's side of the contract, not from here.
 */
export interface Pack {
  /** The pack's id (see {@linkcode DomainPack.id}). */
  readonly id: string;
  /** Its names and voice. */
  readonly brand: PackBrand;
  /** Where its `rules.md` and `persona.md` are. */
  readonly guidanceDir: URL;
  /** Its schema changes, in order. */
  readonly migrations: readonly Migration[];
  /** The `domain_*` tools' declarations, each with its example call (what they do runs inside). */
  readonly tools: readonly ToolDeclaration[];
  /** The shape of `begin_session`'s `domain` field, when the pack adds one. */
  readonly sessionSchema?: ObjectSchema;
  /** Deletes every row the pack keeps about one person, inside the kit's transaction. */
  forget(tx: SqlTransaction, sub: string): Promise<void>;
}

/** A pack with its fixed content loaded (for the kit; see `kit_side.ts`). */
export interface LoadedPack {
  /** The content's copy for the pack's tables: its hash, and how to write it. Absent without content. */
  content?: { hash: string; seed(tx: SqlTransaction): Promise<void> };
  /** Builds the pack's store over `sql`. */
  open(sql: SqlClient): OpenPack;
}

/** A pack with its store built: what the kit's tools call (for the kit; see `kit_side.ts`). */
export interface OpenPack {
  /** Runs the pack tool `name` (arguments already validated) for the verified caller. */
  call(
    name: string,
    args: Record<string, unknown>,
    ctx: Omit<ToolContext, "store">,
  ): Promise<ToolResult>;
  /** Everything the pack keeps about `sub`, for `user_export`. */
  export(sub: string): Promise<Record<string, unknown>>;
  /** The pack's part of `begin_session`; `undefined` when it adds none. */
  beginSession(
    identity: Identity,
  ): Promise<{ data: Record<string, unknown>; text: string } | undefined>;
}

/** How each pack `definePack` made is loaded: the kit's way in, which a pack has no handle on. */
const loaders = new WeakMap<Pack, () => Promise<LoadedPack>>();

/**
 * Loads the fixed content of a pack `definePack` made (once, at start-up): a problem with it
 * rejects, naming it. For the kit (see `kit_side.ts`).
 */
export function loadPack(pack: Pack): Promise<LoadedPack> {
  const load = loaders.get(pack);
  if (!load) {
    throw new TypeError(`pack "${pack.id}" was not made by definePack (src/pack/mod.ts)`);
  }
  return load();
}

/**
 * Declares a pack with its store type checked against its tools (and its content, if any), and
 * hands the kit the {@linkcode Pack} it serves.
 */
export function definePack<Store, Content = undefined>(pack: DomainPack<Store, Content>): Pack {
  const byName = new Map(pack.tools.map((tool) => [tool.name, tool]));
  const declarations = pack.tools.map(({ run: _run, ...declaration }) => declaration);
  const declared: Pack = {
    id: pack.id,
    brand: pack.brand,
    guidanceDir: pack.guidanceDir,
    migrations: pack.migrations,
    tools: declarations,
    sessionSchema: pack.session?.schema,
    forget: (tx, sub) => pack.forget(tx, sub),
  };
  loaders.set(declared, async () => {
    const loaded = pack.content && await loadFixedContent(pack.content);
    const content = pack.content;
    return {
      content: loaded && content &&
        { hash: loaded.hash, seed: (tx) => content.seed(tx, loaded.value) },
      open: (sql) => {
        // Without fixed content `Content` is `undefined`, which is what the store gets.
        const store = pack.createStore(sql, loaded?.value as Content);
        return {
          call: (name, args, ctx) => {
            const tool = byName.get(name);
            if (!tool) throw new Error(`pack "${pack.id}" has no tool "${name}"`);
            return tool.run(args, { ...ctx, store });
          },
          export: (sub) => pack.export(store, sub),
          beginSession: async (identity) => await pack.session?.load(store, identity),
        };
      },
    };
  });
  return declared;
}
