/**
 * What `deno task doctor` checks of a remote MCP server URL, the way the major hosts connect to it
 * (from their public documentation and the failures reported on their trackers): each check says
 * which hosts fail, why, and what to do.
 *
 * @module
 */
import { HOSTS, isPrivateHost, reachOf } from "../../src/reach/hosts.ts";
import { portabilityProblems } from "../../src/tools/portable_schema.ts";

/** Every host the doctor speaks for. */
export const ALL_HOSTS: readonly string[] = HOSTS.map((h) => h.name);

/** One finding: the hosts it breaks (none: a note), why, and the fix. */
export interface Finding {
  check: string;
  hosts: string[];
  reason: string;
  fix: string;
  /** `fail`: those hosts will not work; `warn`: they will, worse (hourly sign-ins, say). */
  level: "fail" | "warn";
}

/** What the doctor learnt on its way, for later checks (and the report). */
export interface Probe {
  url: string;
  findings: Finding[];
  /** Checks that passed, by name. */
  passed: string[];
  /** The authorization server's metadata, when found. */
  authServer?: Record<string, unknown>;
  /** Whether `/mcp` asked for a token. */
  protectedByOAuth?: boolean;
}

/** Every request's deadline. */
export const TIMEOUT_MS = 10_000;

/** The most of any answer the doctor reads: a server cannot make it hold more. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Reads at most {@linkcode MAX_BODY_BYTES} of `response`'s body as text. */
export async function cappedText(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new Error(`an answer over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(
    chunks.reduce((all, c) => {
      const joined = new Uint8Array(all.length + c.length);
      joined.set(all);
      joined.set(c, all.length);
      return joined;
    }, new Uint8Array()),
  );
}

/** Parses `text` as JSON, or `undefined`. */
export function parsed(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the doctor follows a link the server's metadata gave it: not from a public server to a
 * private address (metadata must not steer it at the machine's own network).
 */
export function followable(probe: Probe, target: string): boolean {
  try {
    const to = new URL(target);
    if (!/^https?:$/.test(to.protocol)) return false;
    return isPrivateHost(new URL(probe.url).hostname) || !isPrivateHost(to.hostname);
  } catch {
    return false;
  }
}

function fail(probe: Probe, check: string, hosts: readonly string[], reason: string, fix: string) {
  probe.findings.push({ check, hosts: [...hosts], reason, fix, level: "fail" });
}

function warn(probe: Probe, check: string, hosts: readonly string[], reason: string, fix: string) {
  probe.findings.push({ check, hosts: [...hosts], reason, fix, level: "warn" });
}

async function getJson(url: string): Promise<{ status: number; json?: Record<string, unknown> }> {
  const response = await fetch(url, {
    headers: { accept: "application/json" },
    signal: AbortSignal.timeout(TIMEOUT_MS),
    redirect: "manual",
  });
  return { status: response.status, json: parsed(await cappedText(response)) };
}

/** A JSON-RPC request to the MCP endpoint, with `token` when given. */
export async function mcpPost(
  url: string,
  body: unknown,
  { token, version }: { token?: string; version?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  if (token) headers.authorization = `Bearer ${token}`;
  if (version) headers["mcp-protocol-version"] = version;
  // The 2026-07-28 era names the method in a header too.
  if (version === "2026-07-28") {
    headers["mcp-method"] = String((body as { method?: string }).method);
  }
  return await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
}

const INITIALIZE_2025 = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "kit-doctor", version: "1" },
  },
};

/** Reach: which hosts can connect to this address at all. */
export function checkReach(probe: Probe): void {
  for (const verdict of reachOf(probe.url)) {
    if (verdict.ok) continue;
    fail(probe, "reach", [verdict.host], verdict.reason!, verdict.fix!);
  }
  probe.passed.push("reach (for the hosts on this machine)");
}

/**
 * The door: an unsigned request must get 401 with a `WWW-Authenticate: Bearer` challenge naming
 * the protected-resource metadata by absolute URL (a relative one leaves claude.ai and others with
 * nowhere to go); then the metadata on both well-known paths, its `resource` equal to the URL.
 */
export async function checkDoor(probe: Probe): Promise<void> {
  let response: Response;
  try {
    response = await mcpPost(probe.url, INITIALIZE_2025);
  } catch (error) {
    fail(
      probe,
      "reachable",
      ALL_HOSTS,
      `nothing answered at ${probe.url} (${(error as Error).message})`,
      "start the server, and check the URL (it ends in /mcp here)",
    );
    return;
  }
  await response.body?.cancel();
  if (response.status !== 401) {
    probe.protectedByOAuth = false;
    if (response.ok) {
      probe.passed.push("answers without sign-in (no OAuth: anyone with the URL can use it)");
    } else {
      fail(
        probe,
        "initialize",
        ALL_HOSTS,
        `an unsigned initialize got ${response.status}`,
        "answer 401 with a Bearer challenge, or 200 without sign-in",
      );
    }
    return;
  }
  probe.protectedByOAuth = true;
  const challenge = response.headers.get("www-authenticate") ?? "";
  const match = /resource_metadata="([^"]+)"/.exec(challenge);
  if (!/^Bearer\b/i.test(challenge) || !match) {
    fail(
      probe,
      "401 challenge",
      ALL_HOSTS,
      'the 401 has no WWW-Authenticate: Bearer resource_metadata="…" challenge, so hosts cannot find where to sign in',
      'answer 401 with WWW-Authenticate: Bearer resource_metadata="https://…/.well-known/oauth-protected-resource/mcp"',
    );
    return;
  }
  const named = match[1];
  if (!/^https?:\/\//.test(named)) {
    fail(
      probe,
      "401 challenge",
      ALL_HOSTS,
      `resource_metadata is relative (${named}); hosts resolve it differently or not at all (claude-ai-mcp #680)`,
      "give resource_metadata as an absolute URL",
    );
    return;
  }
  probe.passed.push("401 challenge with an absolute resource_metadata");
  const origin = new URL(probe.url).origin;
  const paths = [named, `${origin}/.well-known/oauth-protected-resource`];
  let document: Record<string, unknown> | undefined;
  for (const path of new Set(paths)) {
    const { status, json } = await getJson(path).catch(() => ({ status: 0, json: undefined }));
    if (status !== 200 || !json) {
      fail(
        probe,
        "protected-resource metadata",
        ALL_HOSTS,
        `${path} answered ${status || "nothing"}, not the metadata document`,
        "serve the protected-resource metadata (RFC 9728) at both the path-aware and the bare well-known path",
      );
      continue;
    }
    document ??= json;
    if (json.resource !== probe.url) {
      fail(
        probe,
        "protected-resource metadata",
        ALL_HOSTS,
        `${path} names resource ${
          JSON.stringify(json.resource)
        }, not ${probe.url}; hosts refuse a mismatch`,
        "set resource to exactly the connector URL hosts are given",
      );
    }
  }
  const servers = document?.authorization_servers;
  if (!Array.isArray(servers) || servers.length === 0) {
    fail(
      probe,
      "protected-resource metadata",
      ALL_HOSTS,
      "no authorization_servers listed",
      "list the issuer in authorization_servers",
    );
    return;
  }
  probe.passed.push("protected-resource metadata on both paths");
  const issuer = String(servers[0]);
  if (!followable(probe, issuer)) {
    fail(
      probe,
      "authorization server",
      ALL_HOSTS,
      `authorization_servers names ${JSON.stringify(issuer)}, not a public http(s) URL`,
      "list the issuer's public https:// URL",
    );
    return;
  }
  await checkAuthorizationServer(probe, issuer);
}

