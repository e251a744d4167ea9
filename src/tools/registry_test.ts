import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { z } from "zod";
import { defineTool, type Pack } from "../pack/mod.ts";
import { DESTRUCTIVE, READ_ONLY, WRITES } from "../pack/kit_side.ts";
import { allPacks } from "../domains/registry.ts";
import { buildToolRegistry, PackContractError } from "./registry.ts";
import { openChat } from "../../tests/helpers/mcp_client.ts";
import { probePack, probeTool } from "../../tests/helpers/probe_pack.ts";
import { startTestServer } from "../../tests/helpers/server.ts";

const probe = probePack();
const TEXTS = { brand: probe.brand, sessionMinutes: 45, stateMaxBytes: 100_000 };

for (const pack of await allPacks()) {
  Deno.test(`${pack.id}: the kit's tools stand around the pack's, in listing order`, () => {
    const names = buildToolRegistry(pack, { ...TEXTS, brand: pack.brand }).tools.map((x) => x.name);
    assertEquals(names, [
      "begin_session",
      "end_session",
      ...pack.tools.map((tool) => tool.name),
      "user_get_profile",
      "user_save_state",
      "user_get_history",
      "user_restore_state",
      "user_export",
      "user_forget",
      "config_get_rules",
      "config_get_persona",
      "health",
    ]);
  });
}

Deno.test("the registry holds a pack's tools to the contract", async (t) => {
  await t.step("descriptions follow the configuration", () => {
    const tools = buildToolRegistry(probe, TEXTS).tools;
    const describe = (name: string) => tools.find((x) => x.name === name)!.description;
    assertStringIncludes(describe("begin_session"), "about 45 minutes");
    assertStringIncludes(describe("user_save_state"), "limited to 100000 bytes");
    const kib = buildToolRegistry(probe, { ...TEXTS, stateMaxBytes: 65_536 });
    assertStringIncludes(
      kib.tools.find((x) => x.name === "user_save_state")!.description,
      "limited to 64 KiB",
    );
  });
  const refusals: [string, Pack, string][] = [
    [
      "a tool without the domain_ prefix",
      probePack([probeTool({ name: "search" })]),
      "domain_<name>",
    ],
    [
      "a tool named like a kit tool",
      probePack([probeTool({ name: "user_get_profile" })]),
      "domain_<name>",
    ],
    [
      "a tool without a session",
      probePack([probeTool({ session: "none" })]),
      "must require a session",
    ],
    [
      "a tool without an access declaration",
      probePack([probeTool({ access: undefined })]),
      'must declare access "read", "write" or "destructive"',
    ],
    [
      "a tool declaring an access the kit does not know",
      probePack([probeTool({ access: "delete" })]),
      'must declare access "read", "write" or "destructive"',
    ],
    [
      "a tool without an example",
      probePack([probeTool({ example: undefined })]),
      "has no example call",
    ],
    [
      "a tool declaring the session argument itself",
      probePack([probeTool({ inputSchema: z.object({ session: z.string() }) })]),
      'tool "domain_probe" declares session in its inputSchema',
    ],
    [
      "a tool declaring the reminder in its output",
      probePack([probeTool({ outputSchema: z.object({ ok: z.boolean(), reminder: z.string() }) })]),
      'tool "domain_probe" declares reminder in its outputSchema',
    ],
    [
      "a tool declaring the guidance in its output",
      probePack([
        probeTool({
          outputSchema: z.object({ guidance: z.array(z.string()), reminder: z.string() }),
        }),
      ]),
      "declares guidance and reminder in its outputSchema",
    ],
    [
      "a tool stating the hints the kit derives",
      probePack([probeTool({ annotations: READ_ONLY })]),
      "the kit derives all four hints from access",
    ],
    [
      "a tool saying idempotent in a word, not a boolean",
      probePack([probeTool({ access: "write", idempotent: "yes" })]),
      'says idempotent: "yes"; use true or false',
    ],
    [
      "an input schema that is not a zod object",
      probePack([probeTool({ inputSchema: z.string() })]),
      "must have an inputSchema made with z.object",
    ],
    [
      "an input schema whose nested object lets unknown keys through",
      probePack([probeTool({
        inputSchema: z.object({
          filter: z.object({ tag: z.string() }),
          items: z.array(z.object({ id: z.string() }).passthrough()).optional(),
          ok: z.object({ id: z.string() }).strict(),
        }),
        example: { filter: { tag: "x" } },
      })]),
      "lets keys it does not name through at filter, items[]",
    ],
    [
      "a tool asking to run beside the session check",
      probePack([probeTool({ checkBeside: true })]),
      "beside",
    ],
    ["two tools with one name", probePack([probeTool(), probeTool()]), "used twice"],
  ];
  for (const [label, pack, message] of refusals) {
    await t.step(`refused: ${label}`, () => {
      const error = assertThrows(() => buildToolRegistry(pack, TEXTS), PackContractError);
      assertStringIncludes((error as Error).message, message);
      assertStringIncludes((error as Error).message, pack.id);
    });
  }
});

