/**
 * The contract's kit side — for the kit, not for packs. What the kit (everything in `src/` outside
 * `src/pack/`) needs of this folder and a pack never does: the result builders and the sentences
 * the kit answers with itself, the fields and the argument it adds to every pack tool, the
 * behaviour hints it derives, and the way in to a pack `definePack` made. A pack imports
 * `mod.ts` only; nothing here is part of what a pack author writes against.
 *
 * Like the rest of `src/pack/`, this imports nothing of the kit.
 *
 * @module
 */
import { z } from "zod";
import type { Access } from "./tool.ts";

export {
  CALL_FAILED_PREFIX,
  createReply,
  failClosedSentence,
  type FailureKind,
  type KitReply,
  OUTCOME_UNKNOWN_PREFIX,
  reminderLine,
  withReminder,
} from "./reply.ts";
export { type LoadedPack, loadPack, type OpenPack } from "./domain_pack.ts";
export { type LoadedContent, loadFixedContent } from "./fixed_content.ts";

/** The session token argument the kit adds to every pack tool (and its own gated tools take). */
export const sessionArg: z.ZodString = z.string().min(1).max(4096).describe(
  "The session token returned by begin_session.",
);

/**
 * The four behaviour hints every tool is listed with (hosts such as ChatGPT require each one
 * explicitly). `openWorldHint`: whether the tool reaches beyond the connector's own data.
 */
export interface ToolHints {
  /** It changes nothing. */
  readOnlyHint: boolean;
  /** It may delete or overwrite what cannot be brought back. */
  destructiveHint: boolean;
  /** Calling it again with the same arguments changes nothing more. */
  idempotentHint: boolean;
  /** It reaches beyond the connector's own data (the web, other services). */
  openWorldHint: boolean;
}

/**
 * A pack tool's hints, derived from what it declares: a read is read-only, harmless and
 * idempotent; a write is idempotent only when it says so; only `destructive` is destructive.
 */
export function hintsOf(
  tool: { access: Access; idempotent?: boolean; openWorld?: boolean },
): ToolHints {
  const read = tool.access === "read";
  return {
    readOnlyHint: read,
    destructiveHint: tool.access === "destructive",
    idempotentHint: read ? true : tool.idempotent ?? false,
    openWorldHint: tool.openWorld ?? false,
  };
}

/** Hints of a kit tool that only reads the connector's own data: read-only, idempotent, harmless. */
export const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const satisfies ToolHints;

/** Hints of a kit tool that adds or changes the connector's own data, not idempotently. */
export const WRITES = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
} as const satisfies ToolHints;

/** Hints of a kit tool that deletes or overwrites what cannot be brought back. */
export const DESTRUCTIVE = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: false,
} as const satisfies ToolHints;
