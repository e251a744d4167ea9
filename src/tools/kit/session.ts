/**
 * `begin_session` and `end_session`: the session contract as the model sees it.
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "../../pack/mod.ts";
import { sessionArg, withReminder, WRITES } from "../../pack/kit_side.ts";
import { defineKitTool, type KitToolDefinition } from "../kit_tool.ts";
import { profileSchema, stateSchema, stateView } from "./views.ts";

/**
 * The session tools in `brand`'s words; `domainSchema` is the shape of what the pack adds to
 * `begin_session`'s output, when it adds anything.
 */
export function sessionTools(brand: PackBrand, domainSchema?: z.ZodObject): KitToolDefinition[] {
  const product = brand.productName;
  return [
    defineKitTool({
      name: "begin_session",
      title: `Begin a ${product} session`,
      description: ({ sessionMinutes }) =>
        "Call this first, at the start of every new conversation or request that involves " +
        `the ${product}, before any other ${product} tool. It returns how this ${brand.userNoun} likes to ` +
        `work: the house rules, the persona to speak in, the ${brand.userNoun}'s profile and ` +
        "everything saved for them, plus a session token that every " +
        `other ${product} tool requires. The token expires after about ${sessionMinutes} minutes; call ` +
        "begin_session again to continue after that.",
      inputSchema: z.object({}).strict(),
      outputSchema: withReminder({
        session: z.object({
          token: z.string().describe(`Pass this as \`session\` to every other ${product} tool`),
          expiresAt: z.string().describe("ISO time the token stops working"),
        }),
        rules: z.string().describe("House rules to cooperate with"),
        persona: z.string().describe("The voice to use"),
        profile: profileSchema(brand),
        state: stateSchema(brand),
        ...(domainSchema ? { domain: domainSchema } : {}),
      }),
      annotations: WRITES,
      access: "write",
      session: "none",
      run: async (_args, { core, pack, identity, reply }) => {
        // The visit is recorded before the session exists: a store outage yields no session at all.
        const [{ profile, saved }, domain] = await Promise.all([
          core.users.beginSession(identity),
          // As the person, like every pack call: a policy FORCEd on the pack's tables holds an
          // owner that is not a superuser too (store/isolation.ts).
          core.asPerson(identity.sub, () => pack.beginSession(identity)),
        ]);
        const started = await core.sessions.begin(identity);
        const { rules, persona } = core.guidance;
        const output = {
          session: {
            token: started.token,
            expiresAt: new Date(started.expiresAt * 1000).toISOString(),
          },
          rules,
          persona,
          profile,
          state: stateView(saved),
          ...(domain ? { domain: domain.data } : {}),
        };
        const visit = profile.previousVisit
          ? `, last here ${profile.previousVisit}`
          : ", first visit";
        const text = [
          `Session started for ${profile.email ?? profile.id}${visit}.`,
          `Session token: ${started.token}`,
          `Here is how this ${brand.userNoun}'s ${product} works:\n${rules}`,
          `Voice:\n${persona}`,
          `Saved state (version ${saved.version}): ${JSON.stringify(saved.state)}`,
          ...(domain ? [domain.text] : []),
        ].join("\n\n");
        return reply.success(output, text, [
          `Pass the session token as "session" to every other ${product} tool. It stops working ` +
          `at ${output.session.expiresAt}; then call begin_session again.`,
          "Work by the house rules and speak in the persona above.",
        ]);
      },
    }),

    defineKitTool({
      name: "end_session",
      title: `End the ${product} session`,
      description: "Ends the session when the person is done. The token stops working at once; a " +
        "later request starts again with begin_session.",
      inputSchema: z.object({ session: sessionArg }).strict(),
      outputSchema: withReminder({ ended: z.literal(true) }),
      annotations: WRITES,
      access: "write",
      // `end` performs the same checks as the gate, so the session is read once, not twice.
      session: "none",
      run: async ({ session }, { core, identity, reply }) => {
        await core.sessions.end(session, identity);
        return reply.success({ ended: true }, "The session has ended.");
      },
    }),
  ];
}