/** The authorization server's metadata, as every OAuth host reads it. */
async function checkAuthorizationServer(probe: Probe, issuer: string): Promise<void> {
  const base = issuer.replace(/\/+$/, "");
  const issuerUrl = new URL(issuer); // followable() has checked it parses
  const pathPart = issuerUrl.pathname === "/" ? "" : issuerUrl.pathname.replace(/\/+$/, "");
  const candidates = [
    `${issuerUrl.origin}/.well-known/oauth-authorization-server${pathPart}`,
    `${issuerUrl.origin}/.well-known/openid-configuration${pathPart}`,
    `${base}/.well-known/openid-configuration`,
  ];
  let metadata: Record<string, unknown> | undefined;
  for (const url of candidates) {
    const { status, json } = await getJson(url).catch(() => ({ status: 0, json: undefined }));
    if (status === 200 && json) {
      metadata = json;
      break;
    }
  }
  if (!metadata) {
    fail(
      probe,
      "authorization server",
      ALL_HOSTS,
      `no authorization-server metadata for ${issuer}`,
      "serve RFC 8414 metadata at /.well-known/oauth-authorization-server",
    );
    return;
  }
  probe.authServer = metadata;
  if (metadata.issuer !== issuer) {
    fail(
      probe,
      "authorization server",
      ALL_HOSTS,
      `its metadata says issuer ${
        JSON.stringify(metadata.issuer)
      }, but it was found as ${issuer}; clients must refuse the mismatch`,
      "make issuer in the metadata exactly the URL listed in authorization_servers",
    );
  }
  const methods = metadata.code_challenge_methods_supported;
  if (!Array.isArray(methods) || !methods.includes("S256")) {
    fail(
      probe,
      "PKCE",
      ALL_HOSTS,
      `code_challenge_methods_supported is ${JSON.stringify(methods)}, without S256`,
      "support PKCE with S256 and say so in the metadata",
    );
  }
  const dcr = typeof metadata.registration_endpoint === "string";
  const cimd = metadata.client_id_metadata_document_supported === true;
  if (!dcr && !cimd) {
    fail(
      probe,
      "client registration",
      ALL_HOSTS,
      "neither dynamic client registration (registration_endpoint) nor client ID metadata documents are offered: a host has no way to become a client",
      "offer dynamic client registration (RFC 7591), client ID metadata documents, or both",
    );
  } else if (!dcr) {
    fail(
      probe,
      "client registration",
      ["claude.ai", "ChatGPT", "Cursor / VS Code", "MCP Inspector"],
      "no dynamic client registration; only client ID metadata documents, which not every host sends yet",
      "offer dynamic client registration (RFC 7591) as well",
    );
  }
  const auth = metadata.token_endpoint_auth_methods_supported;
  if (Array.isArray(auth) && !auth.includes("none")) {
    fail(
      probe,
      "client authentication",
      ALL_HOSTS,
      `token_endpoint_auth_methods_supported is ${
        JSON.stringify(auth)
      }: public clients (no secret) are refused`,
      'accept "none" (PKCE) for public clients',
    );
  }
  if (metadata.authorization_response_iss_parameter_supported !== true) {
    warn(
      probe,
      "RFC 9207",
      ["claude.ai", "ChatGPT"],
      "the authorization response carries no iss parameter (RFC 9207); mix-up protection is off",
      "add iss to the redirect and authorization_response_iss_parameter_supported: true",
    );
  }
  const grants = metadata.grant_types_supported;
  if (Array.isArray(grants) && !grants.includes("refresh_token")) {
    warn(
      probe,
      "refresh tokens",
      ["claude.ai", "ChatGPT", "Claude Code"],
      "no refresh_token grant: when the access token expires the person must sign in again (hourly with 1-hour tokens)",
      "issue refresh tokens and list refresh_token in grant_types_supported",
    );
  }
  if (dcr && followable(probe, String(metadata.registration_endpoint))) {
    await checkRegistration(probe, String(metadata.registration_endpoint));
  }
  if (!probe.findings.some((f) => f.check === "authorization server")) {
    probe.passed.push("authorization-server metadata whose issuer matches");
  }
}

