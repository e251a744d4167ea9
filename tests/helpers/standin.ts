/**
 * Small stand-in MCP servers for the doctor's tests: each breaks what it is told to (one flaw or
 * several at once), and a `hostile` hook lets a test answer any request its own way — the server
 * the doctor meets when a builder points it at a URL they do not control. A stand-in signs in the
 * way the kit's development sign-in does (a form with `identity`, a consent form, a code), so
 * `--sign-in` runs all the way through it.
 *
 * @module
 */

/** What a stand-in gets wrong. */
export type Flaw =
  | "relative resource_metadata"
  | "resource of another URL"
  | "issuer mismatch"
  | "issuer with a trailing slash"
  | "PKCE plain only"
  | "no registration"
  | "no refresh token"
  /** Registers only https redirect URIs: hosts on the person's machine cannot sign in. */
  | "https redirects only"
  | "2025 era only"
  | "type-array schemas"
  /** Not a flaw: serves MCP without OAuth. */
  | "no sign-in"
  /** Not a flaw: its registration answers offer RFC 7592 management (and DELETE works). */
  | "offers RFC 7592";

/** A test's own answer to a request; `undefined` lets the stand-in answer. */
export type Hostile = (
  request: Request,
  path: string,
  message?: Record<string, unknown>,
) => Response | undefined | Promise<Response | undefined>;

/** How to set a stand-in up: its flaws, and a hostile hook. */
export interface StandInOptions {
  flaws?: Flaw[];
  hostile?: Hostile;
}

/** A running stand-in. */
export interface StandIn extends AsyncDisposable {
  /** Its MCP endpoint. */
  url: string;
  origin: string;
  /** Every request it got, in order. */
  requests: { method: string; path: string; authorization: string | null }[];
}

/** The access token a stand-in's sign-in issues (and its `/mcp` accepts). */
export const STAND_IN_TOKEN = "stand-in-access-token";

