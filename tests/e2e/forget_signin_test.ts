/**
 * Forgetting a person reaches what the development sign-in and the sessions keep of them in KV:
 * their grants stop (refresh at once, access tokens at /mcp within the grant check), and no KV
 * record names them afterwards but the session cut-off that ends their sessions.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { registeredClient, tokenRequest, tokensFor } from "../helpers/signin_flow.ts";

const V2025 = { "mcp-protocol-version": "2025-11-25" };

/** Calls `name` at /mcp with `accessToken`; the HTTP status and, when 200, the tool result. */
async function callTool(
  server: TestServer,
  accessToken: string,
  name: string,
  args: Record<string, unknown>,
) {
  const response = await server.post(
    { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } },
    { authorization: `Bearer ${accessToken}`, ...V2025 },
  );
  if (response.status !== 200) {
    await response.body?.cancel();
    return { status: response.status, result: undefined };
  }
  // deno-lint-ignore no-explicit-any
  return { status: 200, result: (await response.json()).result as any };
}

/** Every KV key and value that mentions `needle`, as text. */
async function kvMentioning(server: TestServer, needle: string): Promise<string[]> {
  const db = await server.resources.kv.get();
  const found: string[] = [];
  for await (const entry of db.list({ prefix: [] })) {
    const text = JSON.stringify(
      [entry.key, entry.value],
      (_, v) => typeof v === "bigint" ? String(v) : v,
    );
    if (text.includes(needle)) found.push(JSON.stringify(entry.key));
  }
  return found;
}

Deno.test("user_forget ends the person's sign-in grants and leaves no KV record of them", async () => {
  await using server = await startTestServer();
  const identity = "forget.me@example.com";
  const used = await tokensFor(server, await registeredClient(server, "App one"), identity);
  const otherClient = await registeredClient(server, "App two");
  const unused = await tokensFor(server, otherClient, identity);
  const bystander = await tokensFor(server, otherClient, "stays@example.com");

  const begun = await callTool(server, used.access_token, "begin_session", {});
  const session = begun.result.structuredContent.session.token;
  const { sub } = JSON.parse(
    atob(used.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
  );
  await callTool(server, used.access_token, "user_save_state", { session, patch: { a: 1 } });
  assert((await kvMentioning(server, sub)).length > 0, "KV holds records of them before");

  const asked = await callTool(server, used.access_token, "user_forget", { session });
  assert(asked.result.structuredContent, JSON.stringify(asked));
  const { code } = asked.result.structuredContent.confirmation;
  const forgotten = await callTool(server, used.access_token, "user_forget", {
    session,
    confirmation: code,
  });
  assertEquals(forgotten.result.structuredContent.forgotten, true, JSON.stringify(forgotten));

  // Refresh tokens of both their grants are refused at once.
  for (const [tokens, client] of [[used, undefined], [unused, otherClient]] as const) {
    const body: Record<string, string> = {
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: client ??
        JSON.parse(atob(tokens.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")))
          .client_id,
    };
    const refreshed = await tokenRequest(server, body);
    assertEquals(refreshed.status, 400);
    assertEquals((await refreshed.json()).error, "invalid_grant");
  }
  // An access token of theirs not checked in the last 30 s is refused at once; one checked just
  // now stops within the 30 s grant check (tests/auth/revocation_test.ts holds that bound).
  assertEquals((await callTool(server, unused.access_token, "health", {})).status, 401);
  // Nothing in KV names them any more, except the cut-off that ends their sessions.
  assertEquals(await kvMentioning(server, sub), [JSON.stringify(["session-cutoff", sub])]);
  assertEquals(await kvMentioning(server, identity), []);
  // Someone else's grant with the same app goes on.
  assertEquals((await callTool(server, bystander.access_token, "health", {})).status, 200);
});
