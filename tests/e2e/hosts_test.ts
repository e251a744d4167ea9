/**
 * Host replay: the request sequences real MCP hosts send, replayed against the real server, each
 * written from the host's public documentation or issue reports (cited per case). Every case signs
 * in and consents through the real HTML forms (CSRF cookie included), gets a token, and starts a
 * session with `begin_session`.
 */
import { assert, assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { decodeJwt } from "jose";
import { MemoryOAuthProvider, signInAndDecide } from "../helpers/oauth.ts";
import { readRpc, startTestServer, type TestServer } from "../helpers/server.ts";
import { serveMetadataDocument } from "../helpers/metadata_document.ts";
import { authorizeUrl, CALLBACK, pkce } from "../helpers/signin_flow.ts";

const CLAUDE_AI_CALLBACK = "https://claude.ai/api/mcp/auth_callback";

type TokenResponse = {
  access_token: string;
  refresh_token: string;
  scope: string;
  expires_in: number;
};

function postJson(server: TestServer, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.config.publicUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

function postForm(
  server: TestServer,
  path: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.config.publicUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params),
  });
}

async function tokenOk(response: Response): Promise<TokenResponse> {
  const body = await response.json();
  assertEquals(response.status, 200, JSON.stringify(body));
  return body;
}

/** Opens `/authorize` with the host's parameters, signs in and allows: the code it returns. */
async function signInThroughPages(url: URL, identity: string): Promise<string> {
  const back = await signInAndDecide(url, identity);
  assertEquals(back.searchParams.get("state"), url.searchParams.get("state"));
  const code = back.searchParams.get("code");
  assert(code, `no code in ${back}`);
  return code;
}

/** One 2025-era JSON-RPC request to /mcp, as a host without an Origin header sends it. */
async function rpc2025(
  server: TestServer,
  token: string,
  id: number,
  method: string,
  params: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const response = await server.post({ jsonrpc: "2.0", id, method, params }, {
    authorization: `Bearer ${token}`,
    "mcp-protocol-version": "2025-11-25",
  });
  assertEquals(response.status, 200, method);
  return await readRpc(response);
}

/** tools/call begin_session over raw 2025-era JSON-RPC: must start a session. */
async function beginSession2025(server: TestServer, token: string): Promise<void> {
  const answer = await rpc2025(server, token, 9, "tools/call", {
    name: "begin_session",
    arguments: {},
  });
  const result = answer.result as { isError?: boolean; structuredContent?: unknown };
  assert(result, JSON.stringify(answer));
  assertNotEquals(result.isError, true, JSON.stringify(result));
  assert(result.structuredContent, "begin_session answered with structured content");
}

