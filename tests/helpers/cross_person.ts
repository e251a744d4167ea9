/**
 * One person must not reach another's rows through an argument: ids that only one person's export
 * holds (their reservations, their notes) and their subject, passed by someone else in place of
 * each string argument of every read tool's input schema (not only those its example fills), must
 * be refused or come back without that row.
 *
 * @module
 */
import { assert } from "@std/assert";
import { z } from "zod";
import type { Pack } from "../../src/pack/mod.ts";
import { examplesOf } from "./examples.ts";
import type { ReaderChat } from "./mcp_client.ts";

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") {
    return [...Object.keys(value), ...Object.values(value).flatMap(strings)];
  }
  return [];
}

/** What `chat`'s export holds of the pack's own data: its section and its personal rows. */
async function domainExport(chat: ReaderChat, session: string): Promise<unknown> {
  const result = await chat.call("user_export", { session });
  assert(!result.isError, result.text);
  return { domain: result.data.export.domain, tables: result.data.export.tables };
}

/** The most ids tried in each argument (every call is a real round trip). */
const MOST_IDS = 24;

/** The arguments of `schema` that take any string (not an enum's words), optional ones included. */
function stringArguments(schema: z.ZodType): string[] {
  if (!(schema instanceof z.ZodObject)) return [];
  const takesText = (field: z.ZodType): boolean => {
    if (field instanceof z.ZodString) return true;
    if (
      field instanceof z.ZodOptional || field instanceof z.ZodNullable ||
      field instanceof z.ZodDefault
    ) {
      return takesText(field.unwrap() as z.ZodType);
    }
    return false;
  };
  return Object.entries(schema.shape as Record<string, z.ZodType>)
    .filter(([, field]) => takesText(field)).map(([key]) => key);
}

/**
 * Asserts that `intruder` cannot reach what only `owner`'s export holds through any string
 * argument of the pack's example calls; returns the ids tried (none when the pack keeps no
 * personal ids).
 */
export async function assertNoReachThroughArguments(
  pack: Pick<Pack, "id" | "tools">,
  owner: { chat: ReaderChat; session: string; sub: string },
  intruder: { chat: ReaderChat; session: string },
): Promise<string[]> {
  const theirs = new Set(strings(await domainExport(owner.chat, owner.session)));
  for (const shared of strings(await domainExport(intruder.chat, intruder.session))) {
    theirs.delete(shared);
  }
  // What everyone may see (a catalogue's ids, a venue's rooms) is not personal.
  const examples = examplesOf(pack);
  for (const [name, args] of examples) {
    const seen = await intruder.chat.call(name, { ...args, session: intruder.session });
    for (const shared of strings(seen.data)) theirs.delete(shared);
  }
  // Ids, not prose or timestamps: short tokens without spaces that are not dates or prices.
  const ids = [...theirs].filter((s) =>
    /^[A-Za-z0-9_.:-]{3,64}$/.test(s) && !/^\d{4}-\d{2}-\d{2}/.test(s) && !/^\d+$/.test(s) &&
    s !== owner.sub
  ).slice(0, MOST_IDS);
  // The reads: a write may echo what it was given, which proves nothing.
  const exampleOf = new Map(examples);
  for (const tool of pack.tools.filter((t) => t.access === "read")) {
    const args = exampleOf.get(tool.name) ?? {};
    const keys = new Set([
      ...Object.entries(args).filter(([, v]) => typeof v === "string").map(([k]) => k),
      ...stringArguments(tool.inputSchema as unknown as z.ZodType),
    ]);
    for (const key of keys) {
      for (const id of [...ids, owner.sub]) {
        const result = await intruder.chat.call(tool.name, {
          ...args,
          [key]: id,
          session: intruder.session,
        });
        // What the tool only echoes back of its arguments (`query`) is not a row of theirs.
        const { [key]: _echo, ...answered } = (result.data ?? {}) as Record<string, unknown>;
        const theirs = ids.filter((other) => JSON.stringify(answered).includes(other));
        assert(
          result.isError || theirs.length === 0,
          `pack "${pack.id}": ${tool.name} with ${key}: "${id}" (another person's) answered with ` +
            `their row (${theirs.join(", ")}). Filter by identity.sub in the query, and ` +
            "answer another person's id as not found.",
        );
      }
    }
  }
  return ids;
}
