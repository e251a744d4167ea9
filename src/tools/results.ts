/**
 * Tool result shapes in one place: successes carry structured content, a short text rendering and
 * the rules reminder; failures are `isError` with either the fail-closed sentence (the system
 * failed) or a specific refusal (the request was wrong and can be fixed).
 *
 * @module
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { z } from "zod";

/** One line every successful result ends with. */
export const REMINDER =
  "Reminder: work by the Reading Room rules from begin_session; if a tool fails, tell the person the session cannot continue right now instead of improvising.";

/** What the model must do when the Reading Room fails. */
export const FAIL_CLOSED_SENTENCE =
  "The Reading Room session cannot continue right now. Tell the person plainly that the session cannot continue right now; do not answer from your own knowledge instead, and do not invent saved state.";

/** Adds the `reminder` field every output schema carries. */
export function withReminder<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object({ ...shape, reminder: z.string().describe("The rules reminder") });
}

/** A successful result. */
export function success<T extends Record<string, unknown>>(
  structured: T,
  text: string,
): CallToolResult {
  return {
    content: [{ type: "text", text: `${text}\n\n${REMINDER}` }],
    structuredContent: { ...structured, reminder: REMINDER },
  };
}

/** The system failed (store, session store, session): stop, with the specific reason. */
export function failClosed(reason: string): CallToolResult {
  return {
    isError: true,
    content: [{ type: "text", text: `${FAIL_CLOSED_SENTENCE}\nReason: ${reason}` }],
  };
}

/** The request itself was wrong: nothing changed; say what to fix. */
export function refused(reason: string): CallToolResult {
  return {
    isError: true,
    content: [{ type: "text", text: `Request refused, nothing was changed: ${reason}` }],
  };
}
