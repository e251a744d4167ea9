/**
 * `user_*`: who the reader is and what the Reading Room remembers for them.
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "./definition.ts";
import { failClosed, refused, success, withReminder } from "./results.ts";
import { ProfileSchema, READ_ONLY, sessionArg, StateSchema, stateView } from "./schemas.ts";

/** The reader tools. */
export const userTools = [
  defineTool({
    name: "user_get_profile",
    title: "Read the reader's profile and saved state",
    description: "Returns who the signed-in reader is and everything saved for them, with the " +
      "state's current version. Use it to refresh your view before saving, especially after a " +
      "save was refused because the version moved on.",
    inputSchema: z.object({ session: sessionArg }).strict(),
    outputSchema: withReminder({ profile: ProfileSchema, state: StateSchema }),
    annotations: READ_ONLY,
    gated: true,
    run: async (_args, { deps, identity }) => {
      const reader = await deps.store.getReader(identity.sub);
      // A valid session implies begin_session recorded the reader; anything else is not papered over.
      if (!reader) return failClosed("the reader's record is missing.");
      const { profile, saved } = reader;
      return success(
        { profile, state: stateView(saved) },
        `Reader ${profile.email ?? profile.id}. Saved state (version ${saved.version}): ${
          JSON.stringify(saved.state)
        }`,
      );
    },
  }),

  defineTool({
    name: "user_save_state",
    title: "Save to the reader's memory",
    description:
      "Saves what the reader asked you to remember, as a JSON merge patch (RFC 7396) on " +
      "their saved state: keys you send are set (objects merge), a key set to null is removed, " +
      "keys you leave out stay as they are. Pass expected_version (from begin_session or " +
      "user_get_profile) so a save made meanwhile in another chat is not overwritten; if it is " +
      "refused, read the state again, re-apply, and retry. State is limited to 64 KiB.",
    inputSchema: z.object({
      session: sessionArg,
      patch: z.record(z.string(), z.unknown()).describe("JSON merge patch (an object)"),
      expected_version: z.number().int().min(0).optional().describe(
        "Only save if the state is still at this version",
      ),
    }).strict(),
    outputSchema: withReminder({ state: StateSchema }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    gated: true,
    run: async ({ patch, expected_version }, { deps, identity }) => {
      // Checked before the database: a patch larger than the whole state can never be saved.
      const patchBytes = new TextEncoder().encode(JSON.stringify(patch)).length;
      if (patchBytes > deps.stateMaxBytes) {
        return refused(
          `the patch is ${patchBytes} bytes, over the ${deps.stateMaxBytes}-byte limit of the saved state. ` +
            "Save less at once.",
        );
      }
      const result = await deps.store.savePatch(identity.sub, patch, {
        expectedVersion: expected_version,
        maxBytes: deps.stateMaxBytes,
      });
      switch (result.outcome) {
        case "saved":
          return success(
            { state: stateView(result.saved) },
            `Saved (version ${result.saved.version}): ${JSON.stringify(result.saved.state)}`,
          );
        case "version_conflict":
          return refused(
            `the state changed since version ${expected_version}; it is now at version ${result.current.version}. ` +
              "Read it with user_get_profile, re-apply the change, and save with that expected_version.",
          );
        case "too_large":
          return refused(
            `the state would be ${result.sizeBytes} bytes, over the ${deps.stateMaxBytes}-byte limit. ` +
              "Save less, or remove keys by setting them to null.",
          );
      }
    },
  }),
];
