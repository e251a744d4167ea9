/**
 * One meaning, every rendering: hosts show the model the text (the AI SDK), the structured content
 * (Claude Code) or both (LangChain). Every instruction the text gives must be in the structured
 * content too, word for word.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import type { ToolResult } from "./mcp_client.ts";

/**
 * Sentences that tell the model what to do: an imperative opening, or a verb of doing aimed at a tool
 * ("…, then book with domain_do_action"). A line of data that names a tool (a history entry) is not
 * one.
 */
const INSTRUCTION = new RegExp(
  "^(call|pass|tell|do not|don't|only if|confirm|use|start|find|check|offer|book|open|read|save|" +
    "try|narrow|wait|change|work by|if the person|reminder:)\\b" +
    "|\\b(call|pass|use|open|book|find|list|check)\\b[^.]*\\b(begin_session|end_session|user_[a-z_]+|" +
    "config_[a-z_]+|domain_[a-z_]+)\\b",
  "i",
);

/** The instruction sentences of `text`. */
export function instructionSentences(text: string): string[] {
  return text.split("\n").flatMap((line) => line.split(/(?<=[.!?])\s+(?=[A-Z"])/))
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0 && INSTRUCTION.test(sentence));
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

/**
 * Asserts that every instruction sentence of `result`'s text is in its structured content. A failure
 * is its text alone: v1 SDK clients reject structured content on an error that does not fit the
 * output schema.
 */
export function assertOneMeaning(result: ToolResult, label: string): void {
  if (result.isError) {
    assertEquals(result.error, undefined, `${label}: a failure carries structured content`);
    assert(result.text.length > 20, `${label}: a failure without words`);
    return;
  }
  const structured = result.data;
  assert(structured, `${label}: no structured content`);
  const carried = strings(structured);
  const missing = instructionSentences(result.text).filter((sentence) =>
    !carried.some((value) => value.includes(sentence))
  );
  assertEquals(missing, [], `${label}: instructions only in the text`);
}
