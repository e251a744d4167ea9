/**
 * `user_save_state`: saves what the person asked to remember, as a JSON merge patch.
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "../../../pack/mod.ts";
import { sessionArg, withReminder, WRITES } from "../../../pack/kit_side.ts";
import { defineKitTool, type KitToolDefinition } from "../../kit_tool.ts";
import { stateSchema, stateView } from "../views.ts";

/** `user_save_state`, in `brand`'s words. */
export function saveStateTool(brand: PackBrand): KitToolDefinition {
  const who = brand.userNoun;
  return defineKitTool({
    name: "user_save_state",
    title: `Save to the ${who}'s memory`,
    description: ({ stateMaxBytes }) =>
      `Saves what the ${who} asked you to remember, as a JSON merge patch (RFC 7396) on ` +
      "their saved state: keys you send are set (objects merge), a key set to null is removed, " +
      "keys you leave out stay as they are. Pass expected_version (from begin_session or " +
      "user_get_profile) so a save made meanwhile in another chat is not overwritten; if it is " +
      `refused, read the state again, re-apply, and retry. State is limited to ${
        sizeInWords(stateMaxBytes)
      }.`,
    inputSchema: z.object({
      session: sessionArg,
      patch: z.record(z.string(), z.unknown()).describe("JSON merge patch (an object)"),
      expected_version: z.number().int().min(0).optional().describe(
        "Only save if the state is still at this version",
      ),
    }).strict(),
    outputSchema: withReminder({ state: stateSchema(brand) }),
    annotations: WRITES,
    access: "write",
    run: async ({ patch, expected_version }, { core, identity, clientId, reply }) => {
      // Checked before the database: a patch larger than the whole state can never be saved.
      const patchBytes = new TextEncoder().encode(JSON.stringify(patch)).length;
      if (patchBytes > core.stateMaxBytes) {
        return reply.refused(
          `the patch is ${patchBytes} bytes, over the ${core.stateMaxBytes}-byte limit of the saved state. ` +
            "Save less at once.",
        );
      }
      const result = await core.users.savePatch(identity.sub, patch, {
        expectedVersion: expected_version,
        maxBytes: core.stateMaxBytes,
        write: { tool: "user_save_state", clientId },
      });
      switch (result.outcome) {
        case "missing":
          // A valid session implies begin_session recorded the person: not papered over.
          return reply.failClosed(`the ${who}'s record is missing.`);
        case "saved":
          return reply.success(
            { state: stateView(result.saved) },
            `Saved (version ${result.saved.version}): ${JSON.stringify(result.saved.state)}`,
          );
        case "version_conflict":
          return reply.refused(
            `the state changed since version ${expected_version}; it is now at version ${result.current.version}. ` +
              "Read it with user_get_profile, re-apply the change, and save with that expected_version.",
          );
        case "too_large":
          return reply.refused(
            `the state would be ${result.sizeBytes} bytes, over the ${core.stateMaxBytes}-byte limit. ` +
              "Save less, or remove keys by setting them to null.",
          );
      }
    },
  });
}

/** 65536 → "64 KiB"; sizes that are not whole KiB stay in bytes. */
export function sizeInWords(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}
