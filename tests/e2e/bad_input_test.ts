import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { FAIL_CLOSED_SENTENCE } from "../helpers/voice.ts";
import { readRpc, startTestServer, type TestServer } from "../helpers/server.ts";

const REFUSED = "Request refused, nothing was changed:";

/** A reader speaking raw JSON-RPC (2025-11-25, no initialize needed), so bodies can be any text. */
async function rawReader(server: TestServer, sub: string) {
  const token = await server.mint({ sub });
  let id = 0;
  const send = async (body: string) => {
    const response = await server.post(body, {
      authorization: `Bearer ${token}`,
      "mcp-protocol-version": "2025-11-25",
    });
    const rpc = await readRpc(response);
    // deno-lint-ignore no-explicit-any
    const result = rpc.result as any;
    assert(result, `no result: ${JSON.stringify(rpc)}`);
    const text = (result.content ?? []).map((c: { text?: string }) => c.text ?? "").join("\n");
    return { isError: result.isError === true, text, data: result.structuredContent };
  };
  /** Calls a tool with `argumentsJson` spliced in verbatim. */
  const callRaw = (name: string, argumentsJson: string) =>
    send(
      `{"jsonrpc":"2.0","id":${++id},"method":"tools/call","params":{"name":"${name}","arguments":${argumentsJson}}}`,
    );
  const call = (name: string, args: Record<string, unknown>) => callRaw(name, JSON.stringify(args));
  const begin = await call("begin_session", {});
  assert(!begin.isError, begin.text);
  return { call, callRaw, session: begin.data.session.token as string };
}

Deno.test("input that cannot be stored is refused as bad input and changes nothing", async (t) => {
  await using server = await startTestServer();
  const reader = await rawReader(server, "bad-input");
  const s = JSON.stringify(reader.session);
  const saved = await reader.call("user_save_state", {
    session: reader.session,
    patch: { num: 5, keep: 1 },
  });
  assertEquals(saved.data.state.version, 1);

  const expectUnchanged = async () => {
    const profile = await reader.call("user_get_profile", { session: reader.session });
    assertEquals(profile.data.state.data, { num: 5, keep: 1 });
    assertEquals(profile.data.state.version, 1);
  };
  const cases: [string, string, string, string][] = [
    ["1e400 in a patch", "user_save_state", `{"session":${s},"patch":{"num":1e400}}`, "patch.num"],
    ["-1e400 in a list", "user_save_state", `{"session":${s},"patch":{"l":[1,-1e400]}}`, "l[1]"],
    ["NUL in a patch value", "user_save_state", `{"session":${s},"patch":{"n":"a\\u0000"}}`, "NUL"],
    ["NUL in a patch key", "user_save_state", `{"session":${s},"patch":{"a\\u0000":1}}`, "NUL"],
    [
      "lone surrogate in a patch",
      "user_save_state",
      `{"session":${s},"patch":{"n":"\\ud800"}}`,
      "surrogate",
    ],
    [
      "__proto__ at the top of a patch",
      "user_save_state",
      `{"session":${s},"patch":{"__proto__":{"x":1},"y":2}}`,
      "__proto__",
    ],
    [
      "__proto__ deep in a patch",
      "user_save_state",
      `{"session":${s},"patch":{"a":{"__proto__":1}}}`,
      "__proto__",
    ],
    [
      "__proto__ as an extra argument",
      "config_get_rules",
      `{"session":${s},"__proto__":{"x":1}}`,
      "__proto__",
    ],
    [
      "__proto__ as an extra argument of a writer",
      "user_save_state",
      `{"session":${s},"patch":{"y":2},"__proto__":{}}`,
      "__proto__",
    ],
    ["NUL in a search query", "domain_search", `{"session":${s},"query":"light\\u0000"}`, "query"],
    [
      "lone surrogate in a search query",
      "domain_search",
      `{"session":${s},"query":"\\udc00"}`,
      "query",
    ],
    ["NUL in an article id", "domain_get_item", `{"session":${s},"id":"a1\\u0000"}`, "id"],
    [
      "lone surrogate in an article id",
      "domain_do_action",
      `{"session":${s},"action":"shelve","id":"\\ud83d"}`,
      "id",
    ],
  ];
  for (const [label, tool, args, where] of cases) {
    await t.step(label, async () => {
      const result = await reader.callRaw(tool, args);
      assert(result.isError, `${label}: accepted: ${result.text}`);
      assertStringIncludes(result.text, REFUSED);
      assertStringIncludes(result.text, where);
      assert(!result.text.includes(FAIL_CLOSED_SENTENCE), `${label}: reported as an outage`);
      await expectUnchanged();
    });
  }
  await t.step("/readyz still says ready: nothing was down", async () => {
    const ready = await fetch(`${server.localOrigin}/readyz`);
    assertEquals(ready.status, 200);
    await ready.body?.cancel();
  });
});

