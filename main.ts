/**
 * Entry point: read the configuration, start the server, say how to connect.
 *
 * @module
 */
import { ConfigError } from "./src/config.ts";
import { startServer } from "./src/server.ts";

try {
  const { config } = await startServer(Deno.env.toObject());
  const issuer = config.auth.kind === "development"
    ? "development sign-in (built in; anyone can sign in as anyone — local use only)"
    : config.auth.issuer;
  console.log(`Reading Room connector is listening.

  Connector URL   ${config.resourceUrl}      <- paste this one URL into your MCP host
  Issuer          ${issuer}

Try the door with a token:
  deno task mint --sub alice          # prints an access token for the development issuer
  curl -i -X POST ${config.resourceUrl} -H "Authorization: Bearer $TOKEN" \\
    -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream" \\
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'

Connect a host (it opens the sign-in page for you):
  Claude Code     claude mcp add --transport http reading-room ${config.resourceUrl}
                  then /mcp in Claude Code and choose Authenticate
  MCP Inspector   npx @modelcontextprotocol/inspector   (Streamable HTTP, URL above,
                  then Open Auth Settings → Quick OAuth Flow)
`);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    Deno.exit(1);
  }
  throw error;
}
