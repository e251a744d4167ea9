/**
 * Benchmark target (b), the peer: the MCP SDK's stateless server as its documentation builds it —
 * `createMcpHandler` with a per-request `McpServer` and one `echo` tool, served bare with
 * `Deno.serve`, no authentication.
 *
 * @module
 */
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: "echo", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes the message back", inputSchema: z.object({ message: z.string() }) },
    ({ message }) => ({ content: [{ type: "text", text: message }] }),
  );
  return server;
});
const server = Deno.serve(
  { port: 0, hostname: "127.0.0.1", onListen: () => {} },
  (request) => handler.fetch(request),
);
console.log(`listening on http://127.0.0.1:${server.addr.port}`);
