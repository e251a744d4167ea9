import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { z } from "zod";
import { defineTool, type Pack, READ_ONLY, sessionArg } from "../pack/mod.ts";
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
      "access",
    ],
    ["a tool without an example", probePack([probeTool()], {}), "no example"],
    [
      "a tool asking to run beside the session check",
      probePack([probeTool({ checkBeside: true })]),
      "beside",
    ],
    ["two tools with one name", probePack([probeTool(), probeTool()]), "used twice"],
    [
      "a tool missing a behaviour hint",
      probePack([probeTool({ annotations: { readOnlyHint: true, destructiveHint: false } })]),
      "must state idempotentHint, openWorldHint",
    ],
    [
      "a write that says it only reads",
      probePack([probeTool({ access: "write" })]),
      'declared access "write" but says readOnlyHint: true',
    ],
    [
      "a read that says it destroys",
      probePack([probeTool({ annotations: { ...READ_ONLY, destructiveHint: true } })]),
      "a read destroys nothing",
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
