/**
 * One person must not reach another's rows through an argument: ids that only one person's export
 * holds (their reservations, their notes), passed by someone else in place of each string argument
 * of every read tool's example call, must be refused or come back without that row.
 *
 * @module
 */
import { assert } from "@std/assert";
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

/** What `chat`'s export holds of the pack's own data. */
async function domainExport(chat: ReaderChat, session: string): Promise<unknown> {
  const result = await chat.call("user_export", { session });
  assert(!result.isError, result.text);
  return result.data.export.domain;
}

/**
 * Asserts that `intruder` cannot reach what only `owner`'s export holds through any string
 * argument of the pack's example calls; returns the ids tried (none when the pack keeps no
 * personal ids).
 */
export async function assertNoReachThroughArguments(
  pack: Pick<Pack, "id" | "tools">,
  owner: { chat: ReaderChat; session: string },
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
    /^[A-Za-z0-9_.:-]{3,64}$/.test(s) && !/^\d{4}-\d{2}-\d{2}/.test(s) && !/^\d+$/.test(s)
  );
  // The reads: a write may echo what it was given, which proves nothing.
  const reads = new Set(pack.tools.filter((t) => t.access === "read").map((t) => t.name));
  for (const [name, args] of examples.filter(([name]) => reads.has(name))) {
    for (const [key, value] of Object.entries(args)) {
      if (typeof value !== "string") continue;
      for (const id of ids) {
        const result = await intruder.chat.call(name, {
          ...args,
          [key]: id,
          session: intruder.session,
        });
        assert(
          result.isError || !JSON.stringify(result.data).includes(id),
          `pack "${pack.id}": ${name} with ${key}: "${id}" (another person's) answered with their ` +
            "row. Filter by identity.sub in the query, and answer another person's id as not found.",
        );
      }
    }
  }
  return ids;
}
