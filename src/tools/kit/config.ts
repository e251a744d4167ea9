/**
 * `config_*`: how the assistant should behave here (the pack's rules and persona).
 *
 * @module
 */
import { z } from "zod";
import type { PackBrand } from "../../pack/mod.ts";
import { READ_ONLY, sessionArg, withReminder } from "../../pack/kit_side.ts";
import { defineKitTool, type KitToolDefinition } from "../kit_tool.ts";

/** The `config_*` tools in `brand`'s words. */
export function configTools(brand: PackBrand): KitToolDefinition[] {
  const product = brand.productName;
  return [
    defineKitTool({
      name: "config_get_rules",
      title: "Read the house rules",
      description:
        `Returns the ${product}'s house rules again (begin_session already gives them), ` +
        "for when you need to check how to handle a situation.",
      inputSchema: z.object({ session: sessionArg }).strict(),
      outputSchema: withReminder({ rules: z.string() }),
      annotations: READ_ONLY,
      access: "read",
      checkBeside: true,
      run: (_args, { core, reply }) => {
        const { rules } = core.guidance;
        return Promise.resolve(reply.success({ rules }, rules));
      },
    }),
    defineKitTool({
      name: "config_get_persona",
      title: `Read the ${product} persona`,
      description: `Returns the voice the ${product} speaks in (begin_session already gives it), ` +
        `for when you want to check the tone to take with this ${brand.userNoun}.`,
      inputSchema: z.object({ session: sessionArg }).strict(),
      outputSchema: withReminder({ persona: z.string() }),
      annotations: READ_ONLY,
      access: "read",
      checkBeside: true,
      run: (_args, { core, reply }) => {
        const { persona } = core.guidance;
        return Promise.resolve(reply.success({ persona }, persona));
      },
    }),
  ];
}