/** A public client registers, the way claude.ai does. */
async function checkRegistration(probe: Probe, endpoint: string): Promise<void> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "kit-doctor",
      redirect_uris: ["https://claude.ai/api/mcp/auth_callback"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).catch(() => undefined);
  const body = response ? parsed(await cappedText(response).catch(() => "")) : undefined;
  if (!response || response.status !== 201 || typeof body?.client_id !== "string") {
    fail(
      probe,
      "client registration",
      ALL_HOSTS,
      `registering a public client got ${response?.status ?? "no answer"}`,
      "accept a public client (token_endpoint_auth_method none) with an https redirect URI",
    );
    return;
  }
  probe.passed.push("dynamic client registration (public client)");
}

/** With access (a token, or none needed): both protocol eras, the tools, their hints and schemas. */
export async function checkMcp(probe: Probe, token?: string): Promise<void> {
  const init = await mcpPost(probe.url, INITIALIZE_2025, { token }).catch(() => undefined);
  if (!init || init.status !== 200) {
    await init?.body?.cancel();
    fail(
      probe,
      "initialize (2025-11-25)",
      ALL_HOSTS,
      `initialize answered ${init?.status ?? "nothing"}`,
      "serve the 2025-11-25 handshake every host sends today",
    );
    return;
  }
  await init.body?.cancel();
  probe.passed.push("initialize, 2025-11-25");
  const discover = await mcpPost(
    probe.url,
    {
      jsonrpc: "2.0",
      id: 2,
      method: "server/discover",
      params: {
        // The 2026-07-28 era carries who is asking in every request's envelope.
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": { name: "kit-doctor", version: "1" },
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    },
    { token, version: "2026-07-28" },
  ).catch(() => undefined);
  const discovered = discover && discover.status === 200
    ? await jsonRpcResult(discover)
    : undefined;
  if (!discovered) {
    await discover?.body?.cancel();
    warn(
      probe,
      "server/discover (2026-07-28)",
      ["Claude Code", "MCP Inspector"],
      "the 2026-07-28 era is not served; newer hosts fall back to 2025",
      "serve server/discover and the stateless 2026-07-28 era",
    );
  } else probe.passed.push("server/discover, 2026-07-28");
  const listed = await mcpPost(
    probe.url,
    { jsonrpc: "2.0", id: 3, method: "tools/list", params: {} },
    { token, version: "2025-11-25" },
  ).then(jsonRpcResult).catch(() => undefined);
  const tools = (listed?.tools ?? []) as Record<string, unknown>[];
  if (tools.length === 0) {
    fail(probe, "tools/list", ALL_HOSTS, "tools/list returned no tools", "register the tools");
    return;
  }
  const badNames = tools.map((t) => String(t.name)).filter((n) => !/^[A-Za-z0-9_-]{1,64}$/.test(n));
  if (badNames.length > 0) {
    fail(
      probe,
      "tool names",
      ["claude.ai", "ChatGPT", "Cursor / VS Code"],
      // Quoted as JSON: a server's names must not reach the terminal raw.
      `names hosts refuse: ${badNames.map((n) => JSON.stringify(n)).join(", ")}`,
      "use 1-64 letters, digits, _ or -",
    );
  }
  const hintless = tools.filter((t) => {
    const a = (t.annotations ?? {}) as Record<string, unknown>;
    return ["readOnlyHint", "destructiveHint", "openWorldHint"].some((h) =>
      typeof a[h] !== "boolean"
    );
  }).map((t) => JSON.stringify(String(t.name)));
  if (hintless.length > 0) {
    fail(
      probe,
      "behaviour hints",
      ["ChatGPT"],
      `tools without readOnlyHint, destructiveHint and openWorldHint all stated: ${
        hintless.join(", ")
      }`,
      "state all three (and idempotentHint) on every tool",
    );
  }
  const unportable = tools.flatMap((t) =>
    [...portabilityProblems(t.inputSchema), ...portabilityProblems(t.outputSchema)].map((p) =>
      `${JSON.stringify(String(t.name))}${p}`
    )
  );
  if (unportable.length > 0) {
    warn(
      probe,
      "schema portability",
      ["Cursor / VS Code", "MCP Inspector"],
      `${unportable.length} schema parts some clients read badly (${
        unportable.slice(0, 3).join("; ")
      }${unportable.length > 3 ? "; …" : ""})`,
      "write nullable fields as anyOf [T, null] or optional, and give every schema a keyword",
    );
  }
  if (badNames.length === 0 && hintless.length === 0 && unportable.length === 0) {
    probe.passed.push(`${tools.length} tools: names, hints and schemas`);
  }
}

async function jsonRpcResult(response: Response): Promise<Record<string, unknown> | undefined> {
  const text = await cappedText(response).catch(() => "");
  const body = text.startsWith("{") || text.startsWith("[")
    ? text
    : text.split("\n").find((line) => line.startsWith("data: "))?.slice(6);
  const result = body === undefined ? undefined : parsed(body)?.result;
  return result && typeof result === "object" ? result as Record<string, unknown> : undefined;
}

/** CORS, for hosts that call from a browser page. */
export async function checkCors(probe: Probe): Promise<void> {
  const response = await fetch(probe.url, {
    method: "OPTIONS",
    headers: {
      origin: "http://localhost:6274",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, mcp-protocol-version",
    },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).catch(() => undefined);
  await response?.body?.cancel();
  if (!response?.headers.get("access-control-allow-origin")) {
    warn(
      probe,
      "CORS",
      [],
      "no CORS answer for a browser page (MCP Inspector's web client when it connects directly); hosts that connect from their servers or a desktop app do not need it",
      "answer CORS preflights for the origins you allow (ALLOWED_ORIGINS here)",
    );
  } else probe.passed.push("CORS preflight");
}