function deepPatch(depth: number): string {
  return `${'{"n":'.repeat(depth)}1${"}".repeat(depth)}`;
}

Deno.test("deep and wide patches are refused within 2 s on the embedded store while /healthz answers", async (t) => {
  await using server = await startTestServer({}, { database: "pglite" });
  const reader = await rawReader(server, "deep-wide");
  const s = JSON.stringify(reader.session);
  const wide = JSON.stringify(
    Object.fromEntries(Array.from({ length: 32_000 }, (_, i) => [`k${i}`, i])),
  );
  const cases: [string, string, string][] = [
    ["200 levels deep", deepPatch(200), "nested more than 32 levels"],
    ["20,000 levels deep", deepPatch(20_000), "nested more than 32 levels"],
    ["20,000 levels deep, twice more", deepPatch(20_000), "nested more than 32 levels"],
    ["32,000 keys wide", wide, "more than 10000 values"],
  ];
  for (const [label, patch, reason] of cases) {
    await t.step(label, async () => {
      const started = performance.now();
      const answer = reader.callRaw("user_save_state", `{"session":${s},"patch":${patch}}`);
      const healthStarted = performance.now();
      const health = await fetch(`${server.localOrigin}/healthz`);
      const healthMs = performance.now() - healthStarted;
      assertEquals(health.status, 200);
      await health.body?.cancel();
      assert(healthMs < 500, `/healthz took ${Math.round(healthMs)} ms`);
      const result = await answer;
      const ms = performance.now() - started;
      assert(result.isError, `${label}: accepted`);
      assertStringIncludes(result.text, REFUSED);
      assertStringIncludes(result.text, reason);
      assert(ms < 2_000, `${label}: took ${Math.round(ms)} ms`);
    });
  }
  await t.step("a patch over the state limit is refused before the database", async () => {
    const big = JSON.stringify({ blob: "x".repeat(70 * 1024) });
    const result = await reader.callRaw("user_save_state", `{"session":${s},"patch":${big}}`);
    assert(result.isError);
    assertStringIncludes(result.text, REFUSED);
    assertStringIncludes(result.text, "65536-byte limit");
  });
  await t.step("the reader's state is untouched and the store still works", async () => {
    const ok = await reader.call("user_save_state", {
      session: reader.session,
      patch: { after: true },
    });
    assert(!ok.isError, ok.text);
    assertEquals(ok.data.state.data, { after: true });
    assertEquals(ok.data.state.version, 1);
  });
});

Deno.test("an email claim that cannot be stored is ignored, not turned into an outage", async () => {
  await using server = await startTestServer();
  const token = await server.mint({ sub: "odd-email", email: "odd\u0000@example.com" });
  const response = await server.post({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "begin_session", arguments: {} },
  }, { authorization: `Bearer ${token}`, "mcp-protocol-version": "2025-11-25" });
  // deno-lint-ignore no-explicit-any
  const result = (await readRpc(response)).result as any;
  assert(!result.isError, JSON.stringify(result));
  assertEquals(result.structuredContent.profile.email, null);
});
