/**
 * Small stand-in MCP servers, each breaking one thing hosts depend on, for the doctor's tests.
 *
 * @module
 */

/** What a stand-in gets wrong. */
export type Flaw =
  | "relative resource_metadata"
  | "resource of another URL"
  | "issuer mismatch"
  | "PKCE plain only"
  | "no registration"
  | "no refresh token"
  | "2025 era only"
  | "type-array schemas";

/** Starts a stand-in with `flaw`; returns its MCP URL and a way to stop it. */
export function standIn(flaw: Flaw): { url: string } & AsyncDisposable {
  const open = flaw === "2025 era only" || flaw === "type-array schemas";
  let origin = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const { pathname } = new URL(req.url);
    const json = (body: unknown, status = 200, headers: HeadersInit = {}) =>
      Response.json(body, { status, headers });
    if (pathname === "/mcp" && req.method === "POST") {
      if (!open) {
        await req.body?.cancel();
        const named = flaw === "relative resource_metadata"
          ? "/.well-known/oauth-protected-resource/mcp"
          : `${origin}/.well-known/oauth-protected-resource/mcp`;
        return json({ error: "invalid_token" }, 401, {
          "www-authenticate": `Bearer resource_metadata="${named}"`,
        });
      }
      const message = await req.json();
      const answer = (result: unknown) => json({ jsonrpc: "2.0", id: message.id, result });
      if (message.method === "initialize") {
        return answer({
          protocolVersion: "2025-11-25",
          capabilities: { tools: {} },
          serverInfo: { name: "stand-in", version: "1" },
        });
      }
      if (message.method === "tools/list") {
        const schema = flaw === "type-array schemas"
          ? { type: "object", properties: { note: { type: ["string", "null"] } } }
          : { type: "object", properties: {} };
        return answer({
          tools: [{
            name: "probe",
            inputSchema: schema,
            annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
          }],
        });
      }
      if (message.method === "server/discover" && flaw !== "2025 era only") {
        return answer({ supportedVersions: ["2026-07-28"] });
      }
      return json({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "no" } }, 400);
    }
    if (pathname.startsWith("/.well-known/oauth-protected-resource")) {
      return json({
        resource: flaw === "resource of another URL"
          ? "https://elsewhere.example/mcp"
          : `${origin}/mcp`,
        authorization_servers: [origin],
      });
    }
    if (pathname === "/.well-known/oauth-authorization-server") {
      return json({
        issuer: flaw === "issuer mismatch" ? "https://issuer.example" : origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        ...(flaw === "no registration" ? {} : { registration_endpoint: `${origin}/register` }),
        code_challenge_methods_supported: flaw === "PKCE plain only" ? ["plain"] : ["S256"],
        token_endpoint_auth_methods_supported: ["none"],
        grant_types_supported: flaw === "no refresh token"
          ? ["authorization_code"]
          : ["authorization_code", "refresh_token"],
        authorization_response_iss_parameter_supported: true,
      });
    }
    if (pathname === "/register" && req.method === "POST") {
      await req.body?.cancel();
      return json({ client_id: "stand-in-client" }, 201);
    }
    await req.body?.cancel();
    return new Response("not found", { status: 404 });
  });
  origin = `http://127.0.0.1:${server.addr.port}`;
  return { url: `${origin}/mcp`, [Symbol.asyncDispose]: () => server.shutdown() };
}
