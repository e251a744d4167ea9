/**
 * The direct path decides which requests it serves without loading the SDK; the SDK is the oracle:
 * every request the direct path takes, the SDK's own classifier routes to the same era and would
 * serve (never one it refuses), over a corpus of envelopes, headers and content types.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { classifyInboundRequest, isJsonContentType } from "@modelcontextprotocol/server";
import { directCallOf } from "./direct_call.ts";
import type { RegisteredTool } from "../tools/registry.ts";

const TOOLS = new Map([["health", {} as RegisteredTool]]);

const CLIENT_INFOS: unknown[] = [
  { name: "host", version: "1" },
  { name: "host", version: "1", title: "Host" },
  { name: "host" },
  { name: 1, version: "1" },
  { name: "host", version: "1", title: 2 },
  { name: "host", version: "1", websiteUrl: "not a url" },
  "host",
  undefined,
];

const CAPABILITIES: unknown[] = [
  {},
  { roots: { listChanged: true } },
  { sampling: {} },
  { sampling: { tools: {} } },
  { elicitation: { form: {}, url: {} } },
  { elicitation: {} },
  { tasks: { requests: { tools: { call: {} } } } },
  { experimental: { feature: {} } },
  { roots: { listChanged: "yes" } },
  { sampling: true },
  { unknown: {} },
  { elicitation: { form: { a: { b: { c: {} } } } } },
  [],
  undefined,
];

const VERSIONS: unknown[] = ["2026-07-28", "2025-11-25", 5, undefined];

const CONTENT_TYPES = [
  "application/json",
  "application/json;a=b,text/plain",
  "application/json; charset=utf-16",
  'application/json; charset="utf-8"',
  "Application/JSON; charset=utf-8",
  "application/json;charset=utf-8",
  "application/jsonx",
  "text/plain",
];

function envelope(version: unknown, info: unknown, capabilities: unknown) {
  const meta: Record<string, unknown> = {};
  if (version !== undefined) meta["io.modelcontextprotocol/protocolVersion"] = version;
  if (info !== undefined) meta["io.modelcontextprotocol/clientInfo"] = info;
  if (capabilities !== undefined) meta["io.modelcontextprotocol/clientCapabilities"] = capabilities;
  return meta;
}

Deno.test("every 2026-07-28 call the direct path takes is one the SDK serves in that era", () => {
  let taken = 0;
  const takenCapabilities = new Set<string>();
  for (const version of VERSIONS) {
    for (const info of CLIENT_INFOS) {
      for (const capabilities of CAPABILITIES) {
        for (const contentType of CONTENT_TYPES) {
          const body = {
            jsonrpc: "2.0",
            id: 7,
            method: "tools/call",
            params: { name: "health", arguments: {}, _meta: envelope(version, info, capabilities) },
          };
          const headers = {
            "content-type": contentType,
            "mcp-protocol-version": "2026-07-28",
            "mcp-method": "tools/call",
            "mcp-name": "health",
          };
          const request = new Request("http://localhost/mcp", { method: "POST", headers });
          const call = directCallOf(request, body, TOOLS);
          if (!call) continue;
          taken += 1;
          takenCapabilities.add(JSON.stringify(capabilities));
          assertEquals(call.era, "2026");
          assert(isJsonContentType(contentType), contentType);
          const route = classifyInboundRequest({
            httpMethod: "POST",
            protocolVersionHeader: headers["mcp-protocol-version"],
            mcpMethodHeader: headers["mcp-method"],
            mcpNameHeader: headers["mcp-name"],
            body,
          });
          assertEquals(route.kind, "modern", JSON.stringify(body.params._meta));
          if (route.kind === "modern") assertEquals(route.classification.revision, "2026-07-28");
        }
      }
    }
  }
  // The common declarations are served directly, not only the empty one.
  for (const c of [{}, { roots: { listChanged: true } }, { elicitation: { form: {}, url: {} } }]) {
    assert(takenCapabilities.has(JSON.stringify(c)), JSON.stringify(c));
  }
  assert(taken >= 30, `${taken}`);
});

Deno.test("every 2025-era call the direct path takes is one the SDK serves in that era", () => {
  let taken = 0;
  for (
    const version of [
      undefined,
      "2025-11-25",
      "2025-06-18",
      "2026-07-28",
      "1999-01-01",
      " 2025-11-25",
    ]
  ) {
    for (const accept of ["application/json, text/event-stream", "application/json", "*/*"]) {
      for (const contentType of CONTENT_TYPES) {
        const body = {
          jsonrpc: "2.0",
          id: "a",
          method: "tools/call",
          params: { name: "health", arguments: {} },
        };
        const headers: Record<string, string> = { "content-type": contentType, accept };
        if (version !== undefined) headers["mcp-protocol-version"] = version;
        const request = new Request("http://localhost/mcp", { method: "POST", headers });
        const call = directCallOf(request, body, TOOLS);
        if (!call) continue;
        taken += 1;
        assertEquals(call.era, "2025");
        assert(isJsonContentType(contentType), contentType);
        assert(accept.includes("text/event-stream"));
        const route = classifyInboundRequest({
          httpMethod: "POST",
          protocolVersionHeader: version,
          body,
        });
        assertEquals(route.kind, "legacy");
        // (Header values arrive trimmed.)
        const named = version?.trim();
        assert(named === undefined || named.startsWith("2025") || named.startsWith("2024"));
      }
    }
  }
  assert(taken >= 6, `${taken}`);
});

Deno.test("headers that only look like the body's are the SDK's to judge", () => {
  const body = {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "health", _meta: envelope("2026-07-28", { name: "h", version: "1" }, {}) },
  };
  const take = (name: string, version = "2026-07-28", method = "tools/call") =>
    directCallOf(
      new Request("http://localhost/mcp", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "mcp-protocol-version": version,
          "mcp-method": method,
          "mcp-name": name,
        },
      }),
      body,
      TOOLS,
    );
  assert(take("health"));
  assert(take("health\t"), "tabs and spaces are HTTP's own");
  assertEquals(take("health\u00a0"), undefined, "a no-break space is part of the value");
  assertEquals(take("health", "2026-07-28\u00a0"), undefined);
  assertEquals(take("health", "2026-07-28", "tools/call\u00a0"), undefined);
  assertEquals(take("Health"), undefined);
});

Deno.test("the direct path leaves the rest to the SDK", () => {
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const request = () => new Request("http://localhost/mcp", { method: "POST", headers });
  const call = (body: unknown) => directCallOf(request(), body, TOOLS);
  const base = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "health" } };
  assert(call(base), "the plain call is taken");
  assertEquals(call({ ...base, method: "tools/list" }), undefined);
  assertEquals(call([base]), undefined, "a batch");
  assertEquals(call({ ...base, id: 1.5 }), undefined);
  assertEquals(call({ ...base, id: null }), undefined);
  assertEquals(call({ ...base, extra: 1 }), undefined);
  assertEquals(call({ ...base, params: { name: "no_such_tool" } }), undefined);
  assertEquals(call({ ...base, params: { name: "health", arguments: [] } }), undefined);
  assertEquals(call({ ...base, params: { name: "health", task: {} } }), undefined);
  assertEquals(
    call({ ...base, params: { name: "health", _meta: { progressToken: 1 } } }),
    undefined,
    "a 2025-era call with _meta",
  );
  assertEquals(
    call(
      JSON.parse(
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"health","__proto__":{}}}',
      ),
    ),
    undefined,
  );
});
