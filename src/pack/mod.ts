/**
 * The pack contract: everything a domain pack imports from the kit, from this one folder. Start
 * with {@linkcode definePack} (`domain_pack.ts`): it lists what a pack gives the kit, with a
 * whole minimal pack as its example; `tool.ts` shows one tool, `sql.ts` one store method.
 *
 * Nothing here imports the rest of the kit: the kit implements these types (its SQL backends,
 * its sign-in) and reads packs through them.
 *
 * @module
 */
export type { PackBrand } from "./brand.ts";
export {
  definePack,
  type DomainPack,
  type LoadedPack,
  type OpenPack,
  type Pack,
  type SessionContribution,
} from "./domain_pack.ts";
export { type FixedContent, type LoadedContent, loadFixedContent } from "./fixed_content.ts";
export type { Identity } from "./identity.ts";
export type { Migration } from "./migration.ts";
export {
  CALL_FAILED_PREFIX,
  createReply,
  failClosedSentence,
  type FailureKind,
  OUTCOME_UNKNOWN_PREFIX,
  Refusal,
  REFUSED_PREFIX,
  reminderLine,
  type Reply,
  withReminder,
} from "./reply.ts";
export type { CallOptions, SqlClient, SqlTransaction } from "./sql.ts";
export { isoTime } from "./time.ts";
export {
  defineTool,
  DESTRUCTIVE,
  READ_ONLY,
  sessionArg,
  type Structured,
  type ToolContext,
  type ToolDeclaration,
  type ToolDefinition,
  type ToolHints,
  type ToolText,
  type ToolTexts,
  WRITES,
} from "./tool.ts";