Deno.test("claude.ai's connector: DCR with client_secret_post, its own scopes, a retried refresh", async (t) => {
  await using server = await startTestServer();
  // claude.ai's registration body: client_name "claudeai", its callback, and
  // token_endpoint_auth_method client_secret_post (anthropics/claude-ai-mcp#1043); it runs twice
  // per connect (anthropics/claude-ai-mcp#966), so both answers must carry the same id and secret.
  const registration = {
    client_name: "claudeai",
    redirect_uris: [CLAUDE_AI_CALLBACK],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_post",
    scope: "claudeai",
  };
  let client: { client_id: string; client_secret: string } = { client_id: "", client_secret: "" };

  await t.step(
    "discovery: 401 names the mcp scope; metadata offers client_secret_post",
    async () => {
      const challenge = await server.post({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {},
      });
      assertEquals(challenge.status, 401);
      await challenge.body?.cancel();
      assertMatch(challenge.headers.get("www-authenticate") ?? "", /scope="mcp"/);
      const resource = await (await fetch(
        `${server.config.publicUrl}/.well-known/oauth-protected-resource/mcp`,
      )).json();
      assertEquals(resource.scopes_supported, ["mcp"]);
      const metadata = await (await fetch(
        `${server.config.publicUrl}/.well-known/oauth-authorization-server`,
      )).json();
      assert(metadata.token_endpoint_auth_methods_supported.includes("client_secret_post"));
    },
  );

  await t.step("registration twice returns the same client and secret", async () => {
    const first = await postJson(server, "/register", registration);
    const second = await postJson(server, "/register", registration);
    assertEquals([first.status, second.status], [201, 201]);
    const [a, b] = [await first.json(), await second.json()];
    assertEquals(a.client_id, b.client_id);
    assertEquals(a.client_secret, b.client_secret);
    assertEquals(a.client_secret_expires_at, 0);
    assertEquals(a.token_endpoint_auth_method, "client_secret_post");
    client = a;
  });

  // claude.ai has asked for the scope `claudeai` (modelcontextprotocol/modelcontextprotocol#653)
  // and for a fixed `read write` (anthropics/claude-ai-mcp#42); it sends `resource` (RFC 8707) on
  // both the authorization and the token request.
  for (const scope of ["claudeai", "read write"]) {
    await t.step(`scope "${scope}": signed in, granted mcp, session started`, async () => {
      const { verifier, challenge } = await pkce();
      const code = await signInThroughPages(
        authorizeUrl(server, {
          client_id: client.client_id,
          redirect_uri: CLAUDE_AI_CALLBACK,
          code_challenge: challenge,
          scope,
          state: crypto.randomUUID(),
        }),
        "Ada from claude.ai",
      );
      // The token request authenticates with client_secret_post (anthropics/claude-ai-mcp#667).
      const tokens = await tokenOk(
        await postForm(server, "/token", {
          grant_type: "authorization_code",
          code,
          redirect_uri: CLAUDE_AI_CALLBACK,
          code_verifier: verifier,
          client_id: client.client_id,
          client_secret: client.client_secret,
          resource: server.mcpUrl,
        }),
      );
      assertEquals(tokens.scope, "mcp");
      assertEquals(tokens.expires_in, 24 * 3600);
      assertEquals(decodeJwt(tokens.access_token).scope, "mcp");

      // claude.ai speaks 2025-11-25 with an initialize handshake, with no Origin header.
      const init = await rpc2025(server, tokens.access_token, 1, "initialize", {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "claude-ai", version: "0.1.0" },
      });
      assertEquals((init.result as { protocolVersion: string }).protocolVersion, "2025-11-25");
      const initialized = await server.post(
        { jsonrpc: "2.0", method: "notifications/initialized" },
        { authorization: `Bearer ${tokens.access_token}`, "mcp-protocol-version": "2025-11-25" },
      );
      assert(initialized.status < 300, `initialized: ${initialized.status}`);
      await initialized.body?.cancel();
      const list = await rpc2025(server, tokens.access_token, 2, "tools/list");
      const names = (list.result as { tools: { name: string }[] }).tools.map((tool) => tool.name);
      assert(names.includes("begin_session"), names.join(", "));
      await beginSession2025(server, tokens.access_token);
    });
  }

  await t.step(
    "a refresh retried twice returns the same successor; the person stays signed in",
    async () => {
      const { verifier, challenge } = await pkce();
      const code = await signInThroughPages(
        authorizeUrl(server, {
          client_id: client.client_id,
          redirect_uri: CLAUDE_AI_CALLBACK,
          code_challenge: challenge,
          scope: "claudeai",
        }),
        "Ada from claude.ai",
      );
      const auth = { client_id: client.client_id, client_secret: client.client_secret };
      const tokens = await tokenOk(
        await postForm(server, "/token", {
          grant_type: "authorization_code",
          code,
          redirect_uri: CLAUDE_AI_CALLBACK,
          code_verifier: verifier,
          resource: server.mcpUrl,
          ...auth,
        }),
      );
      // Hosts retry a refresh whose answer they lost to a timeout (issue 12; RFC 9700 §4.14.2
      // allows a grace for exactly this).
      const refresh = () =>
        postForm(server, "/token", {
          grant_type: "refresh_token",
          refresh_token: tokens.refresh_token,
          resource: server.mcpUrl,
          ...auth,
        });
      const answers = [await tokenOk(await refresh())];
      answers.push(await tokenOk(await refresh()), await tokenOk(await refresh()));
      assertEquals(new Set(answers.map((a) => a.refresh_token)).size, 1, "one successor");
      assertNotEquals(answers[0].refresh_token, tokens.refresh_token);
      for (const answer of answers) await beginSession2025(server, answer.access_token);
      // The successor works, and so the family lives on.
      const next = await tokenOk(
        await postForm(server, "/token", {
          grant_type: "refresh_token",
          refresh_token: answers[0].refresh_token,
          ...auth,
        }),
      );
      await beginSession2025(server, next.access_token);
    },
  );
});

/** Serves Claude Code's client ID metadata document from a local https fake. */
function serveClaudeCodeMetadata() {
  return serveMetadataDocument("/oauth/claude-code-client-metadata", (url) => ({
    client_id: url,
    client_name: "Claude Code",
    client_uri: "https://claude.ai",
    redirect_uris: [CALLBACK],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  }));
}