Deno.test("the kit adds the session, the reminder and the hints to a pack's tool", async (t) => {
  const listed = (pack: Pack, name = "domain_probe") =>
    buildToolRegistry(pack, TEXTS).tools.find((x) => x.name === name)!;
  const json = (schema: { "~standard": unknown }, io: "input" | "output") =>
    (schema["~standard"] as {
      jsonSchema: Record<typeof io, (o: { target: string }) => Record<string, unknown>>;
    }).jsonSchema[io]({ target: "draft-2020-12" });
  await t.step("the input: session first, required, and nothing the schema does not name", () => {
    const tool = listed(probePack([probeTool({
      inputSchema: z.object({ query: z.string(), limit: z.number().optional() }),
      example: { query: "x" },
    })]));
    const input = json(tool.inputSchema, "input");
    assertEquals(Object.keys(input.properties as object), ["session", "query", "limit"]);
    assertEquals(input.required, ["session", "query"]);
    assertEquals(input.additionalProperties, false);
  });
  await t.step("the output: the pack's fields, then guidance and reminder", () => {
    const output = json(listed(probePack()).outputSchema, "output");
    assertEquals(Object.keys(output.properties as object), ["ok", "guidance", "reminder"]);
    assertEquals(output.required, ["ok", "reminder"]);
  });
  await t.step("the four hints, from access, idempotent and openWorld", () => {
    const hints = (overrides: Record<string, unknown>) =>
      listed(probePack([probeTool(overrides)])).definition.annotations;
    assertEquals(hints({}), READ_ONLY);
    assertEquals(hints({ idempotent: false }), READ_ONLY, "a read is always idempotent");
    assertEquals(hints({ access: "write" }), WRITES);
    assertEquals(hints({ access: "write", idempotent: true }), { ...WRITES, idempotentHint: true });
    assertEquals(hints({ access: "destructive" }), DESTRUCTIVE);
    assertEquals(hints({ openWorld: true }), { ...READ_ONLY, openWorldHint: true });
  });
  await t.step("a destructive tool runs as a write (one transaction, in the history)", () => {
    const tool = listed(probePack([probeTool({ access: "destructive" })]));
    assertEquals(tool.definition.access, "write");
  });
  await t.step("the object's own checks and description survive", async () => {
    const tool = listed(probePack([probeTool({
      inputSchema: z.object({ from: z.number(), to: z.number() })
        .refine((v) => v.from < v.to, { message: "from must come before to", path: ["to"] })
        .describe("A range"),
      example: { from: 1, to: 2 },
    })]));
    assertEquals(json(tool.inputSchema, "input").description, "A range");
    const checked = await tool.definition.inputSchema.safeParseAsync({
      session: "s",
      from: 3,
      to: 2,
    });
    assert(!checked.success);
    assertStringIncludes(checked.error.message, "from must come before to");
  });
});

Deno.test("a pack tool's schema written without .strict() refuses unknown arguments", async () => {
  const search = defineTool()({
    name: "domain_search",
    title: "Search",
    description: "Finds things; its input schema was written without .strict().",
    access: "read",
    inputSchema: z.object({ limit: z.number().int().min(1).max(5).optional() }),
    outputSchema: z.object({ limit: z.number() }),
    example: { limit: 2 },
    run: ({ limit }, { reply }) =>
      Promise.resolve(reply.success({ limit: limit ?? 5 }, `limit ${limit ?? 5}`)),
  });
  await using server = await startTestServer({}, { pack: probePack([search]) });
  await using chat = await openChat(server, "misspeller");
  const { session } = await chat.begin();
  assertEquals((await chat.call("domain_search", { session, limit: 2 })).data.limit, 2);
  for (const [key, value] of [["lmit", 2], ["user_id", "bo"]] as const) {
    const result = await chat.call("domain_search", { session, [key]: value });
    assert(result.isError, `${key} was accepted: ${result.text}`);
    assertStringIncludes(result.text, "Request refused");
    assertStringIncludes(result.text, `"${key}"`);
  }
});

Deno.test("a pack tool declared read still runs only after the session check", async () => {
  let ran = 0;
  const peek = defineTool()({
    name: "domain_peek",
    title: "Peek",
    description: "A mislabelled tool: declared read, but it changes things.",
    access: "read",
    inputSchema: z.object({}),
    outputSchema: z.object({ ok: z.boolean() }),
    example: {},
    run: (_args, { reply }) => {
      ran++;
      return Promise.resolve(reply.success({ ok: true }, "ok"));
    },
  });
  const pack = probePack([peek]);
  await using server = await startTestServer({}, { pack });
  await using chat = await openChat(server, "peeker");
  for (const session of [undefined, "", "forged.session.token"]) {
    const result = await chat.call("domain_peek", session === undefined ? {} : { session });
    assertEquals(result.isError, true);
  }
  assertEquals(ran, 0, "its work ran without a session");
  const { session } = await chat.begin();
  assertEquals((await chat.call("domain_peek", { session })).isError, false);
  assertEquals(ran, 1);
});
