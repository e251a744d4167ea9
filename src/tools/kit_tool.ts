/**
 * The kit's own tools (`begin_session`, `user_*`, `config_*`, `health`): what they run with and
 * what they may declare beyond a pack's tool. A pack never sees these.
 *
 * @module
 */
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { Guidance } from "../guidance.ts";
import type { Readiness } from "../health/readiness.ts";
import type { PackBrand, ToolContext, ToolText } from "../pack/mod.ts";
import type { OpenPack, ToolHints } from "../pack/kit_side.ts";
import type { Sessions } from "../session/sessions.ts";
import type { UserStore } from "../store/types.ts";

/** The kit's services, as its tools see them. */
export interface CoreServices {
  /** People and their versioned saved state. */
  users: UserStore;
  /** Session tokens and their records. */
  sessions: Sessions;
  /** The pack's rules and persona. */
  guidance: Guidance;
  /** The pack's names and voice. */
  brand: PackBrand;
  /** Cap on one person's saved state, bytes of JSON. */
  stateMaxBytes: number;
  /** Whether the stores answer (shared with `/readyz`). */
  readiness(): Promise<Readiness>;
  /** Deletes everything kept about a person, the pack's data included, in one transaction. */
  forget(sub: string): Promise<void>;
  /**
   * Runs `work` with every database call it makes (the pack's store, the kit's) inside one
   * transaction, under one store deadline: it commits once `work` has finished, or not at all.
   * The kit runs a pack's write tool this way so its history entry commits with its change.
   */
  atomically<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` with every database call it makes read-only: the database refuses a write in it
   * (SQLSTATE 25006). Calls it does not make cost nothing (a read of fixed content stays free).
   */
  readOnly<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` as the person `sub`: the database shows and takes only their rows of a personal
   * table, whatever the SQL of `work` says (row-level security; see `store/isolation.ts`). The kit
   * runs every pack tool, and the pack's export, this way.
   */
  asPerson<T>(sub: string, work: () => Promise<T>): Promise<T>;
  /** Every row of every personal table of the pack for `sub`, by table (`user_export`). */
  personalRows(sub: string): Promise<Record<string, unknown[]>>;
}

/** What a kit tool runs with: a pack tool's context, the kit's services, and the open pack. */
export interface KitContext extends Omit<ToolContext, "store"> {
  core: CoreServices;
  /** The served pack, for what the kit's tools add of it (`begin_session`, `user_export`). */
  pack: OpenPack;
}

/**
 * A tool as the registry serves it: the kit's own as written, a pack's once the kit has added
 * what it adds (`pack_tool.ts`): the `session` argument, the reminder, the hints.
 */
export interface KitToolDeclaration<
  In extends z.ZodObject = z.ZodObject,
  Out extends z.ZodObject = z.ZodObject,
> {
  /** The name hosts call it by. */
  name: string;
  /** A few words for people. */
  title: ToolText;
  /** Written for a model: when to call it and what comes back. */
  description: ToolText;
  /** Arguments as listed and validated (with `session: sessionArg` when it needs a session). */
  inputSchema: In;
  /** What `reply.success` hands back, with the reminder (built with `withReminder`). */
  outputSchema: Out;
  /** All four behaviour hints, agreeing with `access` (held to it at start-up). */
  annotations: ToolAnnotations & ToolHints;
  /** `write`: the kit runs a pack's write in one transaction with its history entry. */
  access: "read" | "write";
  /** Run at most once at a time per person (see the pack contract's `expensive`). */
  expensive?: true;
}

/** One of the kit's tools. */
export interface KitToolDefinition<
  In extends z.ZodObject = z.ZodObject,
  Out extends z.ZodObject = z.ZodObject,
> extends KitToolDeclaration<In, Out> {
  /**
   * `none` only for the session-less tools (`begin_session`, `end_session`, which checks the
   * session itself, and `health`).
   */
  session?: "required" | "none";
  /**
   * Cheap reads only: the work may run beside the session check, one KV read and one database
   * read in parallel; its result is released only if the session holds.
   */
  checkBeside?: true;
  run(args: z.infer<In>, ctx: KitContext): Promise<CallToolResult>;
}

/** Declares a kit tool with its argument types inferred from its input schema. */
export function defineKitTool<In extends z.ZodObject, Out extends z.ZodObject>(
  definition: KitToolDefinition<In, Out>,
): KitToolDefinition {
  return {
    ...definition,
    // The registry validates the arguments against `inputSchema` before it calls `run`.
    run: (args, ctx) => definition.run(args as z.infer<In>, ctx),
  };
}
