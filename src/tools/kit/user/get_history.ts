/**
 * `user_get_history`: the recorded changes to the person's memory, newest first.
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "../../../pack/mod.ts";
import { READ_ONLY, sessionArg, withReminder } from "../../../pack/kit_side.ts";
import { defineKitTool, type KitToolDefinition } from "../../kit_tool.ts";
import { entryView, HistoryEntrySchema } from "./history_view.ts";

/** `user_get_history`, in `brand`'s words. */
export function getHistoryTool(brand: PackBrand): KitToolDefinition {
  const who = brand.userNoun;
  return defineKitTool({
    name: "user_get_history",
    title: `Read the history of the ${who}'s memory`,
    description: `Lists the latest changes to what is saved for the ${who}, newest first: each ` +
      "with the state version it produced, when, which tool and app made it, and what changed. " +
      "Use it when the person asks what changed or wants something back; page further with " +
      "`before`.",
    inputSchema: z.object({
      session: sessionArg,
      limit: z.number().int().min(1).max(50).optional().describe(
        "How many entries, 1-50 (default 20)",
      ),
      before: z.number().int().min(1).optional().describe(
        "Only entries older than this id (from a previous page)",
      ),
    }).strict(),
    outputSchema: withReminder({
      entries: z.array(HistoryEntrySchema),
      more: z.boolean().describe("Whether older entries exist"),
    }),
    annotations: READ_ONLY,
    access: "read",
    run: async ({ limit, before }, { core, identity, reply }) => {
      const wanted = limit ?? 20;
      const page = await core.users.history(identity.sub, { before, limit: wanted + 1 });
      const entries = page.slice(0, wanted).map(entryView);
      const lines = entries.map((e) =>
        `v${e.version} ${e.at} ${e.tool}${e.client ? ` via ${e.client}` : ""}: ${e.summary}`
      );
      return reply.success(
        { entries, more: page.length > wanted },
        entries.length === 0
          ? "No changes are recorded."
          : `Latest changes, newest first:\n${lines.join("\n")}`,
      );
    },
  });
}