/** Starts a stand-in; `setup` is one flaw, several, or options with a hostile hook. */
export function standIn(setup: Flaw | Flaw[] | StandInOptions): StandIn {
  const options: StandInOptions = typeof setup === "string"
    ? { flaws: [setup] }
    : Array.isArray(setup)
    ? { flaws: setup }
    : setup;
  const flaws = new Set(options.flaws ?? []);
  const open = flaws.has("no sign-in") || flaws.has("2025 era only") ||
    flaws.has("type-array schemas");
  const requests: StandIn["requests"] = [];
  let origin = "";
  let registrations = 0;
  const json = (body: unknown, status = 200, headers: HeadersInit = {}) =>
    Response.json(body, { status, headers });
  const issuer = () =>
    flaws.has("issuer mismatch")
      ? "https://issuer.example"
      : flaws.has("issuer with a trailing slash")
      ? `${origin}/`
      : origin;

  const mcp = (message: Record<string, unknown>) => {
    const answer = (result: unknown) => json({ jsonrpc: "2.0", id: message.id, result });
    if (message.method === "initialize") {
      return answer({
        protocolVersion: "2025-11-25",
        capabilities: { tools: {} },
        serverInfo: { name: "stand-in", version: "1" },
      });
    }
    if (message.method === "tools/list") {
      const schema = flaws.has("type-array schemas")
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
    if (message.method === "server/discover" && !flaws.has("2025 era only")) {
      return answer({ supportedVersions: ["2026-07-28"] });
    }
    return json({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "no" } }, 400);
  };

  const page = (body: string) =>
    new Response(`<!doctype html><html><body>${body}</body></html>`, {
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  // The one sign-in in flight (a test runs one doctor at a time against a stand-in).
  let pending: { redirect: string; state: string } | undefined;

  const own = (req: Request, path: string, body: string): Response => {
    if (path === "/mcp" && req.method === "POST") {
      if (!open && req.headers.get("authorization") !== `Bearer ${STAND_IN_TOKEN}`) {
        const named = flaws.has("relative resource_metadata")
          ? "/.well-known/oauth-protected-resource/mcp"
          : `${origin}/.well-known/oauth-protected-resource/mcp`;
        return json({ error: "invalid_token" }, 401, {
          "www-authenticate": `Bearer resource_metadata="${named}"`,
        });
      }
      const message = parseObject(body);
      return message ? mcp(message) : json({ error: "not JSON" }, 400);
    }
    if (path.startsWith("/.well-known/oauth-protected-resource") && req.method === "GET") {
      return json({
        resource: flaws.has("resource of another URL")
          ? "https://elsewhere.example/mcp"
          : `${origin}/mcp`,
        authorization_servers: [origin],
      });
    }
    if (path === "/.well-known/oauth-authorization-server" && req.method === "GET") {
      return json({
        issuer: issuer(),
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        ...(flaws.has("no registration") ? {} : { registration_endpoint: `${origin}/register` }),
        code_challenge_methods_supported: flaws.has("PKCE plain only") ? ["plain"] : ["S256"],
        token_endpoint_auth_methods_supported: ["none"],
        grant_types_supported: flaws.has("no refresh token")
          ? ["authorization_code"]
          : ["authorization_code", "refresh_token"],
        authorization_response_iss_parameter_supported: true,
      });
    }
    if (path === "/register" && req.method === "POST") {
      if (flaws.has("https redirects only")) {
        let asked: { redirect_uris?: unknown } = {};
        try {
          asked = JSON.parse(body);
        } catch { /* no JSON: no redirect URIs */ }
        const uris: unknown[] = Array.isArray(asked.redirect_uris) ? asked.redirect_uris : [];
        if (uris.some((u) => typeof u === "string" && !u.startsWith("https://"))) {
          return json({ error: "invalid_redirect_uri", error_description: "https only" }, 400);
        }
      }
      const n = ++registrations;
      return json({
        client_id: `stand-in-client-${n}`,
        ...(flaws.has("offers RFC 7592")
          ? {
            registration_client_uri: `${origin}/register/${n}`,
            registration_access_token: `manage-${n}`,
          }
          : {}),
      }, 201);
    }
    const managed = /^\/register\/(\d+)$/.exec(path);
    if (managed && req.method === "DELETE" && flaws.has("offers RFC 7592")) {
      return req.headers.get("authorization") === `Bearer manage-${managed[1]}`
        ? new Response(null, { status: 204 })
        : json({ error: "invalid_token" }, 401);
    }
    if (path === "/authorize" && req.method === "GET") {
      const query = new URL(req.url).searchParams;
      pending = { redirect: query.get("redirect_uri") ?? "", state: query.get("state") ?? "" };
      return page(
        `<form method="post" action="/authorize/signin">
        <input type="hidden" name="request" value="r1">
        <input type="text" name="identity" required></form>`,
      );
    }
    if (path === "/authorize/signin" && req.method === "POST") {
      return page(
        `<form method="post" action="/authorize/consent"><input type="hidden" name="request" value="r1">
        <input type="hidden" name="decision" value="allow"><button>Allow</button></form>`,
      );
    }
    if (path === "/authorize/consent" && req.method === "POST" && pending) {
      const back = new URL(pending.redirect);
      back.searchParams.set("code", "stand-in-code");
      back.searchParams.set("state", pending.state);
      back.searchParams.set("iss", issuer());
      return new Response(null, { status: 302, headers: { location: back.href } });
    }
    if (path === "/token" && req.method === "POST") {
      const form = new URLSearchParams(body);
      const grant = form.get("grant_type");
      if (grant !== "authorization_code" && grant !== "refresh_token") {
        return json({ error: "unsupported_grant_type" }, 400);
      }
      return json({
        access_token: STAND_IN_TOKEN,
        token_type: "Bearer",
        expires_in: 3600,
        ...(flaws.has("no refresh token") ? {} : { refresh_token: "stand-in-refresh" }),
      });
    }
    return new Response("not found", { status: 404 });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    requests.push({ method: req.method, path, authorization: req.headers.get("authorization") });
    const body = await req.text();
    const message = path === "/mcp" ? parseObject(body) : undefined;
    const hostile = await options.hostile?.(req, path, message);
    return hostile ?? own(req, path, body);
  });
  origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    url: `${origin}/mcp`,
    origin,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
