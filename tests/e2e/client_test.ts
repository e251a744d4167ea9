import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { startTestServer } from "../helpers/server.ts";

type Era = { name: string; negotiation?: { mode: { pin: string } }; expectHeader: string };

const ERAS: Era[] = [
  { name: "2025-11-25 client (initialize handshake)", expectHeader: "2025-11-25" },
  {
    name: "2026-07-28 client (per-request envelope)",
    negotiation: { mode: { pin: "2026-07-28" } },
    expectHeader: "2026-07-28",
  },
];

Deno.test("the real MCP client lists tools and calls health in both protocol eras", async (t) => {
  await using server = await startTestServer();
  for (const era of ERAS) {
    await t.step(era.name, async () => {
      const token = await server.mint({ sub: "reader-42", email: "r42@example.com" });
      const versionsSeen = new Set<string>();
      const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
        fetch: async (input, init) => {
          const version = new Headers(init?.headers).get("mcp-protocol-version");
          if (version) versionsSeen.add(version);
          return await fetch(input, init);
        },
      });
      const client = new Client(
        { name: "reading-room-test", version: "1.0.0" },
        era.negotiation ? { versionNegotiation: era.negotiation } : {},
      );
      await client.connect(transport);
      try {
        const { tools } = await client.listTools();
        const health = tools.find((tool) => tool.name === "health");
        assert(health, "health is listed");
        assert(health.description && health.description.length > 40, "health has a description");
        assertEquals(health.annotations?.readOnlyHint, true);
        assertEquals((health.outputSchema as { type: string }).type, "object");

        const result = await client.callTool({ name: "health", arguments: {} });
        assertEquals(result.isError ?? false, false);
        const output = result.structuredContent as Record<string, unknown>;
        assertEquals(output.status, "ok");
        assertEquals(output.signedInAs, "reader-42");
        assert((output.protocolRevisions as string[]).includes(era.expectHeader));
        const text = (result.content as { type: string; text: string }[])[0].text;
        assertStringIncludes(text, "reader-42");
        assert(versionsSeen.has(era.expectHeader), `saw ${[...versionsSeen]}`);
        assertEquals(versionsSeen.size, 1);
      } finally {
        await client.close();
      }
    });
  }
});

Deno.test("the real client surfaces a 401 when it has no token", async () => {
  await using server = await startTestServer();
  const client = new Client({ name: "anonymous", version: "1.0.0" });
  let failed = false;
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl)));
  } catch (error) {
    failed = true;
    assertStringIncludes(String(error), "unauthorized");
  } finally {
    await client.close();
  }
  assert(failed, "connected without a token");
});
