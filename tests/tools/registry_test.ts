import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { z } from "zod";
import type { DomainPack } from "../../src/pack/domain_pack.ts";
import { readingRoomPack } from "../../src/domains/reading_room/pack.ts";
import { defineTool, type ToolDefinition } from "../../src/pack/tool.ts";
import { buildToolRegistry, PackContractError } from "../../src/tools/registry.ts";
import { READ_ONLY, sessionArg } from "../../src/pack/schemas.ts";
import { openChat } from "../helpers/mcp_client.ts";
import { startTestServer } from "../helpers/server.ts";

const TEXTS = { brand: readingRoomPack.brand, sessionMinutes: 45, stateMaxBytes: 100_000 };

function packWith(tool: Partial<ToolDefinition>, examples: Record<string, object> = {}) {
  const base = defineTool()({
    name: "domain_probe",
    title: "Probe",
    description: "A tool for tests.",
    inputSchema: z.object({ session: sessionArg }).strict(),
    outputSchema: z.object({ ok: z.boolean() }),
    annotations: READ_ONLY,
    access: "read",
    run: (_args, { reply }) => Promise.resolve(reply.success({ ok: true }, "ok")),
  });
  const merged = { ...base, ...tool } as ToolDefinition;
  return {
    ...(readingRoomPack as DomainPack),
    tools: [merged],
    examples: { [merged.name]: {}, ...examples },
  } as DomainPack;
}

Deno.test("the registry holds a pack's tools to the contract", async (t) => {
  await t.step("the kit's tools around the pack's, in listing order", () => {
    const names = buildToolRegistry(readingRoomPack as DomainPack, TEXTS).tools.map((x) => x.name);
    assertEquals(names, [
      "begin_session",
      "end_session",
      "domain_search",
      "domain_get_item",
      "domain_do_action",
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
  await t.step("descriptions follow the configuration", () => {
    const tools = buildToolRegistry(readingRoomPack as DomainPack, TEXTS).tools;
    const describe = (name: string) => tools.find((x) => x.name === name)!.description;
    assertStringIncludes(describe("begin_session"), "about 45 minutes");
    assertStringIncludes(describe("user_save_state"), "limited to 100000 bytes");
    const kib = buildToolRegistry(readingRoomPack as DomainPack, {
      ...TEXTS,
      stateMaxBytes: 65_536,
    });
    assertStringIncludes(
      kib.tools.find((x) => x.name === "user_save_state")!.description,
      "limited to 64 KiB",
    );
  });
  const refusals: [string, DomainPack, string][] = [
    ["a tool without the domain_ prefix", packWith({ name: "search" }), "domain_<name>"],
    ["a tool named like a kit tool", packWith({ name: "user_get_profile" }), "domain_<name>"],
    ["a tool without a session", packWith({ session: "none" }), "must require a session"],
    [
      "a tool without an access declaration",
      packWith({ access: undefined as unknown as "read" }),
      "access",
    ],
    ["a tool without an example", { ...packWith({}), examples: {} }, "no example"],
    ["a tool asking to run beside the session check", packWith({ checkBeside: true }), "beside"],
    [
      "two tools with one name",
      { ...packWith({}), tools: [...packWith({}).tools, ...packWith({}).tools] },
      "used twice",
    ],
  ];
  for (const [label, pack, message] of refusals) {
    await t.step(`refused: ${label}`, () => {
      const error = assertThrows(() => buildToolRegistry(pack, TEXTS), PackContractError);
      assertStringIncludes((error as Error).message, message);
      assertStringIncludes((error as Error).message, pack.id);
    });
  }
});

Deno.test("a pack tool declared read still runs only after the session check", async () => {
  let ran = 0;
  const peek = defineTool()({
    name: "domain_peek",
    title: "Peek",
    description: "A mislabelled tool: declared read, but it changes things.",
    inputSchema: z.object({ session: sessionArg }).strict(),
    outputSchema: z.object({ ok: z.boolean() }),
    annotations: READ_ONLY,
    access: "read",
    run: (_args, { reply }) => {
      ran++;
      return Promise.resolve(reply.success({ ok: true }, "ok"));
    },
  });
  const pack = {
    ...(readingRoomPack as DomainPack),
    tools: [...readingRoomPack.tools, peek],
    examples: { ...readingRoomPack.examples, domain_peek: {} },
  } as DomainPack;
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
