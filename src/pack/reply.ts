/**
 * Tool result shapes in one place: successes carry structured content, a short text rendering and
 * the rules reminder; failures are `isError` with either the fail-closed sentence (the system
 * failed) or a specific refusal (the request was wrong and can be fixed). The sentences name the
 * product from the pack's brand.
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "./brand.ts";

/**
 * What a tool answers, as `reply` builds it: one text for the model, and on a success the
 * structured content its output schema describes (with the guidance and the reminder).
 */
export type ToolResult = {
  /** The text rendering (hosts that show the model only text show this). */
  content: { type: "text"; text: string }[];
  /** What the output schema describes (hosts that show the model only this show this). */
  structuredContent?: Record<string, unknown>;
  /** `true` for a failure: refused, failed closed. */
  isError?: boolean;
};

/**
 * What a refusal always starts with: the request was wrong, and nothing changed.
 *
 * @example A pack's test reads a refusal
 * ```ts
 * import { REFUSED_PREFIX } from "./reply.ts";
 *
 * const text = `${REFUSED_PREFIX} there is no note with id "zz".`;
 * if (!text.startsWith(REFUSED_PREFIX)) throw new Error("not a refusal");
 * ```
 */
export const REFUSED_PREFIX = "Request refused, nothing was changed:";

/** The one line every successful result ends with. */
export function reminderLine(brand: Pick<PackBrand, "productName">): string {
  return `Reminder: work by the ${brand.productName} rules from begin_session; if a tool fails, tell the person the session cannot continue right now instead of improvising.`;
}

/** What the model must do when the connector fails. */
export function failClosedSentence(brand: Pick<PackBrand, "productName">): string {
  return `The ${brand.productName} session cannot continue right now. Tell the person plainly that the session cannot continue right now; do not answer from your own knowledge instead, and do not invent saved state.`;
}

/** What a write answered past its deadline always starts with: it may or may not have happened. */
export const OUTCOME_UNKNOWN_PREFIX =
  "Not confirmed: this change may or may not have been made, because the memory stopped answering after it was sent.";

/** What a call that failed on its own (not the session, not the memory) always starts with. */
export const CALL_FAILED_PREFIX = "This call failed, and nothing was changed:";

/**
 * Refuses the call from anywhere in a pack's tool or store: the kit answers it as
 * `reply.refused(message)` and, for a write, rolls back whatever the call wrote first. The
 * message says what to fix, as a sentence that completes "Request refused, nothing was changed:".
 *
 * @example
 * ```ts
 * import { Refusal } from "./reply.ts";
 *
 * function checkedQuantity(n: number): number {
 *   if (n > 10) throw new Refusal("at most 10 at once; split the order.");
 *   return n;
 * }
 * ```
 */
export class Refusal extends Error {
  /** Creates the refusal; `message` says what to fix. */
  constructor(message: string) {
    super(message);
    this.name = "Refusal";
  }
}

/**
 * Adds the fields every output schema carries: `guidance` (what to do next, when the tool says so)
 * and `reminder` (the rules reminder). Both are also in the text: a host that shows the model only
 * the structured content (Claude Code) or only the text (the AI SDK) gives it the same instructions.
 */
export function withReminder<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object({
    ...shape,
    guidance: z.array(z.string()).optional().describe(
      "What to do next: instructions for the assistant, to follow as written",
    ),
    reminder: z.string().describe("The rules reminder"),
  });
}

/** The kinds of failed result (each has its own opening sentence). */
export type FailureKind = "refused" | "fail_closed" | "outcome_unknown" | "call_failed";

/**
 * Builds results in the voice of one brand; tools receive it as `reply`. `Structured` is what the
 * tool's output schema describes (the kit adds the guidance and the reminder).
 */
export interface Reply<Structured = Record<string, unknown>> {
  /**
   * A successful result: `structured` and `text` (a rendering of the same data), each with the
   * `guidance` sentences (what the model should do next: confirm first, call again with a cursor…)
   * and the reminder. Put every instruction in `guidance`, never only in `text`: some hosts show
   * the model only one of the two.
   */
  success(structured: Structured, text: string, guidance?: readonly string[]): ToolResult;
  /** The system failed (store, session store, session): stop, with the specific reason. */
  failClosed(reason: string): ToolResult;
  /** The request itself was wrong: nothing changed; say what to fix. */
  refused(reason: string): ToolResult;
}

/** The replies the kit gives itself besides a tool's own (a pack's tools never give these). */
export interface KitReply extends Reply {
  /**
   * A write was sent but not confirmed in time: neither success nor failure may be claimed;
   * `howToCheck` says how to find out before telling the person.
   */
  outcomeUnknown(howToCheck: string): ToolResult;
  /**
   * This call failed on its own (an error in the tool, not the session or the memory): nothing
   * was changed, and the session can go on with other requests.
   */
  callFailed(reason: string): ToolResult;
}

/** The {@linkcode KitReply} of `brand`. */
export function createReply(brand: Pick<PackBrand, "productName">): KitReply {
  const reminder = reminderLine(brand);
  const stop = failClosedSentence(brand);
  // A failure is one text: what happened and what to do. It carries no structured content: the
  // v1 MCP SDK's client checks structured content against the tool's output schema even on an
  // error (typescript-sdk #1943), and would turn every refusal into a protocol error.
  const failure = (_kind: FailureKind, text: string): ToolResult => ({
    isError: true,
    content: [{ type: "text", text }],
  });
  return {
    success: (structured, text, guidance = []) => ({
      content: [{
        type: "text",
        text: guidance.length > 0
          ? `${text}\n\n${guidance.join("\n")}\n\n${reminder}`
          : `${text}\n\n${reminder}`,
      }],
      structuredContent: {
        ...structured,
        ...(guidance.length > 0 ? { guidance: [...guidance] } : {}),
        reminder,
      },
    }),
    failClosed: (reason) => failure("fail_closed", `${stop}\nReason: ${reason}`),
    refused: (reason) => failure("refused", `${REFUSED_PREFIX} ${reason}`),
    outcomeUnknown: (howToCheck) =>
      failure(
        "outcome_unknown",
        `${OUTCOME_UNKNOWN_PREFIX} Do not tell the person it failed or that it worked. ` +
          `${howToCheck} Then tell them what you found.`,
      ),
    callFailed: (reason) =>
      failure(
        "call_failed",
        `${CALL_FAILED_PREFIX} ${reason} Tell the person this request cannot be done right ` +
          "now; do not answer it from your own knowledge. Other requests in this session may " +
          "still work.",
      ),
  };
}