Deno.test("Claude Code: a client ID metadata document and 2026-07-28 server/discover", async () => {
  // Claude Code 2.1.81+ identifies itself with a client ID metadata document when the server
  // advertises support (anthropics/claude-code#36861; its URL is
  // https://claude.ai/oauth/claude-code-client-metadata), and Claude Code 2.1 speaks 2026-07-28,
  // negotiated with server/discover. The fake serves the document on an allow-listed local host.
  await using server = await startTestServer({ CIMD_ALLOW_PRIVATE_HOSTS: "localhost" });
  await using document = await serveClaudeCodeMetadata();
  const provider = new MemoryOAuthProvider(CALLBACK, document.url);
  const methods: string[] = [];
  const transport = () =>
    new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
      authProvider: provider,
      fetch: async (input, init) => {
        const method = new Headers(init?.headers).get("mcp-method");
        if (method) methods.push(method);
        return await fetch(input, init);
      },
    });
  const pinned = { versionNegotiation: { mode: { pin: "2026-07-28" } } } as const;

  const first = new Client({ name: "claude-code", version: "2.1.0" }, pinned);
  await first.connect(transport()).then(
    () => {
      throw new Error("connected without signing in");
    },
    () => {},
  );
  await first.close();
  const authorizationUrl = provider.authorizationUrl;
  assert(authorizationUrl, "Claude Code was sent to sign in");
  assertEquals(authorizationUrl.searchParams.get("client_id"), document.url);
  const back = await signInAndDecide(authorizationUrl, "grace@example.com");
  const finishing = transport();
  await finishing.finishAuth(back.searchParams);
  assertEquals(decodeJwt(provider.tokens()!.access_token).client_id, document.url);

  const client = new Client({ name: "claude-code", version: "2.1.0" }, pinned);
  await client.connect(transport());
  try {
    assert(methods.includes("server/discover"), `methods sent: ${methods.join(", ")}`);
    const result = await client.callTool({ name: "begin_session", arguments: {} });
    assertNotEquals(result.isError, true, JSON.stringify(result));
    assert(result.structuredContent, "begin_session answered with structured content");
  } finally {
    await client.close();
  }
});

/** Registers `metadata`, signs in with `scope` (absent when `undefined`), and exchanges the code. */
async function connectRaw(
  server: TestServer,
  metadata: Record<string, unknown>,
  scope: string | undefined,
  authenticate: (client: Record<string, string>) => {
    form: Record<string, string>;
    headers?: Record<string, string>;
  },
): Promise<TokenResponse> {
  const registered = await postJson(server, "/register", {
    redirect_uris: [CALLBACK],
    ...metadata,
  });
  assertEquals(registered.status, 201);
  const client = await registered.json();
  const { verifier, challenge } = await pkce();
  const url = authorizeUrl(server, {
    client_id: client.client_id,
    code_challenge: challenge,
    scope,
    resource: undefined,
  });
  const code = await signInThroughPages(url, "Hopper");
  const { form, headers } = authenticate(client);
  return await tokenOk(
    await postForm(server, "/token", {
      grant_type: "authorization_code",
      code,
      redirect_uri: CALLBACK,
      code_verifier: verifier,
      ...form,
    }, headers),
  );
}

Deno.test("a client that sends no scope at all gets the default mcp", async () => {
  // The MCP authorization spec lets a client omit `scope` when neither the challenge nor the
  // metadata leaves it a choice (modelcontextprotocol spec, 2025-11-25, "Scope Selection
  // Strategy"); mcp-remote and the SDK client send none when they find no scopes to ask for.
  await using server = await startTestServer();
  const tokens = await connectRaw(
    server,
    { client_name: "Scopeless", token_endpoint_auth_method: "none" },
    undefined,
    (client) => ({ form: { client_id: client.client_id } }),
  );
  assertEquals(tokens.scope, "mcp");
  await beginSession2025(server, tokens.access_token);
});

Deno.test("a client that asks for offline_access (and authenticates with client_secret_basic)", async () => {
  // Claude Code's OAuth client has requested offline_access whatever the server advertised
  // (anthropics/claude-code#41610); strict servers answered invalid_scope. Here it is ignored.
  // The client authenticates with HTTP Basic, the other secret method RFC 6749 §2.3.1 defines.
  await using server = await startTestServer();
  const tokens = await connectRaw(
    server,
    {
      client_name: "Offline asker",
      token_endpoint_auth_method: "client_secret_basic",
      scope: "openid profile offline_access",
    },
    "mcp offline_access",
    (client) => ({
      form: {},
      headers: {
        authorization: `Basic ${
          btoa(
            `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`,
          )
        }`,
      },
    }),
  );
  assertEquals(tokens.scope, "mcp");
  assertMatch(tokens.refresh_token, /^kit_rt_/);
  await beginSession2025(server, tokens.access_token);
});
