/**
 * A pack tool's arguments as every client can call them: start-up refuses a union of objects as an
 * argument, naming the pack, the tool, the argument and the fix, and lets other unions through.
 *
 * @module
 */
import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { z } from "zod";
import { allPacks } from "../domains/registry.ts";
import { probePack, probeTool } from "../../tests/helpers/probe_pack.ts";
import { PackContractError, packToolOf } from "./pack_tool.ts";
import { portabilityProblems, portableSchema } from "./portable_schema.ts";

const Open = z.object({ type: z.literal("open"), at: z.string() }).strict();
const Close = z.object({ type: z.literal("close"), id: z.string() }).strict();

Deno.test("start-up refuses an argument that is a union of objects", async (t) => {
  const refused = (inputSchema: z.ZodObject, example: Record<string, unknown>) => {
    const pack = probePack([probeTool({ access: "write", inputSchema, example })]);
    return assertThrows(() => packToolOf(pack.id, pack.tools[0]), PackContractError).message;
  };
  await t.step("a discriminated union: named with its argument and the fix", () => {
    const message = refused(
      z.object({ action: z.discriminatedUnion("type", [Open, Close]) }),
      { action: { type: "open", at: "10:00" } },
    );
    assertStringIncludes(message, 'Domain pack "probe": tool "domain_probe"');
    assertStringIncludes(message, "takes a union of objects as its argument action:");
    assertStringIncludes(message, "LangChain's MCP adapter");
    assertStringIncludes(message, "split it into one tool per variant, or one flat object");
  });
  await t.step("a plain union, nested in a list: its path", () => {
    const message = refused(
      z.object({ steps: z.array(z.union([Open, Close])), note: z.string().optional() }),
      { steps: [] },
    );
    assertStringIncludes(message, "as its argument steps[]:");
  });
  await t.step("two of them: both named", () => {
    const message = refused(
      z.object({ first: z.union([Open, Close]), then: z.union([Open, Close]).optional() }),
      { first: { type: "open", at: "10:00" } },
    );
    assertStringIncludes(message, "as its arguments first, then:");
  });
  await t.step("unions of scalars, and a nullable object, are served as they are", () => {
    const pack = probePack([probeTool({
      inputSchema: z.object({
        either: z.union([z.string(), z.number()]).optional(),
        kind: z.enum(["a", "b"]).optional(),
        when: Open.nullable().optional(),
        anything: z.unknown().optional(),
      }),
      example: {},
    })]);
    assertEquals(packToolOf(pack.id, pack.tools[0]).name, "domain_probe");
  });
});

for (const pack of await allPacks()) {
  Deno.test(`${pack.id}: every tool's arguments are portable as listed`, () => {
    for (const tool of pack.tools) {
      const listed = packToolOf(pack.id, tool).inputSchema;
      const json = portableSchema(z.toJSONSchema(listed, { io: "input" }));
      assertEquals(portabilityProblems(json, { arguments: true }), [], tool.name);
    }
  });
}
