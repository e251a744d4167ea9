/**
 * A tool as data: its name, the text a model reads, its schemas, its hints, what access it has,
 * and what it does. The kit builds the server's tool list from these once at start-up (the MCP
 * server and the landing page both read that list) and runs every pack tool behind the session
 * check: a tool never sees a call without a valid session.
 *
 * @example A read tool
 * ```ts
 * import { z } from "zod";
 * import { defineTool, READ_ONLY, sessionArg } from "./tool.ts";
 * import { withReminder } from "./reply.ts";
 *
 * type Store = { count(sub: string): Promise<number> };
 *
 * export const countTool = defineTool<Store>()({
 *   name: "domain_count",
 *   title: "Count my notes",
 *   description: "Returns how many notes the person has. Call it when they ask how many.",
 *   access: "read",
 *   inputSchema: z.object({ session: sessionArg }).strict(),
 *   outputSchema: withReminder({ count: z.number().int() }),
 *   annotations: READ_ONLY,
 *   run: async (_args, { store, identity, reply }) => {
 *     const count = await store.count(identity.sub);
 *     return reply.success({ count }, `${count} notes.`);
 *   },
 * });
 * ```
 *
 * @module
 */
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Identity } from "./identity.ts";
import type { PackBrand } from "./brand.ts";
import type { Reply } from "./reply.ts";

/**
 * What a tool runs with: the verified caller, the pack's store, the voice. `Structured` is what its
 * output schema describes (less the reminder), which `reply.success` is checked against.
 */
export interface ToolContext<
  Store = unknown,
  Structured extends Record<string, unknown> = Record<string, unknown>,
> {
  /** The verified caller. Never built from arguments. */
  identity: Identity;
  /** The OAuth client the caller's token was issued to, when the issuer says (for history). */
  clientId?: string;
  /** The pack's store, as its `createStore` built it. */
  store: Store;
  /** Results in the pack's voice. */
  reply: Reply<Structured>;
}

/** What `reply.success` takes for a tool whose output schema is `Out`: its fields less the reminder. */
export type Structured<Out extends z.ZodObject> = Omit<z.input<Out>, "reminder">;

/** What descriptions may be built from, so they follow configuration instead of drifting from it. */
export interface ToolTexts {
  brand: PackBrand;
  /** Session token lifetime, minutes. */
  sessionMinutes: number;
  /** Cap on the saved state, bytes. */
  stateMaxBytes: number;
}

/** Text fixed, or built from {@linkcode ToolTexts} at start-up. */
export type ToolText = string | ((texts: ToolTexts) => string);

/** What every tool declares, whatever it runs with. */
export interface ToolDeclaration<
  In extends z.ZodObject = z.ZodObject,
  Out extends z.ZodObject = z.ZodObject,
> {
  /** `domain_<name>` for a pack's tool. */
  name: string;
  title: ToolText;
  /** Written for a model: when to call it and what comes back. */
  description: ToolText;
  /** Arguments; a pack tool's has `session: sessionArg`. Validated before `run` is called. */
  inputSchema: In;
  /** What `reply.success` hands back (with the reminder: build it with `withReminder`). */
  outputSchema: Out;
  /**
   * Hints for the host and model ({@linkcode READ_ONLY}, {@linkcode WRITES},
   * {@linkcode DESTRUCTIVE}): all four, agreeing with `access`, which is what decides.
   */
  annotations: ToolAnnotations & ToolHints;
  /**
   * Whether the tool changes the person's data. A pack's `write` runs in one transaction with the
   * entry it makes in the person's history; a refusal rolls it back.
   */
  access: "read" | "write";
  /**
   * The tool costs much more than a usual call (an export of everything, a report): the kit runs
   * it at most once at a time per person and refuses a second one meanwhile, with what to do. Keep
   * its answer bounded too (page it), so one call cannot make the server hold more than a few MB.
   */
  expensive?: true;
}

/** One tool of a pack: its declaration and what it does with the pack's `Store`. */
export interface ToolDefinition<
  Store = unknown,
  In extends z.ZodObject = z.ZodObject,
  Out extends z.ZodObject = z.ZodObject,
> extends ToolDeclaration<In, Out> {
  run(args: z.infer<In>, ctx: ToolContext<Store, Structured<Out>>): Promise<CallToolResult>;
}

/**
 * Declares a tool with its argument types inferred from its input schema:
 * `defineTool<Store>()({ … })`.
 */
export function defineTool<Store = unknown>() {
  return <In extends z.ZodObject, Out extends z.ZodObject>(
    definition: ToolDefinition<Store, In, Out>,
  ): ToolDefinition<Store> => ({
    ...definition,
    // The kit validates the arguments against `inputSchema` before it calls `run`.
    run: (args, ctx) =>
      definition.run(args as z.infer<In>, ctx as ToolContext<Store, Structured<Out>>),
  });
}

/** The session token argument every pack tool takes (`session: sessionArg`). */
export const sessionArg: z.ZodString = z.string().min(1).max(4096).describe(
  "The session token returned by begin_session.",
);

/**
 * The four behaviour hints every tool states (hosts such as ChatGPT require each one explicitly):
 * `readOnlyHint` must match the tool's `access`, and a read is never destructive — the kit refuses a
 * pack whose hints are missing or say otherwise. `openWorldHint`: whether the tool reaches beyond
 * the connector's own data (the web, other services).
 */
export interface ToolHints {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** Hints of a tool that only reads the connector's own data: read-only, idempotent, harmless. */
export const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const satisfies ToolHints;

/** Hints of a tool that adds or changes the connector's own data, not idempotently. */
export const WRITES = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
} as const satisfies ToolHints;

/** Hints of a tool that deletes or overwrites what cannot be brought back. */
export const DESTRUCTIVE = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: false,
} as const satisfies ToolHints;
