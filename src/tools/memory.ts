/**
 * The person's memory as something they can trust: every change is recorded (`user_get_history`),
 * any kept version can be brought back (`user_restore_state`), everything kept can be taken away
 * (`user_export`), and all of it can be deleted (`user_forget`, in two steps).
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "../pack/brand.ts";
import type { DomainPack } from "../pack/domain_pack.ts";
import type { ChangeSummary, HistoryEntry } from "../store/types.ts";
import { defineTool } from "../pack/tool.ts";
import { withReminder } from "../pack/reply.ts";
import {
  profileSchema,
  READ_ONLY,
  sessionArg,
  stateSchema,
  stateView,
  WRITES,
} from "../pack/schemas.ts";

/**
 * Version of the `user_export` document's shape. 2: the history comes in parts (`complete`,
 * `nextCursor`); profile, state and domain data are in the first part.
 */
export const EXPORT_SCHEMA_VERSION = 2;

/**
 * Bytes of recorded changes in one part of an export (one change may take a part past it). An
 * export answer carries its document twice (structured and as text), so one call holds about
 * twice this, however much history is kept.
 */
export const EXPORT_PART_BYTES = 512 * 1024;

/** How long a forget confirmation code stays valid. */
const FORGET_CODE_SECONDS = 5 * 60;

