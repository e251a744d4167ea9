/**
 * `user_export`: everything kept about the person, in bounded parts.
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "../../../pack/mod.ts";
import { READ_ONLY, sessionArg, withReminder } from "../../../pack/kit_side.ts";
import { defineKitTool, type KitToolDefinition } from "../../kit_tool.ts";
import { profileSchema, stateSchema, stateView } from "../views.ts";
import { entryView, HistoryEntrySchema } from "./history_view.ts";

/**
 * Version of the `user_export` document's shape. 2: the history comes in parts (`complete`,
 * `nextCursor`); profile, state and domain data are in the first part. 3: `tables`, every row of
 * every personal table, in the first part.
 */
export const EXPORT_SCHEMA_VERSION = 3;

/**
 * Bytes of recorded changes in one part of an export (one change may take a part past it). An
 * export answer carries its document twice (structured and as text), so one call holds about
 * twice this, however much history is kept.
 */
export const EXPORT_PART_BYTES = 512 * 1024;

/** `user_export`, in `brand`'s words. */
export function exportTool(brand: PackBrand): KitToolDefinition {
  const who = brand.userNoun;
  return defineKitTool({
    name: "user_export",
    title: `Export everything kept about the ${who}`,
    description: `Returns everything the ${brand.productName} keeps about the signed-in ${who} ` +
      "as JSON (profile, saved state, their " +
      `${brand.productName} data and the history of changes), with its schema version. Use it ` +
      "when the person asks for a copy. A long history comes in parts: while `complete` is " +
      "false, call again with `cursor` set to the `nextCursor` it gave for the next part.",
    inputSchema: z.object({
      session: sessionArg,
      cursor: z.number().int().min(1).optional().describe(
        "The nextCursor of the previous part; omit for the first part",
      ),
    }).strict(),
    outputSchema: withReminder({
      export: z.object({
        schemaVersion: z.number().int(),
        exportedAt: z.string(),
        profile: profileSchema(brand).optional().describe("In the first part only"),
        state: stateSchema(brand).optional().describe("In the first part only"),
        domain: z.record(z.string(), z.unknown()).optional().describe(
          `What the ${brand.productName} keeps for this ${who} in its own tables (first part only)`,
        ),
        tables: z.record(z.string(), z.array(z.unknown())).optional().describe(
          `Every row the ${brand.productName} keeps for this ${who} in each of its personal ` +
            "tables, every column, by table (first part only)",
        ),
        history: z.array(HistoryEntrySchema.extend({ change: z.unknown() })).describe(
          "Recorded changes in this part, newest first",
        ),
        complete: z.boolean().describe("Whether this part ends the export"),
        nextCursor: z.number().int().optional().describe(
          "Pass as `cursor` to get the next part (present while complete is false)",
        ),
      }),
    }),
    annotations: READ_ONLY,
    access: "read",
    expensive: true,
    run: async ({ cursor }, { core, pack, identity, reply }) => {
      const first = cursor === undefined;
      const [person, part, domain, tables] = await Promise.all([
        first ? core.users.getUser(identity.sub) : Promise.resolve(undefined),
        core.users.exportHistory(identity.sub, { before: cursor, maxBytes: EXPORT_PART_BYTES }),
        // The pack shapes its section; the kit's part is complete whatever the pack forgets.
        first ? core.asPerson(identity.sub, () => pack.export(identity.sub)) : undefined,
        first ? core.personalRows(identity.sub) : undefined,
      ]);
      if (person === null) return reply.failClosed(`the ${who}'s record is missing.`);
      const nextCursor = part.more ? part.entries.at(-1)?.id : undefined;
      const document = {
        schemaVersion: EXPORT_SCHEMA_VERSION,
        exportedAt: new Date().toISOString(),
        ...(person
          ? { profile: person.profile, state: stateView(person.saved), domain, tables }
          : {}),
        history: part.entries.map((entry) => ({ ...entryView(entry), change: entry.change })),
        complete: nextCursor === undefined,
        ...(nextCursor === undefined ? {} : { nextCursor }),
      };
      const heading = first
        ? `Everything kept about ${person!.profile.email ?? person!.profile.id}`
        : `More of the history of changes kept about this ${who}`;
      return reply.success(
        { export: document },
        `${heading}.\n${JSON.stringify(document)}`,
        nextCursor === undefined
          ? []
          : [`This is one part: call user_export again with cursor ${nextCursor} for the rest.`],
      );
    },
  });
}
