/**
 * The session gate around every tool but `begin_session` and `health`, and the one place where
 * failures become fail-closed results.
 *
 * @module
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { Identity } from "../auth/identity.ts";
import type { ReadingStore } from "../store/types.ts";
import { StoreError } from "../store/types.ts";
import { SessionError } from "../session/errors.ts";
import type { Sessions } from "../session/sessions.ts";
import { failClosed, refused } from "./results.ts";
import type { Guidance } from "../guidance.ts";

/** What the tools work with, shared by every request. */
export interface ToolDependencies {
  store: ReadingStore;
  sessions: Sessions;
  guidance: Guidance;
  /** Cap on a reader's saved state, bytes of JSON. */
  stateMaxBytes: number;
}

const SESSION_REASONS: Record<SessionError["code"], string> = {
  missing: "no session token was given. Call begin_session first and pass its session token.",
  malformed: "the session token is not valid. Call begin_session to start a session.",
  expired:
    "the session has expired. If the person wants to go on, start a new one with begin_session.",
  revoked: "the session was ended with end_session. Start a new one with begin_session if needed.",
  unknown: "the session is not known to the Reading Room. Start a new one with begin_session.",
  foreign: "the session token belongs to a different reader than the one signed in.",
  too_many: "too many sessions were started for this reader just now.",
  unavailable: "the session store is unavailable.",
};

/** Turns a failure into the fail-closed result; unexpected errors are logged without details leaking. */
export function failureResult(error: unknown): CallToolResult {
  // Starting sessions too fast is the caller's doing, not an outage: refused, with when to retry.
  if (error instanceof SessionError && error.code === "too_many") return refused(error.message);
  if (error instanceof SessionError) return failClosed(SESSION_REASONS[error.code]);
  if (error instanceof StoreError) {
    return failClosed(
      error.code === "timeout"
        ? "the reading memory did not answer in time."
        : "the reading memory (database) is unavailable.",
    );
  }
  console.error(`tool failed: ${(error as Error)?.name ?? "error"}: ${(error as Error)?.message}`);
  return failClosed("an internal error occurred.");
}

/** Runs `work`; any failure fails closed. */
export async function guarded(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    return failureResult(error);
  }
}

/**
 * Runs `work` only for a valid session of `identity`; every failure fails closed.
 *
 * With `readOnly`, the session check and the work run side by side (one KV read and one database
 * read in parallel rather than in turn); the result is released only if the session checks out, so
 * nothing is revealed or changed without a session. Tools that write always check first.
 */
export function gated(
  deps: ToolDependencies,
  identity: Identity,
  token: string | undefined,
  work: () => Promise<CallToolResult>,
  options: { readOnly?: boolean } = {},
): Promise<CallToolResult> {
  return guarded(async () => {
    if (!options.readOnly) {
      await deps.sessions.check(token, identity);
      return await work();
    }
    const [check, result] = await Promise.allSettled([
      deps.sessions.check(token, identity),
      work(),
    ]);
    if (check.status === "rejected") throw check.reason;
    if (result.status === "rejected") throw result.reason;
    return result.value;
  });
}
