/**
 * The direct path (`src/mcp/direct_call.ts`) answers a single `tools/call` with the very bytes the
 * SDK's per-request server answers it with. Two servers per pack — one serving calls directly, one
 * with `MCP_DIRECT_CALLS=0` — get the same requests in both eras from two people who do the same
 * things (every tool, the pack's examples including its writes, refusals, session failures), and
 * the answers must match byte for byte once the person's name, session tokens, times and ids are
 * masked. The test also holds that those requests did take the direct path.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { allPacks } from "../../src/domains/registry.ts";
import { directCallOf } from "../../src/mcp/direct_call.ts";
import type { RegisteredTool } from "../../src/tools/registry.ts";
import { examplesOf } from "../helpers/examples.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

type Era = "2025" | "2026";

/** A tools/call request as hosts send it in `era`. */
function toolCall(era: Era, name: string, args: unknown, id: number | string) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const params: Record<string, unknown> = { name, arguments: args };
  if (era === "2025") headers["mcp-protocol-version"] = "2025-11-25";
  else {
    headers["mcp-protocol-version"] = "2026-07-28";
    headers["mcp-method"] = "tools/call";
    headers["mcp-name"] = name;
    params._meta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "differential", version: "1" },
      // Every other call declares capabilities, as hosts do.
      "io.modelcontextprotocol/clientCapabilities": typeof id === "number" && id % 2 === 1
        ? { roots: { listChanged: true }, elicitation: { form: {} } }
        : {},
    };
  }
  return { headers, body: { jsonrpc: "2.0", id, method: "tools/call", params } };
}

/**
 * What may differ between the two people's answers: who, when, which token, which id, which
 * confirmation code.
 */
function masked(text: string, sub: string): string {
  return text
    .replaceAll(sub, "<person>")
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, "<token>")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z?/g, "<time>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
    .replace(/localhost:\d+/g, "localhost:<port>")
    .replace(/\b\d{10}\.[\w-]{43}\b/g, "<confirmation code>")
    .replace(/\bres_[a-z0-9]{12}\b/g, "<reservation id>");
}

/** One person's turn: sends a request and returns status, content type and masked body. */
async function send(
  server: TestServer,
  token: string,
  request: { headers: Record<string, string>; body: unknown },
  sub: string,
): Promise<{ text: string; raw: string }> {
  const response = await server.post(request.body, {
    ...request.headers,
    authorization: `Bearer ${token}`,
  });
  const raw = await response.text();
  return {
    raw,
    text: `${response.status} ${response.headers.get("content-type")}\n${masked(raw, sub)}`,
  };
}

for (const pack of await allPacks()) {
  Deno.test(`${pack.id}: a direct tools/call answers byte for byte as the SDK's server does`, async () => {
    await using direct = await startTestServer({ DOMAIN: pack.id });
    await using sdk = await startTestServer({ DOMAIN: pack.id, MCP_DIRECT_CALLS: "0" });
    const names = new Map<string, RegisteredTool>();
    let compared = 0;
    let takenDirectly = 0;
    for (const era of ["2025", "2026"] as const) {
      // Same length, so that nothing but the name differs.
      const people = { direct: `diffa-${era}`, sdk: `diffb-${era}` };
      const tokens = {
        direct: await direct.mint({ sub: people.direct }),
        sdk: await sdk.mint({ sub: people.sdk }),
      };
      let id = 0;
      let sessions: { direct: string; sdk: string } = { direct: "", sdk: "" };
      /** Sends the same call as both people; `args` may use the session (per person). */
      const both = async (
        name: string,
        args: (session: string) => unknown,
        expectDirect = true,
      ) => {
        id += 1;
        const answers = await Promise.all((["direct", "sdk"] as const).map(async (side) => {
          const server = side === "direct" ? direct : sdk;
          const request = toolCall(era, name, args(sessions[side]), id);
          return await send(server, tokens[side], request, people[side]);
        }));
        assertEquals(answers[0].text, answers[1].text, `${era} ${name} #${id}`);
        compared += 1;
        const request = toolCall(era, name, args(""), id);
        if (names.size === 0) {
          for (const tool of [...pack.tools.map((t) => t.name), ...KIT_TOOLS]) {
            names.set(tool, {} as RegisteredTool);
          }
        }
        const call = directCallOf(
          new Request(direct.mcpUrl, { method: "POST", headers: request.headers }),
          request.body,
          names,
        );
        assertEquals(call !== undefined, expectDirect, `${era} ${name}: direct path taken`);
        if (call) takenDirectly += 1;
        return answers;
      };

      // Before any session: the gate's answers.
      await both("health", () => ({}));
      for (const [name, args] of examplesOf(pack)) {
        await both(name, () => args);
        await both(name, () => ({ ...args, session: "not-a-token" }));
      }
      const [started, startedSdk] = await both("begin_session", () => ({}));
      const sessionOf = (raw: string) =>
        (JSON.parse(raw).result.structuredContent.session as { token: string }).token;
      sessions = { direct: sessionOf(started.raw), sdk: sessionOf(startedSdk.raw) };
      const withSession = (args: Record<string, unknown>) => (session: string) => ({
        ...args,
        session,
      });
      // Every tool with a session, the pack's writes included (both people make the same change).
      for (const [name, args] of examplesOf(pack)) {
        await both(name, withSession(args));
      }
      for (const [name, args] of KIT_CALLS) await both(name, withSession(args));
      // Refusals: a key the tool does not take, a wrong type, arguments nested past the bound.
      await both("domain_get_item", withSession({ id: 5 }));
      await both("user_get_profile", withSession({ extra: true }));
      let deep: unknown = "x";
      for (let i = 0; i < 80; i++) deep = [deep];
      await both("user_save_state", withSession({ patch: { deep } }));
      await both("health", () => ({}));
      await both("end_session", withSession({}));
      await both("user_get_profile", withSession({}));
      // Not for the direct path: an unknown tool is the SDK's to answer.
      await both("domain_no_such_tool", withSession({}), false);
    }
    assert(compared >= 50, `compared ${compared}`);
    assert(takenDirectly >= compared - 2, `direct ${takenDirectly} of ${compared}`);
  });
}

/** The kit's tools besides begin/end_session and health. */
const KIT_CALLS: [string, Record<string, unknown>][] = [
  ["user_get_profile", {}],
  ["user_save_state", { patch: { x: 1 } }],
  ["user_save_state", { patch: { y: [1, 2] }, expected_version: 1 }],
  ["user_get_history", {}],
  ["user_restore_state", { version: 1 }],
  ["user_export", {}],
  ["user_forget", {}],
  ["config_get_rules", {}],
  ["config_get_persona", {}],
];

const KIT_TOOLS = ["begin_session", "end_session", "health", ...KIT_CALLS.map(([name]) => name)];
