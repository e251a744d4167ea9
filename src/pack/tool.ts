/**
 * A tool as data: its name, the text a model reads, what it does to the person's data (`access`),
 * its schemas, one example call, and what it runs. The kit adds what every pack tool shares — the
 * `session` argument, the rules reminder in every answer, the four behaviour hints hosts read
 * (derived from `access`) — so a tool states only what is its own. The kit builds the server's
 * tool list from these once at start-up (the MCP server and the landing page both read that list)
 * and runs every pack tool behind the session check: a tool never sees a call without a valid
 * session.
 *
 * @example A read tool
 * ```ts
 * import { z } from "zod";
 * import { defineTool } from "./tool.ts";
 *
 * type Store = { count(sub: string, tag?: string): Promise<number> };
 *
 * export const countTool = defineTool<Store>()({
 *   name: "domain_count",
 *   title: "Count my notes",
 *   description: "Returns how many notes the person has. Call it when they ask how many.",
 *   access: "read",
 *   inputSchema: z.object({ tag: z.string().max(40).optional() }),
 *   outputSchema: z.object({ count: z.number().int() }),
 *   example: { tag: "work" },
 *   run: async ({ tag }, { store, identity, reply }) => {
 *     const count = await store.count(identity.sub, tag);
 *     return reply.success({ count }, `${count} notes.`);
 *   },
 * });
 * ```
 *
 * @module
 */
import type { Identity } from "./identity.ts";
import type { PackBrand } from "./brand.ts";
import type { Reply, ToolResult } from "./reply.ts";

/**
 * A zod object schema, as `z.object({ … })` builds it: a tool's arguments or its answer. Stated by
 * the parts the contract reads, so that it names no type of zod's own; the kit checks at start-up
 * that it is a real zod object.
 */
export interface ObjectSchema {
  /** The object's fields. */
  readonly shape: Readonly<Record<string, unknown>>;
  /** zod's own record of what the schema accepts (`input`) and what it gives back (`output`). */
  readonly _zod: {
    readonly input: Record<string, unknown>;
    readonly output: Record<string, unknown>;
  };
}

/** What `Schema` accepts (`z.input<Schema>`): the arguments as a host sends them. */
export type InputOf<Schema extends ObjectSchema> = Schema["_zod"]["input"];

/** What `Schema` gives back once it has parsed a value (`z.output<Schema>`), defaults applied. */
export type OutputOf<Schema extends ObjectSchema> = Schema["_zod"]["output"];

/**
 * What a tool does to the connector's data, which decides how the kit runs it and what hosts are
 * told:
 *
 * - `read` changes nothing (in development it runs in a read-only transaction, so a read that
 *   writes is refused by the database);
 * - `write` adds or changes the person's data: it runs in one transaction with the entry it makes
 *   in the person's history, and a refusal rolls it back;
 * - `destructive` is a write that deletes or overwrites what cannot be brought back (hosts may ask
 *   the person before calling it).
 */
export type Access = "read" | "write" | "destructive";

/**
 * What a tool runs with: the verified caller, the pack's store, the voice. `Structured` is what its
 * output schema describes, which `reply.success` is checked against.
 */
export interface ToolContext<Store = unknown, Structured = Record<string, unknown>> {
  /** The verified caller. Never built from arguments. */
  identity: Identity;
  /** The OAuth client the caller's token was issued to, when the issuer says (for history). */
  clientId?: string;
  /** The pack's store, as its `createStore` built it. */
  store: Store;
  /** Results in the pack's voice. */
  reply: Reply<Structured>;
}

/** What descriptions may be built from, so they follow configuration instead of drifting from it. */
export interface ToolTexts {
  /** The served pack's names and voice. */
  brand: PackBrand;
  /** Session token lifetime, minutes. */
  sessionMinutes: number;
  /** Cap on the saved state, bytes. */
  stateMaxBytes: number;
}

/** Text fixed, or built from {@linkcode ToolTexts} at start-up. */
export type ToolText = string | ((texts: ToolTexts) => string);

/** What a pack's tool declares, whatever it runs with. */
export interface ToolDeclaration<
  In extends ObjectSchema = ObjectSchema,
  Out extends ObjectSchema = ObjectSchema,
> {
  /** `domain_<name>`: lower case, digits and `_`. */
  name: string;
  /** A few words for people (hosts show it in their tool lists). */
  title: ToolText;
  /** Written for a model: when to call it and what comes back. */
  description: ToolText;
  /**
   * What it does to the connector's data (see {@linkcode Access}). Hosts are told the same: it
   * decides the `readOnlyHint` and `destructiveHint` the kit lists the tool with.
   */
  access: Access;
  /**
   * A `write` or `destructive` tool that may be called twice with the same arguments and changes
   * nothing more the second time (an idempotency key, a set-to-value): the kit lists it with
   * `idempotentHint: true`. Default `false`; a `read` is always idempotent.
   */
  idempotent?: boolean;
  /**
   * The tool reaches beyond the connector's own data (the web, another service): the kit lists it
   * with `openWorldHint: true`. Default `false`.
   */
  openWorld?: boolean;
  /**
   * The tool costs much more than a usual call (an export of everything, a report): the kit runs
   * it at most once at a time per person and refuses a second one meanwhile, with what to do. Keep
   * its answer bounded too (page it), so one call cannot make the server hold more than a few MB.
   */
  expensive?: true;
  /**
   * The tool's own arguments, `z.object({ … })`. The kit adds `session` (do not declare it) and
   * makes the object strict: an argument the schema does not name is refused, not dropped. Objects
   * nested inside must be `.strict()` themselves (the start is refused otherwise). Validated
   * before `run` is called.
   */
  inputSchema: In;
  /**
   * What `reply.success` hands back, `z.object({ … })`. The kit adds `guidance` and `reminder` (do
   * not declare them) and checks every answer against it.
   */
  outputSchema: Out;
  /**
   * One valid call (its arguments, without `session`), which the kit's contract tests run: it must
   * succeed for a fresh person with a valid session on a fresh database, and again after it; a
   * read's runs once more after every write example, for a person with data.
   */
  example: InputOf<In>;
}

/** One tool of a pack: its declaration and what it does with the pack's `Store`. */
export interface ToolDefinition<
  Store = unknown,
  In extends ObjectSchema = ObjectSchema,
  Out extends ObjectSchema = ObjectSchema,
> extends ToolDeclaration<In, Out> {
  /** Does the work for the verified caller, with the arguments as the input schema parsed them. */
  run(args: OutputOf<In>, ctx: ToolContext<Store, InputOf<Out>>): Promise<ToolResult>;
}

/**
 * Declares a tool with its argument, example and answer types inferred from its schemas:
 * `defineTool<Store>()({ … })`.
 */
export function defineTool<Store = unknown>(): <In extends ObjectSchema, Out extends ObjectSchema>(
  definition: ToolDefinition<Store, In, Out>,
) => ToolDefinition<Store> {
  return <In extends ObjectSchema, Out extends ObjectSchema>(
    definition: ToolDefinition<Store, In, Out>,
  ): ToolDefinition<Store> => ({
    ...definition,
    // The kit validates the arguments against `inputSchema` before it calls `run`.
    run: (args, ctx) =>
      definition.run(args as OutputOf<In>, ctx as ToolContext<Store, InputOf<Out>>),
  });
}
