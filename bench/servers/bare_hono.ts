/**
 * Benchmark target (a), the limit: a bare Hono JSON route in the same process shape as the
 * connector (Deno.serve → Hono), answering a JSON-RPC-shaped body with no MCP machinery.
 *
 * @module
 */
import { Hono } from "hono";

const app = new Hono();
app.post("/mcp", async (c) => {
  const body = await c.req.json();
  return c.json({
    jsonrpc: "2.0",
    id: body.id,
    result: { content: [{ type: "text", text: "ok" }] },
  });
});
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, app.fetch);
console.log(`listening on http://127.0.0.1:${server.addr.port}`);
