/**
 * `user_get_profile`: who the person is and everything saved for them.
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "../../../pack/mod.ts";
import { READ_ONLY, sessionArg, withReminder } from "../../../pack/kit_side.ts";
import { defineKitTool, type KitToolDefinition } from "../../kit_tool.ts";
import { profileSchema, stateSchema, stateView } from "../views.ts";

/** `user_get_profile`, in `brand`'s words. */
export function getProfileTool(brand: PackBrand): KitToolDefinition {
  const who = brand.userNoun;
  return defineKitTool({
    name: "user_get_profile",
    title: `Read the ${who}'s profile and saved state`,
    description: `Returns who the signed-in ${who} is and everything saved for them, with the ` +
      "state's current version. Use it to refresh your view before saving, especially after a " +
      "save was refused because the version moved on.",
    inputSchema: z.object({ session: sessionArg }).strict(),
    outputSchema: withReminder({ profile: profileSchema(brand), state: stateSchema(brand) }),
    annotations: READ_ONLY,
    access: "read",
    checkBeside: true,
    run: async (_args, { core, identity, reply }) => {
      const person = await core.users.getUser(identity.sub);
      // A valid session implies begin_session recorded the person; anything else is not papered over.
      if (!person) return reply.failClosed(`the ${who}'s record is missing.`);
      const { profile, saved } = person;
      return reply.success(
        { profile, state: stateView(saved) },
        `${capitalized(who)} ${
          profile.email ?? profile.id
        }. Saved state (version ${saved.version}): ${JSON.stringify(saved.state)}`,
      );
    },
  });
}

function capitalized(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
