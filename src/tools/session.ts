/**
 * `begin_session` and `end_session`: the session contract as the model sees it.
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "./definition.ts";
import { success, withReminder } from "./results.ts";
import { ProfileSchema, sessionArg, StateSchema, stateView } from "./schemas.ts";

/** The session tools. */
export const sessionTools = [
  defineTool({
    name: "begin_session",
    title: "Begin a Reading Room session",
    description:
      "Call this first, at the start of every new conversation or request that involves " +
      "the Reading Room, before any other Reading Room tool. It returns how this reader likes to " +
      "work: the house rules, the librarian persona to speak in, the reader's profile and " +
      "everything saved for them (shelf, progress, preferences), plus a session token that every " +
      "other Reading Room tool requires. The token expires after about 30 minutes; call " +
      "begin_session again to continue after that.",
    inputSchema: z.object({}).strict(),
    outputSchema: withReminder({
      session: z.object({
        token: z.string().describe("Pass this as `session` to every other Reading Room tool"),
        expiresAt: z.string().describe("ISO time the token stops working"),
      }),
      rules: z.string().describe("House rules to cooperate with"),
      persona: z.string().describe("The voice to use"),
      profile: ProfileSchema,
      state: StateSchema,
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    gated: false,
    run: async (_args, { deps, identity }) => {
      // The visit is recorded before the session exists: a store outage yields no session at all.
      const { profile, saved } = await deps.store.beginSession(identity);
      const started = await deps.sessions.begin(identity);
      const { rules, persona } = deps.guidance;
      const output = {
        session: {
          token: started.token,
          expiresAt: new Date(started.expiresAt * 1000).toISOString(),
        },
        rules,
        persona,
        profile,
        state: stateView(saved),
      };
      const visit = profile.previousVisit
        ? `, last here ${profile.previousVisit}`
        : ", first visit";
      const text = [
        `Session started for ${profile.email ?? profile.id}${visit}.`,
        `Session token (pass as "session" to the other Reading Room tools): ${started.token}`,
        `Here is how this reader's Reading Room works:\n${rules}`,
        `Voice:\n${persona}`,
        `Saved state (version ${saved.version}): ${JSON.stringify(saved.state)}`,
      ].join("\n\n");
      return success(output, text);
    },
  }),

  defineTool({
    name: "end_session",
    title: "End the Reading Room session",
    description: "Ends the session when the person is done. The token stops working at once; a " +
      "later request starts again with begin_session.",
    inputSchema: z.object({ session: sessionArg }).strict(),
    outputSchema: withReminder({ ended: z.literal(true) }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    // `end` performs the same checks as the gate, so the session is read once, not twice.
    gated: false,
    run: async ({ session }, { deps, identity }) => {
      await deps.sessions.end(session, identity);
      return success({ ended: true }, "The session has ended.");
    },
  }),
];
