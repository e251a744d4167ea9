/**
 * A recorded change as the history and export tools show it.
 *
 * @module
 */
import { z } from "zod";
import type { ChangeSummary, HistoryEntry } from "../../../store/types.ts";

/** One history entry's shape in a tool's output. */
export const HistoryEntrySchema = z.object({
  id: z.number().int().describe("Cursor: pass as `before` to page further back"),
  version: z.number().int().describe("The saved state's version after the change"),
  at: z.string(),
  tool: z.string().describe("The tool that made the change"),
  client: z.string().nullable().describe("The app (OAuth client) it came through, if known"),
  summary: z.string().describe("What changed, in words"),
});

/** "added a, b; changed c; removed d" (or the action's own words). */
export function describeChange(summary: ChangeSummary): string {
  if ("action" in summary) return summary.action;
  const kind = (verb: string, keys: string[], count: number) =>
    count === 0
      ? ""
      : `${verb} ${keys.join(", ")}${
        count > keys.length ? ` and ${count - keys.length} more` : ""
      }`;
  const parts = [
    kind("added", summary.added, summary.counts.added),
    kind("changed", summary.changed, summary.counts.changed),
    kind("removed", summary.removed, summary.counts.removed),
  ].filter(Boolean);
  return parts.length ? parts.join("; ") : "no change";
}

export function entryView(entry: HistoryEntry) {
  return {
    id: entry.id,
    version: entry.version,
    at: entry.at,
    tool: entry.tool,
    client: entry.client,
    summary: describeChange(entry.summary),
  };
}
