/**
 * `config_*`: how the assistant should behave here.
 *
 * @module
 */
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Identity } from "../auth/identity.ts";
import { gated, type ToolDependencies } from "./gate.ts";
import { success, withReminder } from "./results.ts";
import { READ_ONLY, sessionArg } from "./schemas.ts";

/** Registers the behaviour tools. */
export function registerConfigTools(server: McpServer, deps: ToolDependencies, identity: Identity) {
  server.registerTool(
    "config_get_rules",
    {
      title: "Read the house rules",
      description:
        "Returns the Reading Room's house rules again (begin_session already gives them), " +
        "for when you need to check how to handle a situation.",
      inputSchema: z.object({ session: sessionArg }).strict(),
      outputSchema: withReminder({ rules: z.string() }),
      annotations: READ_ONLY,
    },
    ({ session }) =>
      gated(deps, identity, session, () => {
        const { rules } = deps.guidance;
        return Promise.resolve(success({ rules }, rules));
      }),
  );

  server.registerTool(
    "config_get_persona",
    {
      title: "Read the librarian persona",
      description: "Returns the voice the Reading Room speaks in (begin_session already gives it).",
      inputSchema: z.object({ session: sessionArg }).strict(),
      outputSchema: withReminder({ persona: z.string() }),
      annotations: READ_ONLY,
    },
    ({ session }) =>
      gated(deps, identity, session, () => {
        const { persona } = deps.guidance;
        return Promise.resolve(success({ persona }, persona));
      }),
  );
}
