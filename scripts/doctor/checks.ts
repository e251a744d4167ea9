/**
 * What `deno task doctor` checks of a remote MCP server URL, the way the major hosts connect to it
 * (from their public documentation and the failures reported on their trackers): each check says
 * which hosts fail, why, and what to do. A check goes on past a defect wherever the next one can
 * still be made — a relative `resource_metadata` is resolved against the URL, a mismatched
 * `resource` or issuer is noted and the metadata read anyway — so one run lists every defect.
 *
 * @module
 */
import { HOSTS, reachOf } from "../../src/reach/hosts.ts";
import {
  MAX_SCHEMA_DEPTH,
  schemaProblems,
  schemaProblemWords,
} from "../../src/tools/portable_schema.ts";
import {
  type Answer,
  answered,
  followable,
  getDocument,
  isRedirect,
  jsonOf,
  rpcOutcome,
  send,
} from "./http.ts";
import { ALL_HOSTS, found, joined, ours, passed, type Probe, type Text, text } from "./probe.ts";
import { isTemporary, refusal, register } from "./registration.ts";

/** A JSON-RPC request to the MCP endpoint, with `token` when given. */
export function mcpPost(
  url: string,
  body: { method: string } & Record<string, unknown>,
  { token, version }: { token?: string; version?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  if (token) headers.authorization = `Bearer ${token}`;
  if (version) headers["mcp-protocol-version"] = version;
  // The 2026-07-28 era names the method in a header too.
  if (version === "2026-07-28") headers["mcp-method"] = body.method;
  return send(url, { method: "POST", headers, body: JSON.stringify(body) });
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

/** `value` without its trailing slashes (a loop: a regular expression here is quadratic). */
function withoutTrailingSlashes(value: string): string {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 0x2f) end--;
  return value.slice(0, end);
}

/** Reach: which hosts can connect to this address at all. */
export function checkReach(probe: Probe): void {
  for (const verdict of reachOf(probe.url)) {
    if (verdict.ok) continue;
    found(probe, "fail", "reach", [verdict.host], verdict.reason!, verdict.fix!);
  }
  passed(probe, "reach", "reach (for the hosts on this machine)");
}

/**
 * The door: an unsigned request must get 401 with a `WWW-Authenticate: Bearer` challenge naming
 * the protected-resource metadata by absolute URL (a relative one leaves claude.ai and others with
 * nowhere to go); then the metadata on both well-known paths, its `resource` equal to the URL.
 */
export async function checkDoor(probe: Probe): Promise<void> {
  const door = await mcpPost(probe.url, INITIALIZE_2025);
  if (door.status === 0) {
    found(
      probe,
      "fail",
      "reachable",
      ALL_HOSTS,
      text`nothing answered at ${probe.url} (${door.error})`,
      "start the server, and check the URL (it ends in /mcp here)",
    );
    return;
  }
  if (isRedirect(door)) {
    found(
      probe,
      "fail",
      "redirect",
      ALL_HOSTS,
      text`an unsigned initialize (POST ${probe.url}) answered ${
        answered(probe, door)
      }; the doctor sends its POST nowhere else, and hosts differ (some re-send it, some drop the token, some stop)`,
      "give hosts the URL that answers itself (run the doctor on that one), or serve the endpoint here without a redirect",
    );
    return;
  }
  if (door.status !== 401) {
    if (door.status >= 200 && door.status < 300) {
      probe.protectedByOAuth = false;
      passed(
        probe,
        "sign-in",
        "answers without sign-in (no OAuth: anyone with the URL can use it)",
      );
    } else {
      found(
        probe,
        "fail",
        "initialize",
        ALL_HOSTS,
        text`an unsigned initialize got ${answered(probe, door)}`,
        "answer 401 with a Bearer challenge, or 200 without sign-in",
      );
    }
    return;
  }
  probe.protectedByOAuth = true;
  const named = challengedMetadata(probe, door);
  const { origin, pathname } = new URL(probe.url);
  const paths = [
    named ?? `${origin}/.well-known/oauth-protected-resource${withoutTrailingSlashes(pathname)}`,
    `${origin}/.well-known/oauth-protected-resource`,
  ];
  let document: Record<string, unknown> | undefined;
  for (const path of new Set(paths)) {
    const answer = await getDocument(probe, path, "protected-resource metadata");
    const json = answer.status === 200 ? jsonOf(answer) : undefined;
    if (!json) {
      found(
        probe,
        "fail",
        "protected-resource metadata",
        ALL_HOSTS,
        text`${path} answered ${answered(probe, answer)}${
          ours(answer.status === 200 ? " without a JSON object" : "")
        }, not the metadata document`,
        "serve the protected-resource metadata (RFC 9728) at both the path-aware and the bare well-known path",
      );
      continue;
    }
    document ??= json;
    if (json.resource !== probe.url) {
      found(
        probe,
        "fail",
        "protected-resource metadata",
        ALL_HOSTS,
        text`${path} names resource ${json.resource}, not ${probe.url}; hosts refuse a mismatch`,
        "set resource to exactly the connector URL hosts are given",
      );
    }
  }
  passed(probe, "protected-resource metadata", "protected-resource metadata on both paths");
  const servers = document?.authorization_servers;
  if (!Array.isArray(servers) || servers.length === 0 || typeof servers[0] !== "string") {
    found(
      probe,
      "fail",
      "protected-resource metadata",
      ALL_HOSTS,
      document
        ? text`authorization_servers is ${servers}, not a list naming the issuer`
        : ours("no metadata document, so no authorization server to check"),
      "list the issuer in authorization_servers",
    );
    return;
  }
  const issuer = servers[0];
  if (!followable(probe, issuer)) {
    found(
      probe,
      "fail",
      "authorization server",
      ALL_HOSTS,
      text`authorization_servers names ${issuer}, not a public http(s) URL`,
      "list the issuer's public https:// URL",
    );
    return;
  }
  await checkAuthorizationServer(probe, issuer);
}

/**
 * The protected-resource metadata URL the 401 challenge names, checked; a relative one is
 * resolved against the connector URL so the checks go on. `undefined` (with a finding) when there
 * is none the doctor can use: then the well-known paths are tried, as hosts do.
 */
function challengedMetadata(probe: Probe, door: Answer): string | undefined {
  const challenge = door.headers.get("www-authenticate") ?? "";
  // indexOf, not a regular expression: the header is the server's to make long.
  const key = 'resource_metadata="';
  const start = challenge.indexOf(key);
  const end = start < 0 ? -1 : challenge.indexOf('"', start + key.length);
  if (!/^Bearer\b/i.test(challenge) || end < 0 || end === start + key.length) {
    found(
      probe,
      "fail",
      "401 challenge",
      ALL_HOSTS,
      ours(
        'the 401 has no WWW-Authenticate: Bearer resource_metadata="…" challenge, so hosts cannot find where to sign in (the doctor went on with the well-known paths)',
      ),
      'answer 401 with WWW-Authenticate: Bearer resource_metadata="https://…/.well-known/oauth-protected-resource/mcp"',
    );
    return undefined;
  }
  const named = challenge.slice(start + key.length, end);
  let resolved: string;
  if (/^https?:\/\//i.test(named)) resolved = named;
  else {
    try {
      resolved = new URL(named, probe.url).href;
    } catch {
      resolved = "";
    }
    found(
      probe,
      "fail",
      "401 challenge",
      ALL_HOSTS,
      text`resource_metadata is relative (${named}); hosts resolve it differently or not at all (claude-ai-mcp #680)${
        ours(resolved ? "; the doctor resolved it against the URL to go on" : "")
      }`,
      "give resource_metadata as an absolute URL",
    );
    if (!resolved) return undefined;
  }
  if (!followable(probe, resolved)) {
    found(
      probe,
      "fail",
      "401 challenge",
      ALL_HOSTS,
      text`resource_metadata names ${resolved}, not a public http(s) URL; the doctor went on with the well-known paths`,
      "name the metadata by its public https:// URL",
    );
    return undefined;
  }
  passed(probe, "401 challenge", "401 challenge with an absolute resource_metadata");
  return resolved;
}

/** The authorization server's metadata, as every OAuth host reads it. */
async function checkAuthorizationServer(probe: Probe, issuer: string): Promise<void> {
  const issuerUrl = new URL(issuer); // followable() has checked it parses
  const pathPart = issuerUrl.pathname === "/" ? "" : withoutTrailingSlashes(issuerUrl.pathname);
  const candidates = [
    `${issuerUrl.origin}/.well-known/oauth-authorization-server${pathPart}`,
    `${issuerUrl.origin}/.well-known/openid-configuration${pathPart}`,
    `${withoutTrailingSlashes(issuer)}/.well-known/openid-configuration`,
  ];
  let metadata: Record<string, unknown> | undefined;
  const tried: Text[] = [];
  for (const url of new Set(candidates)) {
    const answer = await getDocument(probe, url, "authorization server");
    metadata = answer.status === 200 ? jsonOf(answer) : undefined;
    if (metadata) break;
    tried.push(text`${url} answered ${answered(probe, answer)}`);
  }
  if (!metadata) {
    found(
      probe,
      "fail",
      "authorization server",
      ALL_HOSTS,
      text`no authorization-server metadata for ${issuer} (${joined(tried, "; ")})`,
      "serve RFC 8414 metadata at /.well-known/oauth-authorization-server",
    );
    return;
  }
  probe.authServer = metadata;
  if (metadata.issuer !== issuer) {
    const bySlash = typeof metadata.issuer === "string" &&
      withoutTrailingSlashes(metadata.issuer) === withoutTrailingSlashes(issuer);
    found(
      probe,
      "fail",
      "authorization server",
      ALL_HOSTS,
      text`its metadata says issuer ${metadata.issuer}, but it was found as ${issuer}${
        ours(bySlash ? "; they differ only by a trailing slash, but" : ";")
      } clients compare the two character by character and must refuse a mismatch`,
      "make issuer in the metadata exactly the URL listed in authorization_servers",
    );
  }
  const methods = metadata.code_challenge_methods_supported;
  if (!Array.isArray(methods) || !methods.includes("S256")) {
    found(
      probe,
      "fail",
      "PKCE",
      ALL_HOSTS,
      text`code_challenge_methods_supported is ${methods}, without S256`,
      "support PKCE with S256 and say so in the metadata",
    );
  }
  const endpoint = metadata.registration_endpoint;
  const dcr = typeof endpoint === "string";
  const cimd = metadata.client_id_metadata_document_supported === true;
  if (!dcr && !cimd) {
    found(
      probe,
      "fail",
      "client registration",
      ALL_HOSTS,
      "neither dynamic client registration (registration_endpoint) nor client ID metadata documents are offered: a host has no way to become a client",
      "offer dynamic client registration (RFC 7591), client ID metadata documents, or both",
    );
  } else if (!dcr) {
    found(
      probe,
      "fail",
      "client registration",
      ["claude.ai", "ChatGPT", "Cursor / VS Code", "MCP Inspector"],
      "no dynamic client registration; only client ID metadata documents, which not every host sends yet",
      "offer dynamic client registration (RFC 7591) as well",
    );
  }
  const auth = metadata.token_endpoint_auth_methods_supported;
  if (Array.isArray(auth) && !auth.includes("none")) {
    found(
      probe,
      "fail",
      "client authentication",
      ALL_HOSTS,
      text`token_endpoint_auth_methods_supported is ${auth}: public clients (no secret) are refused`,
      'accept "none" (PKCE) for public clients',
    );
  }
  if (metadata.authorization_response_iss_parameter_supported !== true) {
    found(
      probe,
      "warn",
      "RFC 9207",
      ["claude.ai", "ChatGPT"],
      "the authorization response carries no iss parameter (RFC 9207); mix-up protection is off",
      "add iss to the redirect and authorization_response_iss_parameter_supported: true",
    );
  }
  const grants = metadata.grant_types_supported;
  if (Array.isArray(grants) && !grants.includes("refresh_token")) {
    found(
      probe,
      "warn",
      "refresh tokens",
      ["claude.ai", "ChatGPT", "Claude Code"],
      "no refresh_token grant: when the access token expires the person must sign in again (hourly with 1-hour tokens)",
      "issue refresh tokens and list refresh_token in grant_types_supported",
    );
  }
  if (dcr && followable(probe, endpoint)) await checkRegistration(probe, endpoint);
  else if (dcr) {
    found(
      probe,
      "fail",
      "client registration",
      ALL_HOSTS,
      text`registration_endpoint is ${endpoint}, not a public http(s) URL`,
      "give the registration endpoint's public https:// URL",
    );
  }
  passed(probe, "authorization server", "authorization-server metadata whose issuer matches");
}

/** A public client registers, the way claude.ai does. */
async function checkRegistration(probe: Probe, endpoint: string): Promise<void> {
  const { answer, clientId } = await register(probe, endpoint, {
    client_name: "kit-doctor",
    redirect_uris: ["https://claude.ai/api/mcp/auth_callback"],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  });
  if (clientId) {
    passed(probe, "client registration", "dynamic client registration (public client)");
    await checkLoopbackRegistration(probe, endpoint);
    return;
  }
  if (isTemporary(answer)) {
    found(
      probe,
      "unchecked",
      "client registration",
      ALL_HOSTS,
      text`registering a public client was refused for now, ${refusal(probe, answer)}`,
      "run the doctor again after the Retry-After time; if hosts meet the same cap, raise it",
    );
    return;
  }
  found(
    probe,
    "fail",
    "client registration",
    ALL_HOSTS,
    text`registering a public client got ${refusal(probe, answer)}${
      ours(answer.status >= 200 && answer.status < 300 ? ", without a client_id" : "")
    }`,
    "accept a public client (token_endpoint_auth_method none) with an https redirect URI",
  );
}

/** The hosts that run on the person's machine and sign in through a loopback redirect. */
const LOCAL_HOSTS = HOSTS.filter((h) => h.connectsFrom === "local").map((h) => h.name);

/**
 * A public client registers with a loopback redirect, the way hosts on the person's machine do
 * (Claude Code, Cursor, MCP Inspector: `http://localhost:<port>/…`); an issuer that takes only
 * https redirects lets claude.ai in and keeps them out.
 */
async function checkLoopbackRegistration(probe: Probe, endpoint: string): Promise<void> {
  const { answer, clientId } = await register(probe, endpoint, {
    client_name: "kit-doctor (local host)",
    redirect_uris: ["http://localhost:33418/callback"],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  });
  if (clientId) {
    passed(probe, "loopback redirect", "registration with a loopback redirect (local hosts)");
    return;
  }
  found(
    probe,
    isTemporary(answer) ? "unchecked" : "fail",
    "loopback redirect",
    LOCAL_HOSTS,
    text`registering a public client with the redirect http://localhost:33418/callback, as hosts on the person's machine do, got ${
      refusal(probe, answer)
    }`,
    "accept http loopback redirect URIs for public clients (RFC 8252 §7.3); with Better Auth, " +
      'clientRegistrationDefaultApplicationType: "infer"',
  );
}

/**
 * A tool's schema problems, apart: the unions of objects among its arguments, and the rest of both
 * its schemas. The walk is bounded, so a schema nested without end is one problem, not a crash.
 */
function problemsOf(tool: Record<string, unknown>): { unions: Text[]; unportable: Text[] } {
  const name = String(tool.name);
  const input = schemaProblems(tool.inputSchema, { arguments: true });
  // Where (the server's words, quoted and cut short if long), then what (the doctor's).
  const unportable = [...input, ...schemaProblems(tool.outputSchema)]
    .filter((p) => p.kind !== "object_union")
    .map((p) => text`${`${name}${p.at}`}: ${ours(schemaProblemWords(p))}`);
  const unions = input.filter((p) => p.kind === "object_union")
    .map((p) => text`${`${name}: ${p.argument}`}`);
  return { unions, unportable };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** With access (a token, or none needed): both protocol eras, the tools, their hints and schemas. */
export async function checkMcp(probe: Probe, token?: string): Promise<void> {
  const init = rpcOutcome(probe, await mcpPost(probe.url, INITIALIZE_2025, { token }));
  if ("problem" in init) {
    found(
      probe,
      "fail",
      "initialize (2025-11-25)",
      ALL_HOSTS,
      text`initialize ${init.problem}`,
      "serve the 2025-11-25 handshake every host sends today",
    );
  } else passed(probe, "initialize (2025-11-25)", "initialize, 2025-11-25");
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
  );
  const discovered = rpcOutcome(probe, discover);
  if ("problem" in discovered) {
    found(
      probe,
      "warn",
      "server/discover (2026-07-28)",
      ["Claude Code", "MCP Inspector"],
      text`the 2026-07-28 era is not served: server/discover ${discovered.problem}; newer hosts fall back to 2025`,
      "serve server/discover and the stateless 2026-07-28 era",
    );
  } else passed(probe, "server/discover (2026-07-28)", "server/discover, 2026-07-28");
  const listed = rpcOutcome(
    probe,
    await mcpPost(
      probe.url,
      { jsonrpc: "2.0", id: 3, method: "tools/list", params: {} },
      { token, version: "2025-11-25" },
    ),
  );
  if ("problem" in listed) {
    found(
      probe,
      "fail",
      "tools/list",
      ALL_HOSTS,
      text`tools/list ${listed.problem}`,
      "serve tools/list",
    );
    return;
  }
  checkTools(probe, listed.result.tools);
}

/** The tools a `tools/list` result named: names, hints and schemas, whatever came. */
function checkTools(probe: Probe, listed: unknown): void {
  if (!Array.isArray(listed)) {
    found(
      probe,
      "fail",
      "tools/list",
      ALL_HOSTS,
      text`tools/list returned tools that are not a list (${listed})`,
      "answer tools/list with { tools: [ … ] }",
    );
    return;
  }
  const tools = listed.filter(isObject);
  if (tools.length < listed.length) {
    found(
      probe,
      "fail",
      "tools/list",
      ALL_HOSTS,
      text`tools/list returned ${listed.length - tools.length} entries that are not tool objects (${
        listed.find((t) => !isObject(t))
      })`,
      "list each tool as an object with name, inputSchema and annotations",
    );
  }
  if (tools.length === 0) {
    found(
      probe,
      "fail",
      "tools/list",
      ALL_HOSTS,
      "tools/list returned no tools",
      "register the tools",
    );
    return;
  }
  const badNames = tools.map((t) => t.name).filter((n) =>
    typeof n !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(n)
  );
  if (badNames.length > 0) {
    found(
      probe,
      "fail",
      "tool names",
      ["claude.ai", "ChatGPT", "Cursor / VS Code"],
      text`names hosts refuse: ${joined(badNames.slice(0, 5).map((n) => text`${n}`), ", ")}${
        ours(badNames.length > 5 ? ", …" : "")
      }`,
      "use 1-64 letters, digits, _ or -",
    );
  }
  const hintless = tools.filter((t) => {
    const a = isObject(t.annotations) ? t.annotations : {};
    return ["readOnlyHint", "destructiveHint", "openWorldHint"].some((h) =>
      typeof a[h] !== "boolean"
    );
  }).map((t) => text`${t.name}`);
  if (hintless.length > 0) {
    found(
      probe,
      "fail",
      "behaviour hints",
      ["ChatGPT"],
      text`tools without readOnlyHint, destructiveHint and openWorldHint all stated: ${
        joined(hintless.slice(0, 5), ", ")
      }${ours(hintless.length > 5 ? ", …" : "")}`,
      "state all three (and idempotentHint) on every tool",
    );
  }
  const problems = tools.map(problemsOf);
  const unportable = problems.flatMap((t) => t.unportable);
  if (unportable.length > 0) {
    found(
      probe,
      "warn",
      "schema portability",
      ["Cursor / VS Code", "MCP Inspector"],
      text`${unportable.length} schema part${
        ours(unportable.length === 1 ? "" : "s")
      } some clients read badly (${joined(unportable.slice(0, 3), "; ")}${
        ours(unportable.length > 3 ? "; …" : "")
      })`,
      text`write nullable fields as anyOf [T, null] or optional, give every schema a keyword, and nest at most ${MAX_SCHEMA_DEPTH} levels`,
    );
  }
  const unions = problems.flatMap((t) => t.unions);
  if (unions.length > 0) {
    // LangChain is not one of the hosts the report has a line for: a note, naming it.
    found(
      probe,
      "warn",
      "argument unions",
      [],
      text`${unions.length} tool argument${
        ours(unions.length === 1 ? " is a union" : "s are unions")
      } of objects (${joined(unions.slice(0, 3), "; ")}${
        ours(unions.length > 3 ? "; …" : "")
      }), which LangChain's MCP adapter merges into one object where the last variant wins: a call in any other variant is refused there`,
      "split each into one tool per variant, or one flat object",
    );
  }
  const toolChecks = [
    "tools/list",
    "tool names",
    "behaviour hints",
    "schema portability",
    "argument unions",
  ];
  if (!probe.findings.some((f) => toolChecks.includes(f.check))) {
    passed(
      probe,
      "tools",
      text`${tools.length} tool${ours(tools.length === 1 ? "" : "s")}: names, hints and schemas`,
    );
  }
}

/** CORS, for hosts that call from a browser page. */
export async function checkCors(probe: Probe): Promise<void> {
  const answer = await send(probe.url, {
    method: "OPTIONS",
    headers: {
      origin: "http://localhost:6274",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, mcp-protocol-version",
    },
  });
  if (isRedirect(answer)) {
    found(
      probe,
      "warn",
      "CORS",
      [],
      text`the CORS preflight answered ${
        answered(probe, answer)
      }; browsers refuse a redirected preflight, and the doctor does not follow it`,
      "answer the preflight at the connector URL itself",
    );
  } else if (!answer.headers.get("access-control-allow-origin")) {
    found(
      probe,
      "warn",
      "CORS",
      [],
      "no CORS answer for a browser page (MCP Inspector's web client when it connects directly); hosts that connect from their servers or a desktop app do not need it",
      "answer CORS preflights for the origins you allow (ALLOWED_ORIGINS here)",
    );
  } else passed(probe, "CORS", "CORS preflight");
}
