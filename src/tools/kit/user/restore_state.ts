/**
 * `user_restore_state`: brings an earlier version of the saved state back, as a new version.
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "../../../pack/mod.ts";
import { sessionArg, withReminder, WRITES } from "../../../pack/kit_side.ts";
import { defineKitTool, type KitToolDefinition } from "../../kit_tool.ts";
import { stateSchema, stateView } from "../views.ts";

/** `user_restore_state`, in `brand`'s words. */
export function restoreStateTool(brand: PackBrand): KitToolDefinition {
  const who = brand.userNoun;
  return defineKitTool({
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
  });
}
