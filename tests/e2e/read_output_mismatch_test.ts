/**
 * A read tool whose answer breaks its output schema only once the person has data (a `Date` where
 * the schema says a string): answered in the product's voice with what to fix (development) or
 * without any detail (otherwise), the same on the direct path and the SDK's, logged as a failure
 * naming pack and tool; and the pack contract finds it, because it runs every read example again
 * after the write examples.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { directCallOf } from "../../src/mcp/direct_call.ts";
import { CALL_FAILED_PREFIX } from "../../src/pack/kit_side.ts";
import type { RegisteredTool } from "../../src/tools/registry.ts";
import { datedProbePack } from "../helpers/dated_probe.ts";
import { startFakeIssuer } from "../helpers/fake_issuer.ts";
import { walkPackContract } from "../helpers/pack_contract.ts";
import { readRpc, startTestServer, type TestServer } from "../helpers/server.ts";

const READ = "domain_list_completed";
/** The direct path (the default), then the SDK's server. */
const PATHS: Record<string, string>[] = [{ MCP_DIRECT_CALLS: "1" }, { MCP_DIRECT_CALLS: "0" }];
const FIX = `${READ}'s answer does not match its output schema: completed.0.completed_at: ` +
  "Invalid input: expected string, received Date. Fix the tool's answer or its outputSchema.";

/** A `tools/call` result as it arrives. */
type ToolAnswer = { isError?: boolean; content: { text: string }[]; structuredContent?: unknown };

/** One 2025-era `tools/call`, as hosts send it (the direct path serves it unless it is off). */
async function callTool(
  server: TestServer,
  token: string,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolAnswer> {
  const body = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } };
  const headers = {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2025-11-25",
  };
  // A call the direct path serves, unless the server has it off (then the SDK's server does).
  const tools = new Map([[name, {} as RegisteredTool]]);
  assert(directCallOf(new Request(server.mcpUrl, { method: "POST", headers }), body, tools));
  const response = await server.post(body, headers);
  assertEquals(response.status, 200);
  return (await readRpc(response)).result as ToolAnswer;
}

/** Starts a session, reads (empty), writes the example, reads again: the last read's result. */
async function readWithData(server: TestServer, token: string) {
  const begun = await callTool(server, token, "begin_session", {});
  const session = (begun.structuredContent as { session: { token: string } }).session.token;
  const empty = await callTool(server, token, READ, { session });
  assert(!empty.isError, empty.content[0].text);
  const wrote = await callTool(server, token, "domain_complete", { lesson: "l1", session });
  assert(!wrote.isError, wrote.content[0].text);
  return await callTool(server, token, READ, { session });
}

async function assertLoggedAsFailure(server: TestServer): Promise<void> {
  const line = await server.logLine((l) => l.tool === READ && l.toolError === true);
  assertEquals(line.level, "error");
  const failure = line.failure as Record<string, unknown>;
  assertEquals(failure.pack, "probe");
  assertEquals(failure.tool, READ);
  assertEquals(failure.error, "OutputMismatch");
  assertStringIncludes(String(failure.message), "completed.0.completed_at");
}

Deno.test("a read whose answer breaks its output schema once the person has data", async (t) => {
  await t.step("development: the fix in the product's voice, on both paths alike", async () => {
    const texts: string[] = [];
    for (const env of PATHS) {
      await using server = await startTestServer(env, { pack: datedProbePack });
      const result = await readWithData(server, await server.mint({ sub: "learner" }));
      assertEquals(result.isError, true);
      assertEquals(result.structuredContent, undefined);
      const text = result.content[0].text;
      assertStringIncludes(text, `${CALL_FAILED_PREFIX} ${FIX}`);
      assert(!text.includes("Output validation error"), text);
      await assertLoggedAsFailure(server);
      texts.push(JSON.stringify(result));
    }
    assertEquals(texts[0], texts[1], "the direct path and the SDK's answer differently");
  });

  await t.step("not development: no detail reaches the model, the log still has it", async () => {
    await using issuer = await startFakeIssuer();
    const texts: string[] = [];
    for (const env of PATHS) {
      await using server = await startTestServer(
        { AUTH_ISSUER: issuer.issuer, ...env },
        { pack: datedProbePack },
      );
      const result = await readWithData(server, await issuer.token("learner", server.mcpUrl));
      assertEquals(result.isError, true);
      const text = result.content[0].text;
      assertStringIncludes(text, `${CALL_FAILED_PREFIX} an error in the connector.`);
      for (const detail of ["completed_at", "Date", "output schema", "Output validation"]) {
        assert(!text.includes(detail), `"${detail}" reached the model: ${text}`);
      }
      await assertLoggedAsFailure(server);
      texts.push(JSON.stringify(result));
    }
    assertEquals(texts[0], texts[1], "the direct path and the SDK's answer differently");
  });

  await t.step("the pack contract fails it, in the step for a person with data", async () => {
    const failed: [string, string][] = [];
    await walkPackContract(datedProbePack, async (name, fn) => {
      try {
        await fn();
      } catch (error) {
        failed.push([name, (error as Error).message]);
      }
    });
    const withData = failed.find(([name]) => name.includes("for a person with data"));
    assert(withData, `no such failure: ${JSON.stringify(failed)}`);
    assertStringIncludes(withData[1], `${READ} (for a tester with data): ${CALL_FAILED_PREFIX}`);
    assertStringIncludes(withData[1], FIX);
  });
});
