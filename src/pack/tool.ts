/**
 * A tool as data: name, model-facing text, schemas, annotations, whether it needs a session, what
 * access it has, and what it does. The registry builds the server's tool list from these once at
 * start-up; the MCP server and the landing page both read that list.
 *
 * @module
 */
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { Identity } from "../auth/identity.ts";
import type { PackBrand } from "./brand.ts";
import type { CoreServices } from "./core_services.ts";
import type { Reply } from "./reply.ts";

/** What a tool runs with: the kit's services, the pack's store, the verified caller, the voice. */
export interface ToolContext<Store = unknown> {
  /** The verified caller. Never built from arguments. */
  identity: Identity;
  /** The OAuth client the caller's token was issued to, when the issuer says (for history). */
  clientId?: string;
  /** The kit's own services (saved state, sessions, guidance). */
  core: CoreServices;
  /** The pack's store. */
  store: Store;
  /** Results in the pack's voice. */
  reply: Reply;
}

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

/** One tool. */
export interface ToolDefinition<
  Store = unknown,
  In extends z.ZodObject = z.ZodObject,
  Out extends z.ZodObject = z.ZodObject,
> {
  name: string;
  title: ToolText;
  /** Written for a model: when to call it and what comes back. */
  description: ToolText;
  inputSchema: In;
  outputSchema: Out;
  /** Hints for the host and model. They decide nothing here: `access` does. */
  annotations: ToolAnnotations;
  /**
   * Whether the tool changes the person's data. A `write` of a pack is recorded in the person's
   * history. Every pack tool runs only after the session check, whatever it declares: its store
   * can write, so a mislabelled tool must not be able to write without a session.
   */
  access: "read" | "write";
  /**
   * `none` only for the kit's session-less tools (`begin_session`, `end_session`, which checks
   * the session itself, and `health`). Every pack tool needs a session.
   */
  session?: "required" | "none";
  /**
   * The kit's own cheap reads only (refused on a pack's tool): the work may run beside the session
   * check, one KV read and one database read in parallel; its result is released only if the
   * session holds.
   */
  checkBeside?: true;
  /**
   * The tool costs much more than a usual call (an export of everything, a report): the kit runs
   * it at most once at a time per person and refuses a second one meanwhile, with what to do. Keep
   * its answer bounded too (page it), so one call cannot make the server hold more than a few MB.
   */
  expensive?: true;
  run(args: z.infer<In>, ctx: ToolContext<Store>): Promise<CallToolResult>;
}

/**
 * Declares a tool with its argument types inferred from its input schema:
 * `defineTool<Store>()({ … })`.
 */
export function defineTool<Store = unknown>() {
  return <In extends z.ZodObject, Out extends z.ZodObject>(
    definition: ToolDefinition<Store, In, Out>,
  ): ToolDefinition<Store> => definition as unknown as ToolDefinition<Store>;
}
