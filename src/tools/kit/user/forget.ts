/**
 * `user_forget`: deletes everything kept about the person, in two steps (confirm first).
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "../../../pack/mod.ts";
import { DESTRUCTIVE, sessionArg, withReminder } from "../../../pack/kit_side.ts";
import { defineKitTool, type KitToolDefinition } from "../../kit_tool.ts";

/** How long a forget confirmation code stays valid. */
const FORGET_CODE_SECONDS = 5 * 60;

/** `user_forget`, in `brand`'s words. */
export function forgetTool(brand: PackBrand): KitToolDefinition {
  const who = brand.userNoun;
  return defineKitTool({
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
    annotations: DESTRUCTIVE,
    access: "write",
    run: async ({ session, confirmation }, { core, pack, identity, reply }) => {
      const purpose = "user_forget";
      // The gate has checked the session; this reads its id, to bind the code to it.
      const sessionId = await core.sessions.check(session, identity);
      if (confirmation === undefined) {
        const [record, historyEntries, domain] = await Promise.all([
          core.users.getUser(identity.sub),
          core.users.historyCount(identity.sub),
          // As the person, like every call of the pack (store/isolation.ts).
          core.asPerson(identity.sub, () => pack.export(identity.sub)),
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
            ", and end their sessions.",
          [
            "Tell the person what would be deleted and that it cannot be undone.",
            `Only if the person confirms, call user_forget again with confirmation "${code}" within 5 minutes.`,
          ],
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
        `Everything kept about this ${who} was deleted and their sessions ended.`,
        ["If the person wants to go on, begin_session starts afresh, as a first visit."],
      );
    },
  });
}
