/**
 * Hosts built on the v1 MCP SDK check a result's structured content against the tool's output
 * schema even when the result is an error (typescript-sdk #1943): a failure must reach their model
 * as its text, not as a protocol error.
 *
 * @module
 */
import { assert, assertStringIncludes } from "@std/assert";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { REFUSED_PREFIX } from "../../src/pack/mod.ts";
import { startTestServer } from "../helpers/server.ts";

Deno.test("a v1 SDK client gets refusals and fail-closed answers as results", async () => {
  await using server = await startTestServer();
  const client = new Client({ name: "v1-host", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${await server.mint({ sub: "v1" })}` } },
    }),
  );
  try {
    const text = (result: Awaited<ReturnType<typeof client.callTool>>) =>
      (result.content as { text: string }[]).map((c) => c.text).join("\n");
    // A host lists the tools first: that is when the v1 client learns the output schemas.
    await client.listTools();
    const begun = await client.callTool({ name: "begin_session", arguments: {} });
    const session = (begun.structuredContent as { session: { token: string } }).session.token;
    const refused = await client.callTool({
      name: "domain_get_item",
      arguments: { session, id: "a9999" },
    });
    assert(refused.isError);
    assertStringIncludes(text(refused), REFUSED_PREFIX);
    const closed = await client.callTool({ name: "user_get_profile", arguments: { session: "x" } });
    assert(closed.isError);
    assertStringIncludes(text(closed), "session cannot continue");
  } finally {
    await client.close();
  }
});
