/**
 * The pack contract: everything a domain pack imports from the kit, from this one folder. Start
 * with {@linkcode definePack} (`domain_pack.ts`): it lists what a pack gives the kit, with a
 * whole minimal pack as its example; `tool.ts` shows one tool, `sql.ts` one store method.
 *
 * Nothing here imports the rest of the kit: the kit implements these types (its SQL backends,
 * its sign-in) and reads packs through them. What only the kit uses of this folder is in
 * `kit_side.ts`, which a pack never imports. A pack's tests also import `testing.ts` (a test
 * server, a real MCP client, a test database): the one file of this folder that wires the kit,
 * for tests only, and not exported here.
 *
 * @example A tool, as a pack writes it
 * ```ts
 * import { z } from "zod";
 * import { defineTool } from "./mod.ts"; // in a pack: "../../pack/mod.ts"
 *
 * export const echoTool = defineTool()({
 *   name: "domain_echo",
 *   title: "Echo",
 *   description: "Says the words back.",
 *   access: "read",
 *   inputSchema: z.object({ words: z.string().max(100) }),
 *   outputSchema: z.object({ words: z.string() }),
 *   example: { words: "hello" },
 *   run: async ({ words }, { reply }) => reply.success({ words }, words),
 * });
 * ```
 *
 * @module
 */
export type { PackBrand } from "./brand.ts";
export { definePack, type DomainPack, type Pack, type SessionContribution } from "./domain_pack.ts";
export type { FixedContent } from "./fixed_content.ts";
export type { Identity } from "./identity.ts";
export type { Migration } from "./migration.ts";
export { Refusal, REFUSED_PREFIX, type Reply, type ToolResult } from "./reply.ts";
export type { CallOptions, SqlClient, SqlTransaction } from "./sql.ts";
export { isoTime } from "./time.ts";
export {
  type Access,
  defineTool,
  type InputOf,
  type ObjectSchema,
  type OutputOf,
  type ToolContext,
  type ToolDeclaration,
  type ToolDefinition,
  type ToolText,
  type ToolTexts,
} from "./tool.ts";
