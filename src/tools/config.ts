/**
 * `config_*`: how the assistant should behave here.
 *
 * @module
 */
import { z } from "zod";
import { defineTool } from "./definition.ts";
import { success, withReminder } from "./results.ts";
import { READ_ONLY, sessionArg } from "./schemas.ts";

/** The behaviour tools. */
export const configTools = [
  defineTool({
    name: "config_get_rules",
    title: "Read the house rules",
    description:
      "Returns the Reading Room's house rules again (begin_session already gives them), " +
      "for when you need to check how to handle a situation.",
    inputSchema: z.object({ session: sessionArg }).strict(),
    outputSchema: withReminder({ rules: z.string() }),
    annotations: READ_ONLY,
    gated: true,
    run: (_args, { deps }) => {
      const { rules } = deps.guidance;
      return Promise.resolve(success({ rules }, rules));
    },
  }),
  defineTool({
    name: "config_get_persona",
    title: "Read the librarian persona",
    description: "Returns the voice the Reading Room speaks in (begin_session already gives it), " +
      "for when you want to check the tone to take with this reader.",
    inputSchema: z.object({ session: sessionArg }).strict(),
    outputSchema: withReminder({ persona: z.string() }),
    annotations: READ_ONLY,
    gated: true,
    run: (_args, { deps }) => {
      const { persona } = deps.guidance;
      return Promise.resolve(success({ persona }, persona));
    },
  }),
];