const HistoryEntrySchema = z.object({
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

function entryView(entry: HistoryEntry) {
  return {
    id: entry.id,
    version: entry.version,
    at: entry.at,
    tool: entry.tool,
    client: entry.client,
    summary: describeChange(entry.summary),
  };
}

/** What the kit's rules add to every pack's: undo and forget, in the pack's words. */
export function memoryRules(brand: PackBrand): string {
  return `## The ${brand.userNoun}'s memory

- Every change to what is saved is recorded. If the ${brand.userNoun} says something was lost or
  changed by mistake, offer to undo it: find the change with \`user_get_history\` and bring the
  earlier version back with \`user_restore_state\`.
- \`user_export\` hands over everything kept about the ${brand.userNoun} when they ask for a copy.
- Use \`user_forget\` only when the ${brand.userNoun} explicitly asks to delete everything kept about
  them. Tell them what will be deleted and that it cannot be undone, and confirm only if they say so.`;
}

/** The memory tools for `pack`. */
export function memoryTools(pack: DomainPack) {
  const { brand } = pack;
  const who = brand.userNoun;
  return [
    defineTool()({
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
    }),

    defineTool()({
      name: "user_restore_state",
      title: `Restore an earlier version of the ${who}'s memory`,
      description: `Brings the ${who}'s saved state back to how it was at an earlier version ` +
        "(from user_get_history; 0 is empty). The restore is itself a new version: nothing is " +
        "rewritten, and it can be undone the same way. Pass expected_version (the current version) " +
        "so a change made meanwhile in another chat is not overwritten.",
      inputSchema: z.object({
        session: sessionArg,
        version: z.number().int().min(0).describe("The version to bring back"),
        expected_version: z.number().int().min(0).optional().describe(
          "Only restore if the state is still at this version",
        ),
      }).strict(),
      outputSchema: withReminder({ state: stateSchema(brand), restoredVersion: z.number().int() }),
      annotations: WRITES,
      access: "write",
      run: async ({ version, expected_version }, { core, identity, clientId, reply }) => {
        const result = await core.users.restoreVersion(identity.sub, version, {
          expectedVersion: expected_version,
          maxBytes: core.stateMaxBytes,
          write: { tool: "user_restore_state", clientId },
        });
        switch (result.outcome) {
          case "missing":
            return reply.failClosed(`the ${who}'s record is missing.`);
          case "saved":
            return reply.success(
              { state: stateView(result.saved), restoredVersion: version },
              `Restored version ${version} as version ${result.saved.version}: ${
                JSON.stringify(result.saved.state)
              }`,
            );
          case "unknown_version":
            return reply.refused(
              `version ${version} is not kept (it never existed or is older than the history). ` +
                "List what can be restored with user_get_history.",
            );
          case "version_conflict":
            return reply.refused(
              `the state changed since version ${expected_version}; it is now at version ${result.current.version}. ` +
                "Check user_get_history again, then restore with that expected_version.",
            );
          case "too_large":
            return reply.refused(
              `version ${version} is ${result.sizeBytes} bytes, over today's ${core.stateMaxBytes}-byte limit.`,
            );
        }
      },
    }),

    defineTool()({
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
      run: async ({ cursor }, { core, store, identity, reply }) => {
        const first = cursor === undefined;
        const [person, part, domain] = await Promise.all([
          first ? core.users.getUser(identity.sub) : Promise.resolve(undefined),
          core.users.exportHistory(identity.sub, { before: cursor, maxBytes: EXPORT_PART_BYTES }),
          first ? pack.export(store, identity.sub) : Promise.resolve(undefined),
        ]);
        if (person === null) return reply.failClosed(`the ${who}'s record is missing.`);
        const nextCursor = part.more ? part.entries.at(-1)?.id : undefined;
        const document = {
          schemaVersion: EXPORT_SCHEMA_VERSION,
          exportedAt: new Date().toISOString(),
          ...(person ? { profile: person.profile, state: stateView(person.saved), domain } : {}),
          history: part.entries.map((entry) => ({ ...entryView(entry), change: entry.change })),
          complete: nextCursor === undefined,
          ...(nextCursor === undefined ? {} : { nextCursor }),
        };
        const heading = first
          ? `Everything kept about ${person!.profile.email ?? person!.profile.id}`
          : `More of the history of changes kept about this ${who}`;
        const next = nextCursor === undefined
          ? ""
          : ` This is one part: call user_export again with cursor ${nextCursor} for the rest.`;
        return reply.success(
          { export: document },
          `${heading}.${next}\n${JSON.stringify(document)}`,
        );
      },
    }),

    defineTool()({
      name: "user_forget",
      title: `Delete everything kept about the ${who}`,
      description: `Deletes everything the ${brand.productName} keeps about the signed-in ${who} ` +
        "(profile, saved state, history and their data) and ends their sessions. Use it ONLY when " +
        "the person explicitly asks to be forgotten. It takes two calls: the first, without " +
        "`confirmation`, deletes nothing and returns what would be deleted and a confirmation " +
        "code; tell the person, and only if they confirm, call again with that code (valid for " +
        "5 minutes, in this session). It cannot be undone.",
      inputSchema: z.object({
        session: sessionArg,
        confirmation: z.string().max(200).optional().describe(
          "The code from the first call, once the person has confirmed",
        ),
      }).strict(),
      outputSchema: withReminder({
        forgotten: z.boolean(),
        willDelete: z.object({
          profile: z.boolean(),
          savedStateVersion: z.number().int(),
          historyEntries: z.number().int(),
          domain: z.array(z.string()).describe(`The ${brand.productName} data that goes too`),
        }).optional(),
        confirmation: z.object({ code: z.string(), expiresAt: z.string() }).optional(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
      access: "write",
      run: async ({ session, confirmation }, { core, store, identity, reply }) => {
        const purpose = "user_forget";
        // The gate has checked the session; this reads its id, to bind the code to it.
        const sessionId = await core.sessions.check(session, identity);
        if (confirmation === undefined) {
          const [record, historyEntries, domain] = await Promise.all([
            core.users.getUser(identity.sub),
            core.users.historyCount(identity.sub),
            pack.export(store, identity.sub),
          ]);
          const { code, expiresAt } = await core.sessions.confirmationCode(
            purpose,
            identity.sub,
            sessionId,
            FORGET_CODE_SECONDS,
          );
          const willDelete = {
            profile: record !== null,
            savedStateVersion: record?.saved.version ?? 0,
            historyEntries,
            domain: Object.keys(domain),
          };
          return reply.success(
            {
              forgotten: false,
              willDelete,
              confirmation: { code, expiresAt: new Date(expiresAt * 1000).toISOString() },
            },
            `Nothing was deleted yet. Deleting would remove the ${who}'s profile, their saved state ` +
              `(version ${willDelete.savedStateVersion}), ${willDelete.historyEntries} recorded changes` +
              (willDelete.domain.length ? ` and their ${willDelete.domain.join(", ")}` : "") +
              `, and end their sessions; it cannot be undone. Only if the person confirms, call ` +
              `user_forget again with confirmation "${code}" within 5 minutes.`,
          );
        }
        if (
          !(await core.sessions.checkConfirmationCode(
            purpose,
            identity.sub,
            sessionId,
            confirmation,
          ))
        ) {
          return reply.refused(
            "the confirmation code is not valid for this session, or has expired. Call user_forget " +
              "without it to get a new one — and only if the person asks.",
          );
        }
        // Sessions end first: a call still holding one could otherwise write the person back in
        // after the delete. If this fails, nothing has been deleted yet.
        await core.sessions.endAll(identity.sub);
        await core.forget(identity.sub);
        return reply.success(
          { forgotten: true },
          `Everything kept about this ${who} was deleted and their sessions ended. A new ` +
            "begin_session starts afresh, as a first visit.",
        );
      },
    }),
  ];
}
